"""Dispatch's ``crible`` subcommands: ``crible reviewers add|list|disable|token``, ``crible sor``.

They work on dispatch's tables directly (as the owner role, ``DATABASE_URL``): reviewers
are administered by operators, not by events; ``sor submit`` sends the statements of
reasons still waiting in ``dispatch.statements`` (say, issued while the submitter was off).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncpg

    from services.dispatch.adapters.sor_http import SorSubmitter
    from services.dispatch.config import DispatchSettings

#: Statements read, sent and recorded together by ``crible sor submit``.
SOR_BATCH = 100


def register(sub: Any) -> None:
    """Add ``reviewers`` and ``sor`` to the ``crible`` command."""
    reviewers = sub.add_parser("reviewers", help="the reviewer registry (dispatch)")
    actions = reviewers.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add or update a reviewer")
    add.add_argument("reviewer_id")
    add.add_argument("--name", required=True)
    add.add_argument("--languages", required=True, help="comma-separated, e.g. fr,en")
    add.add_argument(
        "--clearances",
        default="general",
        help="comma-separated categories; `general` is every category but child sexual "
        "abuse, which needs `child_sexual_abuse` named explicitly",
    )
    add.add_argument("--roles", default="reviewer", help="reviewer, senior, admin")
    add.add_argument("--exposure-cap", type=int, default=40, help="graphic cases per shift")
    actions.add_parser("list", help="every reviewer (never their tokens)")
    disable = actions.add_parser("disable", help="stop a reviewer (their token stops working)")
    disable.add_argument("reviewer_id")
    token = actions.add_parser("token", help="issue a new token (printed once, stored hashed)")
    token.add_argument("reviewer_id")
    reviewers.set_defaults(func=_reviewers)

    sor = sub.add_parser("sor", help="DSA statements of reasons (dispatch)")
    sor_actions = sor.add_subparsers(dest="action", required=True)
    submit = sor_actions.add_parser(
        "submit",
        help="send the statements still pending to the Transparency Database",
        description="Send the statements of dispatch.statements issued since --since whose "
        "status is pending (with --resend: every status but rejected), 100 at a time. Exit "
        "status 0 when each was settled (submitted, duplicate or rejected), 1 when some "
        "could not be sent (retry later), 2 when the submitter is not configured.",
    )
    submit.add_argument(
        "--since",
        required=True,
        type=_instant,
        help="ISO 8601 date or date and time (UTC unless an offset is given)",
    )
    submit.add_argument(
        "--resend",
        action="store_true",
        help="send the submitted and duplicate ones too (e.g. to a new server)",
    )
    submit.add_argument("--dry-run", action="store_true", help="only count what would be sent")
    sor.set_defaults(func=_sor)


def _reviewers(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _clearances(text: str) -> list[str]:
    from services.dispatch.core.reviewers import GENERAL_CLEARANCES  # noqa: PLC0415
    from shared.events.reports import Category  # noqa: PLC0415

    chosen: set[str] = set()
    for item in _csv(text):
        if item == "general":
            chosen |= {c.value for c in GENERAL_CLEARANCES}
        else:
            chosen.add(Category(item).value)  # ValueError names a wrong category
    return sorted(chosen)


async def _run(args: argparse.Namespace) -> int:
    import asyncpg  # noqa: PLC0415

    from services.dispatch.adapters.postgres import queue  # noqa: PLC0415
    from services.dispatch.core.reviewers import Role  # noqa: PLC0415
    from shared.config import get_settings  # noqa: PLC0415

    conn = await asyncpg.connect(get_settings().database_url.get_secret_value())
    try:
        if args.action == "add":
            try:
                roles = sorted(Role(r).value for r in _csv(args.roles))
                clearances = _clearances(args.clearances)
            except ValueError as error:
                raise RuntimeError(str(error)) from None
            await conn.execute(
                """INSERT INTO dispatch.reviewers (reviewer_id, name, languages, clearances,
                       roles, exposure_cap) VALUES ($1, $2, $3, $4, $5, $6)
                   ON CONFLICT (reviewer_id) DO UPDATE SET name = EXCLUDED.name,
                       languages = EXCLUDED.languages, clearances = EXCLUDED.clearances,
                       roles = EXCLUDED.roles, exposure_cap = EXCLUDED.exposure_cap,
                       active = true""",
                args.reviewer_id,
                args.name,
                _csv(args.languages),
                clearances,
                roles,
                args.exposure_cap,
            )
            print(json.dumps({"reviewer": args.reviewer_id, "saved": True}))
        elif args.action == "list":
            rows = await conn.fetch(
                """SELECT reviewer_id, name, languages, clearances, roles, exposure_cap, active
                   FROM dispatch.reviewers ORDER BY reviewer_id"""
            )
            for row in rows:
                print(json.dumps(dict(row)))
        elif args.action == "disable":
            status = await conn.execute(
                "UPDATE dispatch.reviewers SET active = false WHERE reviewer_id = $1",
                args.reviewer_id,
            )
            if status != "UPDATE 1":
                raise RuntimeError(f"no reviewer {args.reviewer_id}")
            print(json.dumps({"reviewer": args.reviewer_id, "active": False}))
        else:
            token = queue.new_token()
            status = await conn.execute(
                "UPDATE dispatch.reviewers SET token_hash = $2 WHERE reviewer_id = $1",
                args.reviewer_id,
                queue.token_hash(token),
            )
            if status != "UPDATE 1":
                raise RuntimeError(f"no reviewer {args.reviewer_id}")
            print(token)
    finally:
        await conn.close()
    return 0


def _instant(text: str) -> datetime:
    """An ISO 8601 instant; UTC when it has no offset."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or date and time: {text}") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _sor(args: argparse.Namespace) -> int:
    return asyncio.run(
        submit_statements(since=args.since, resend=args.resend, dry_run=args.dry_run)
    )


