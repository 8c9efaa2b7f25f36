"""Statements of reasons as issued, kept in ``dispatch.statements`` for their submission."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import orjson

from services.dispatch.ports import SubmitResult, SubmitStatus
from shared.db import Connection
from shared.events.decisions import StatementIssued

#: Stored reasons are cut to this length.
REASON_LIMIT = 500
#: The statuses after which a statement is never sent again by the consumer.
SETTLED = ("submitted", "duplicate", "rejected")


async def keep_statements(conn: Connection, statements: Sequence[StatementIssued]) -> None:
    """Store issued statements for their submission (pending; a repeat changes nothing)."""
    if statements:
        await conn.executemany(
            """INSERT INTO dispatch.statements (puid, decision_id, case_id, statement,
                   issued_at)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
            [
                (
                    s.puid,
                    s.decision_id,
                    s.case_id,
                    orjson.dumps(s.statement).decode(),
                    s.issued_at,
                )
                for s in statements
            ],
        )


class PostgresStatementLedger:
    """Statements' submission status in ``dispatch.statements`` (``ports.StatementLedger``)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def settled(self, puids: Sequence[str]) -> set[str]:
        """The PUIDs among these stored, duplicate or rejected: never sent again."""
        rows = await self.conn.fetch(
            "SELECT puid FROM dispatch.statements WHERE puid = ANY($1::text[]) "
            "AND status = ANY($2::text[])",
            list(puids),
            list(SETTLED),
        )
        return {row["puid"] for row in rows}

    async def record(self, outcomes: Sequence[tuple[StatementIssued, SubmitResult]]) -> None:
        """See ``record_results``."""
        await record_results(self.conn, outcomes)


async def record_results(
    conn: Connection,
    outcomes: Iterable[tuple[StatementIssued, SubmitResult]],
    *,
    now: datetime | None = None,
) -> None:
    """Store the fate of each statement in ``dispatch.statements`` (its row made if missing).

    A failed submission is not recorded: the statement stays as it was, to be sent again.
    A statement once stored stays stored: a later ``duplicate`` or ``rejected`` answer (a
    race between the consumer and ``crible sor submit``, a ``--resend``) does not undo it,
    and only a new ``submitted`` answer (e.g. a ``--resend`` to another server) moves its
    ``submitted_at``.
    """
    when = now or datetime.now(UTC)
    rows = []
    for issued, result in outcomes:
        if result.status is SubmitStatus.FAILED:
            continue
        rejected = result.status is SubmitStatus.REJECTED
        rows.append(
            (
                issued.puid,
                issued.decision_id,
                issued.case_id,
                orjson.dumps(issued.statement).decode(),
                issued.issued_at,
                result.status.value,
                (result.reason or "no reason given")[:REASON_LIMIT] if rejected else None,
                None if rejected else when,
            )
        )
    if not rows:
        return
    await conn.executemany(
        """INSERT INTO dispatch.statements (puid, decision_id, case_id, statement, issued_at,
               status, reason, submitted_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (puid) DO UPDATE SET status = EXCLUDED.status,
               reason = EXCLUDED.reason, submitted_at = EXCLUDED.submitted_at
           WHERE statements.status IN ('pending', 'rejected') OR EXCLUDED.status = 'submitted'""",
        rows,
    )
