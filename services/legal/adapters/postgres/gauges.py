"""The request gauges alerts read: requests by state, due soon, overdue."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from services.legal import metrics
from shared.db import Connection


async def refresh_deadline_gauges(
    conn: Connection, *, now: datetime, states: Iterable[str]
) -> None:
    """Requests by state; unanswered ones due within 1 h and 24 h, and overdue."""
    counts = dict.fromkeys(states, 0)
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
    if row is None:
        return  # an aggregate always has a row
    metrics.REQUESTS_OVERDUE.set(row["overdue"])
    metrics.REQUESTS_DUE.labels("1h").set(row["within_1h"])
    metrics.REQUESTS_DUE.labels("24h").set(row["within_24h"])
    metrics.OLDEST_OVERDUE_SECONDS.set(float(row["oldest_overdue"]))
