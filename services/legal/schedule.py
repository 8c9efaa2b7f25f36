"""What the legal service does on a schedule, beside its consumers and portal.

- ``retention`` (every ``CRIBLE_LEGAL_RETENTION_EVERY_HOURS``, one process at a time):
  the identity store's retention job (``retention.py``);
- ``notices`` (every ``CRIBLE_LEGAL_NOTICES_EVERY_SECONDS``, 60 by default, one process
  at a time): preservation orders whose time ran
  out are recorded as ended, and the notices due are sent (``notices.py``);
- ``deadlines`` (every 15 s, every process): the request gauges that alerts read.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from services.legal import metrics
from services.legal.config import LegalSettings
from services.legal.handlers import notices, preservation
from services.legal.handlers.retention import run_retention
from shared.db import Connection
from shared.retention import retention_schedule
from shared.runtime import Periodic, ServiceContext

#: Every state a request can be in (the gauge shows 0 for those with none).
STATES = (
    "received", "accepted", "refused", "approved", "no_data", "disclosed", "preserving",
    "preservation_ended",
)  # fmt: skip


async def _retention(ctx: ServiceContext) -> None:
    assert ctx.pool is not None  # noqa: S101 - legal uses the database
    async with ctx.pool.acquire() as conn:
        await run_retention(conn, LegalSettings(), now=datetime.now(UTC))


async def _notices(ctx: ServiceContext) -> None:
    assert ctx.pool is not None  # noqa: S101
    assert ctx.emitter is not None  # noqa: S101
    now = datetime.now(UTC)
    async with ctx.pool.acquire() as conn, conn.transaction():
        await preservation.record_ended(conn, now=now)
    await notices.send_due(ctx.emitter, LegalSettings(), now=now)


async def refresh_deadline_gauges(conn: Connection, *, now: datetime) -> None:
    """Requests by state; unanswered ones due within 1 h and 24 h, and overdue."""
    counts = dict.fromkeys(STATES, 0)
    for by_state in await conn.fetch("SELECT state, count(*) AS n FROM legal.requests GROUP BY 1"):
        counts[by_state["state"]] = by_state["n"]
    for state, count in counts.items():
        metrics.REQUESTS.labels(state).set(count)
    row = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE due_at <= $1) AS overdue,
                  count(*) FILTER (WHERE due_at > $1 AND due_at <= $2) AS within_1h,
                  count(*) FILTER (WHERE due_at > $1 AND due_at <= $3) AS within_24h,
                  coalesce(extract(epoch FROM $1 - min(due_at) FILTER (WHERE due_at <= $1)), 0)
                      AS oldest_overdue
           FROM legal.requests WHERE answered_at IS NULL AND due_at IS NOT NULL""",
        now,
        now + timedelta(hours=1),
        now + timedelta(hours=24),
    )
    assert row is not None  # noqa: S101 - an aggregate always has a row
    metrics.REQUESTS_OVERDUE.set(row["overdue"])
    metrics.REQUESTS_DUE.labels("1h").set(row["within_1h"])
    metrics.REQUESTS_DUE.labels("24h").set(row["within_24h"])
    metrics.OLDEST_OVERDUE_SECONDS.set(float(row["oldest_overdue"]))


async def _deadlines(ctx: ServiceContext) -> None:
    assert ctx.pool is not None  # noqa: S101
    async with ctx.pool.acquire() as conn:
        await refresh_deadline_gauges(conn, now=datetime.now(UTC))


def _notices_every() -> float:
    return float(os.environ.get("CRIBLE_LEGAL_NOTICES_EVERY_SECONDS", "60"))


PERIODIC = (
    retention_schedule("legal", _retention),
    Periodic("notices", _notices_every, _notices),
    Periodic("deadlines", 15, _deadlines, exclusive=False, first_after_seconds=1),
)
