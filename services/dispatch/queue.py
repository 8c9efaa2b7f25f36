"""The review queue in PostgreSQL: reviewers, leases, decisions.

``next_case`` is the heart: the most urgent case the reviewer may see (clearance, language,
not a case they decided, graphic exposure under their shift's cap), leased to them in the
same statement. ``FOR UPDATE SKIP LOCKED`` means two reviewers asking at once never get the
same case and never wait for each other; a lease past its expiry counts as queued again.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import asyncpg

from services.dispatch.priority import AGE_HALF
from services.dispatch.reviewers import GRAPHIC_CATEGORIES, Reviewer, Role
from shared.db import Connection
from shared.events.reports import Category

#: A shift, for the graphic exposure cap.
SHIFT = timedelta(hours=8)
DEFAULT_LEASE = timedelta(minutes=5)
_GRAPHIC = sorted(c.value for c in GRAPHIC_CATEGORIES)
_AGE_HALF_SECONDS = int(AGE_HALF.total_seconds())


def priority_sql() -> str:
    """The queue priority in [0, 1] as SQL over a case row: urgency lifted by age.

    The same formula as ``services.dispatch.priority.priority`` (divided by 100).
    """
    age = "extract(epoch FROM now() - opened_at)"
    return f"(urgency + (1 - urgency) * ({age} / ({age} + {_AGE_HALF_SECONDS})))"


def token_hash(token: str) -> bytes:
    """What is stored of a bearer token."""
    return hashlib.sha256(token.encode()).digest()


def new_token() -> str:
    """A fresh bearer token (shown once, stored hashed)."""
    return "crv_" + secrets.token_urlsafe(32)


def _reviewer(row: asyncpg.Record) -> Reviewer:
    return Reviewer(
        id=row["reviewer_id"],
        name=row["name"],
        languages=frozenset(row["languages"]),
        clearances=frozenset(Category(c) for c in row["clearances"]),
        roles=frozenset(Role(r) for r in row["roles"]),
        exposure_cap=row["exposure_cap"],
        active=row["active"],
    )


async def reviewer_by_token(conn: Connection, token: str) -> Reviewer | None:
    """The active reviewer holding this token."""
    row = await conn.fetchrow(
        "SELECT * FROM dispatch.reviewers WHERE token_hash = $1 AND active", token_hash(token)
    )
    return None if row is None else _reviewer(row)


async def next_case(
    conn: Connection, reviewer: Reviewer, *, lease: timedelta = DEFAULT_LEASE
) -> dict[str, Any] | None:
    """Lease the most urgent case ``reviewer`` may see; None if there is none."""
    exposure = await conn.fetchval(
        """SELECT count(*) FROM dispatch.exposures
           WHERE reviewer_id = $1 AND shown_at > now() - $2::interval""",
        reviewer.id,
        SHIFT,
    )
    row = await conn.fetchrow(
        f"""WITH candidate AS (
               SELECT case_id, revision FROM dispatch.cases c
               WHERE (CASE WHEN state = 'leased' AND lease_expires_at < now()
                           THEN waiting_state ELSE state END) = ANY($7::text[])
                 AND screened_category = ANY($2::text[])
                 AND (cardinality(languages) = 0 OR EXISTS (
                        SELECT 1 FROM unnest(languages) l
                        WHERE lower(split_part(l, '-', 1)) = ANY($3::text[])))
                 AND NOT ($4 AND screened_category = ANY($5::text[]))
                 AND NOT EXISTS (
                        SELECT 1 FROM dispatch.decisions d WHERE d.case_id = c.case_id
                        AND d.revision = c.revision AND d.reviewer_id = $1)
               ORDER BY {priority_sql()} DESC, opened_at
               LIMIT 1
               FOR UPDATE SKIP LOCKED)
           UPDATE dispatch.cases c SET state = 'leased', leased_by = $1,
                  waiting_state = CASE WHEN c.state = 'leased' THEN c.waiting_state
                                       ELSE c.state END,
                  lease_expires_at = now() + $6::interval, updated_at = now()
           FROM candidate
           WHERE c.case_id = candidate.case_id AND c.revision = candidate.revision
           RETURNING c.*""",
        reviewer.id,
        sorted(c.value for c in reviewer.clearances),
        sorted({lang.split("-", 1)[0].casefold() for lang in reviewer.languages}),
        exposure >= reviewer.exposure_cap,
        _GRAPHIC,
        lease,
        # Escalated cases go to seniors only.
        ["queued", "escalated"] if reviewer.senior else ["queued"],
    )
    if row is None:
        return None
    if row["screened_category"] in _GRAPHIC:
        await conn.execute(
            """INSERT INTO dispatch.exposures (reviewer_id, case_id, revision, shown_at)
               VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING""",
            reviewer.id,
            row["case_id"],
            row["revision"],
        )
    return dict(row)
