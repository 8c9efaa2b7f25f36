"""Dispatch's ``crible`` subcommands: ``crible reviewers add|list|disable|token``.

They write the reviewer registry directly (as the owner role, ``DATABASE_URL``): reviewers
are administered by operators, not by events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any


def register(sub: Any) -> None:
    """Add ``reviewers`` to the ``crible`` command."""
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


def _reviewers(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _clearances(text: str) -> list[str]:
    from services.dispatch.reviewers import GENERAL_CLEARANCES  # noqa: PLC0415
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

    from services.dispatch import queue  # noqa: PLC0415
    from services.dispatch.reviewers import Role  # noqa: PLC0415
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