async def submit_statements(
    *,
    since: datetime,
    resend: bool = False,
    dry_run: bool = False,
    settings: DispatchSettings | None = None,
) -> int:
    """``crible sor submit``: send the waiting statements, record their fate, print a summary.

    Returns the exit status: 0 when every statement was settled, 1 when some could not be
    sent. Raises ``RuntimeError`` (exit status 2) when the submitter is not configured.
    Rejected statements keep the server's reason in their row and are printed on stderr.
    """
    import asyncpg  # noqa: PLC0415

    from services.dispatch.adapters.sor_http import submitter_from  # noqa: PLC0415
    from services.dispatch.config import DispatchSettings  # noqa: PLC0415
    from shared.config import get_settings  # noqa: PLC0415
    from shared.runtime.errors import ConfigurationError  # noqa: PLC0415

    statuses = ["pending", "submitted", "duplicate"] if resend else ["pending"]
    dispatch = settings or DispatchSettings()
    submitter = None
    if not dry_run:
        # Refused before touching the database: nothing could be sent anyway.
        try:
            submitter = submitter_from(dispatch)
        except ConfigurationError as error:
            raise RuntimeError(str(error)) from None
    async with contextlib.AsyncExitStack() as stack:
        if submitter is not None:
            await stack.enter_async_context(submitter)
        conn = await asyncpg.connect(get_settings().database_url.get_secret_value())
        stack.push_async_callback(conn.close)
        if submitter is None:
            count = await conn.fetchval(
                "SELECT count(*) FROM dispatch.statements "
                "WHERE issued_at >= $1 AND status = ANY($2::text[])",
                since,
                statuses,
            )
            print(
                f"would send {count} statements "
                f"({', '.join(statuses)}, issued since {since.isoformat()})"
            )
            if not dispatch.submits_statements:
                print("the submitter is not configured: set CRIBLE_DISPATCH_SOR_URL and _TOKEN")
            return 0
        return await _submit_all(conn, submitter, since=since, statuses=statuses)


async def _submit_all(
    conn: asyncpg.Connection, submitter: SorSubmitter, *, since: datetime, statuses: list[str]
) -> int:
    """Send the statements 100 at a time in issue order; stop at the first that fails."""
    from services.dispatch.adapters.postgres.statements import record_results  # noqa: PLC0415
    from services.dispatch.ports import SubmitStatus  # noqa: PLC0415
    from shared.events.decisions import StatementIssued  # noqa: PLC0415

    counts: Counter[str] = Counter()
    # Keyset pagination: a statement that failed stays pending and must not come back.
    after: tuple[datetime | None, str] = (None, "")
    first_failure: str | None = None
    while first_failure is None:
        rows = await conn.fetch(
            """SELECT puid, decision_id, case_id, statement, issued_at FROM dispatch.statements
               WHERE issued_at >= $1 AND status = ANY($2::text[])
                   AND ($3::timestamptz IS NULL OR (issued_at, puid) > ($3, $4::text))
               ORDER BY issued_at, puid LIMIT $5""",
            since,
            statuses,
            after[0],
            after[1],
            SOR_BATCH,
        )
        if not rows:
            break
        after = (rows[-1]["issued_at"], rows[-1]["puid"])
        issued = [
            StatementIssued(
                schema_version=1,
                puid=row["puid"],
                decision_id=row["decision_id"],
                case_id=row["case_id"],
                statement=json.loads(row["statement"]),
                issued_at=row["issued_at"],
            )
            for row in rows
        ]
        results = await submitter.submit([s.statement for s in issued])
        async with conn.transaction():
            await record_results(conn, zip(issued, results, strict=True))
        for result in results:
            counts[result.status.value] += 1
            if result.status is SubmitStatus.REJECTED:
                print(f"rejected {result.puid}: {result.reason}", file=sys.stderr)
            elif result.status is SubmitStatus.FAILED and first_failure is None:
                first_failure = result.reason or "no reason given"
    for status in SubmitStatus:
        print(f"{status.value}: {counts[status.value]}")
    if first_failure is None:
        return 0
    # Whatever a refused token or an exhausted rate limit stopped would fail the same way.
    left = await conn.fetchval(
        """SELECT count(*) FROM dispatch.statements
           WHERE issued_at >= $1 AND status = ANY($2::text[])
               AND (issued_at, puid) > ($3, $4::text)""",
        since,
        statuses,
        after[0],
        after[1],
    )
    print(f"not tried: {left}")
    print(f"stopped: {first_failure}; run the command again later", file=sys.stderr)
    return 1
