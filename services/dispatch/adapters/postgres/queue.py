"""The review queue in PostgreSQL: reviewers, leases, decisions.

``next_case`` is the heart: the most urgent case the reviewer may see (clearance, language,
not a case they decided, graphic exposure under their shift's cap), leased to them in the
same statement. ``FOR UPDATE SKIP LOCKED`` means two reviewers asking at once never get the
same case and never wait for each other; a lease past its expiry counts as waiting again.
Cases are served by ``rank_at`` (``priority.rank_at``), which an index keeps in order: a
request reads the first few index entries, not the whole queue.

The SQL is the lease rule that runs; ``reviewers.eligible`` states it in Python for the
review state machine, and ``tests/integration/dispatch/test_lease_rule.py`` checks on
generated queues that ``next_case`` leases the first case by rank ``eligible`` admits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from services.dispatch.core.lifecycle import IN_QUEUE, WAITING, State, sql_list
from services.dispatch.core.priority import AGE_HALF, BANDS, priority_of_rank
from services.dispatch.core.reviewers import GRAPHIC_CATEGORIES, Reviewer, Role
from shared.db import Connection
from shared.events.reports import Category

#: A shift, for the graphic exposure cap.
SHIFT = timedelta(hours=8)
DEFAULT_LEASE = timedelta(minutes=5)
_GRAPHIC = sorted(c.value for c in GRAPHIC_CATEGORIES)
_AGE_HALF_SECONDS = int(AGE_HALF.total_seconds())


#: The lifecycle's states as SQL lists: waiting, and waiting or held under a lease.
WAITING_SQL = sql_list(WAITING)
QUEUE_SQL = sql_list(IN_QUEUE)
_LEASED = State.LEASED.value


def priority_sql() -> str:
    """The displayed priority in [0, 100) as SQL over a case row (``priority_of_rank``)."""
    effective = "greatest(extract(epoch FROM now() - rank_at), 0)"
    return f"(100 * {effective} / ({effective} + {_AGE_HALF_SECONDS}))"


def band_sql() -> str:
    """The priority band (P0 to P3) as SQL over a case row (``priority.priority_band``)."""
    p = priority_sql()
    arms = " ".join(f"WHEN {p} >= {lower} THEN '{band}'" for band, lower in BANDS)
    return f"(CASE {arms} ELSE 'P3' END)"


def shown_counts(row: Any) -> tuple[int, int]:
    """A case's reports and distinct reporters: its own, or the last verdict's if larger."""
    return (
        max(row["report_count"], row["reports_seen"]),
        max(row["reporter_count"], row["reporters_seen"]),
    )


def priority_of(rank: datetime) -> float:
    """The priority now of a case ranked at ``rank``."""
    return priority_of_rank(rank, datetime.now(UTC))


def token_hash(token: str) -> bytes:
    """What is stored of a bearer token."""
    return hashlib.sha256(token.encode()).digest()


def new_token() -> str:
    """A fresh bearer token (shown once, stored hashed)."""
    return "crv_" + secrets.token_urlsafe(32)


def reviewer_of(row: asyncpg.Record) -> Reviewer:
    """A reviewer from a row of dispatch.reviewers."""
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
    return None if row is None else reviewer_of(row)


async def next_case(
    conn: Connection, reviewer: Reviewer, *, lease: timedelta = DEFAULT_LEASE
) -> dict[str, Any] | None:
    """Lease the most urgent case ``reviewer`` may see; None if there is none.

    One statement (one round trip, atomic on its own): the shift's graphic exposure, the
    candidate, the lease and the exposure record. The row comes back with ``took_over``
    true when it was taken from an expired lease.
    """
    # Escalated cases go to seniors only; appeals and second reviews to anyone eligible.
    states = sorted(s.value for s in WAITING if s is not State.ESCALATED)
    if reviewer.senior:
        states.append(State.ESCALATED.value)
    row = await conn.fetchrow(
        f"""WITH exposure AS (
               SELECT count(*) >= $4 AS capped FROM dispatch.exposures
               WHERE reviewer_id = $1 AND shown_at > now() - $8::interval),
           candidate AS (
               SELECT case_id, revision, state AS was FROM dispatch.cases c
               WHERE state IN {QUEUE_SQL}
                 AND (CASE WHEN state = '{_LEASED}' AND lease_expires_at < now()
                           THEN waiting_state ELSE state END) = ANY($7::text[])
                 AND screened_category = ANY($2::text[])
                 AND (cardinality(languages) = 0 OR EXISTS (
                        SELECT 1 FROM unnest(languages) l
                        WHERE lower(split_part(l, '-', 1)) = ANY($3::text[])))
                 AND NOT ((SELECT capped FROM exposure) AND screened_category = ANY($5::text[]))
                 AND NOT EXISTS (
                        SELECT 1 FROM dispatch.decisions d WHERE d.case_id = c.case_id
                        AND d.revision = c.revision AND d.reviewer_id = $1)
               ORDER BY rank_at
               LIMIT 1
               FOR UPDATE SKIP LOCKED),
           leased AS (
               UPDATE dispatch.cases c SET state = '{_LEASED}', leased_by = $1,
                      waiting_state = CASE WHEN c.state = '{_LEASED}' THEN c.waiting_state
                                           ELSE c.state END,
                      lease_expires_at = now() + $6::interval, updated_at = now()
               FROM candidate
               WHERE c.case_id = candidate.case_id AND c.revision = candidate.revision
               RETURNING c.*, candidate.was = '{_LEASED}' AS took_over),
           shown AS (
               INSERT INTO dispatch.exposures (reviewer_id, case_id, revision, shown_at)
               SELECT $1, case_id, revision, now() FROM leased
               WHERE screened_category = ANY($5::text[])
               ON CONFLICT DO NOTHING)
           SELECT * FROM leased""",
        reviewer.id,
        sorted(c.value for c in reviewer.clearances),
        sorted({lang.split("-", 1)[0].casefold() for lang in reviewer.languages}),
        reviewer.exposure_cap,
        _GRAPHIC,
        lease,
        states,
        SHIFT,
    )
    return None if row is None else dict(row)


async def reports(conn: Connection, case_id: Any, revision: int) -> list[dict[str, Any]]:
    """The reports of a case revision, oldest first (what reviewers read)."""
    rows = await conn.fetch(
        """SELECT report_id, language, category, text, evidence, reported_at
           FROM dispatch.case_reports WHERE case_id = $1 AND revision = $2
           ORDER BY reported_at, report_id LIMIT 200""",
        case_id,
        revision,
    )
    return [
        {
            "report_id": r["report_id"],
            "language": r["language"],
            "category": r["category"],
            "text": r["text"],
            "evidence": None if r["evidence"] is None else orjson.loads(r["evidence"]),
            "reported_at": r["reported_at"].isoformat(),
        }
        for r in rows
    ]


async def history(conn: Connection, case_id: Any) -> list[dict[str, Any]]:
    """Every revision of the case with its decisions and appeals, oldest first."""
    rows = await conn.fetch(
        """SELECT c.revision, c.state, c.opened_at, d.decision_id, d.reviewer_id, d.outcome,
                  d.policy_reason, d.final, d.decided_at, d.reverses
           FROM dispatch.cases c LEFT JOIN dispatch.decisions d
             ON d.case_id = c.case_id AND d.revision = c.revision
           WHERE c.case_id = $1 ORDER BY c.revision, d.decided_at""",
        case_id,
    )
    appeals = await conn.fetch(
        """SELECT revision, reason, filed_at, decision_id, decided_by
           FROM dispatch.appeals WHERE case_id = $1 ORDER BY filed_at""",
        case_id,
    )
    revisions: dict[int, dict[str, Any]] = {}
    for r in rows:
        entry = revisions.setdefault(
            r["revision"],
            {
                "revision": r["revision"],
                "state": r["state"],
                "opened_at": r["opened_at"].isoformat(),
                "decisions": [],
                "appeals": [],
            },
        )
        if r["decision_id"] is not None:
            entry["decisions"].append(
                {
                    "decision_id": str(r["decision_id"]),
                    "reviewer_id": r["reviewer_id"],
                    "outcome": r["outcome"],
                    "policy_reason": r["policy_reason"],
                    "final": r["final"],
                    "reverses": None if r["reverses"] is None else str(r["reverses"]),
                    "decided_at": r["decided_at"].isoformat(),
                }
            )
    for a in appeals:
        if a["revision"] in revisions:
            revisions[a["revision"]]["appeals"].append(
                {
                    "reason": a["reason"],
                    "filed_at": a["filed_at"].isoformat(),
                    "appealed_decision": str(a["decision_id"]),
                    "decided_by": None if a["decided_by"] is None else str(a["decided_by"]),
                }
            )
    return list(revisions.values())


async def open_appeals(conn: Connection, reviewer: Reviewer) -> list[dict[str, Any]]:
    """Appeals not yet decided in the categories ``reviewer`` is cleared for."""
    rows = await conn.fetch(
        """SELECT a.appeal_id, a.case_id, a.revision, a.reason, a.filed_at, c.state,
                  c.screened_category, d.reviewer_id AS original_reviewer, d.outcome
           FROM dispatch.appeals a
           JOIN dispatch.cases c ON c.case_id = a.case_id AND c.revision = a.revision
           JOIN dispatch.decisions d ON d.decision_id = a.decision_id
           WHERE a.decided_by IS NULL AND c.screened_category = ANY($1::text[])
           ORDER BY a.filed_at LIMIT 500""",
        sorted(c.value for c in reviewer.clearances),
    )
    return [
        {
            "appeal_id": str(r["appeal_id"]),
            "case_id": str(r["case_id"]),
            "revision": r["revision"],
            "category": r["screened_category"],
            "state": r["state"],
            "reason": r["reason"],
            "filed_at": r["filed_at"].isoformat(),
            "original_reviewer": r["original_reviewer"],
            "original_outcome": r["outcome"],
        }
        for r in rows
    ]


async def stats(conn: Connection) -> list[dict[str, Any]]:
    """Waiting cases by category: count, by band, the oldest one's age, overdue ones."""
    rows = await conn.fetch(
        f"""SELECT screened_category AS category, count(*) AS waiting,
                   extract(epoch FROM now() - min(opened_at))::float8 AS oldest_seconds,
                   count(*) FILTER (WHERE due_at < now()) AS overdue,
                   count(*) FILTER (WHERE state = '{_LEASED}'
                                    AND lease_expires_at >= now()) AS leased,
                   count(*) FILTER (WHERE {band_sql()} = 'P0') AS p0,
                   count(*) FILTER (WHERE {band_sql()} = 'P1') AS p1,
                   count(*) FILTER (WHERE {band_sql()} = 'P2') AS p2,
                   count(*) FILTER (WHERE {band_sql()} = 'P3') AS p3
            FROM dispatch.cases WHERE state IN {QUEUE_SQL}
            GROUP BY 1 ORDER BY 1"""
    )
    return [dict(r) for r in rows]


async def shift_stats(conn: Connection, reviewer: Reviewer) -> dict[str, Any]:
    """The reviewer's current shift: decisions, graphic cases seen, leases held."""
    row = await conn.fetchrow(
        f"""SELECT
             (SELECT count(*) FROM dispatch.decisions
              WHERE reviewer_id = $1 AND decided_at > now() - $2::interval) AS decisions,
             (SELECT count(*) FROM dispatch.exposures
              WHERE reviewer_id = $1 AND shown_at > now() - $2::interval) AS exposure,
             (SELECT count(*) FROM dispatch.cases WHERE state = '{_LEASED}'
              AND leased_by = $1 AND lease_expires_at >= now()) AS leases""",
        reviewer.id,
        SHIFT,
    )
    assert row is not None  # noqa: S101 - a SELECT of subqueries returns one row
    return {
        "shift_hours": SHIFT.total_seconds() / 3600,
        "decisions_this_shift": row["decisions"],
        "graphic_cases_this_shift": row["exposure"],
        "graphic_allowance_left": max(reviewer.exposure_cap - row["exposure"], 0),
        "leases_held": row["leases"],
    }


async def reviewer_figures(conn: Connection) -> list[dict[str, Any]]:
    """Per reviewer: decisions in 8 and 24 hours, agreement in dual review, appeals upheld.

    Agreement: of the second reviews this reviewer took, or that followed their first
    review, the share where both gave the same outcome. Upheld: of the appeals decided
    against this reviewer's decisions, the share whose decision kept the same outcome.
    """
    rows = await conn.fetch(
        """WITH pairs AS (
               SELECT f.reviewer_id AS first_by, s.reviewer_id AS second_by,
                      f.outcome = s.outcome AS agreed
               FROM dispatch.decisions f
               JOIN dispatch.decisions s ON s.case_id = f.case_id AND s.revision = f.revision
                    AND s.decided_at > f.decided_at AND s.reviewer_id <> f.reviewer_id
               WHERE NOT f.final
                 AND NOT EXISTS (SELECT 1 FROM dispatch.decisions m
                                 WHERE m.case_id = f.case_id AND m.revision = f.revision
                                   AND m.decided_at > f.decided_at
                                   AND m.decided_at < s.decided_at)),
           involved AS (
               SELECT first_by AS reviewer_id, agreed FROM pairs
               UNION ALL SELECT second_by, agreed FROM pairs),
           appealed AS (
               SELECT o.reviewer_id, o.outcome = n.outcome AS upheld
               FROM dispatch.appeals a
               JOIN dispatch.decisions o ON o.decision_id = a.decision_id
               JOIN dispatch.decisions n ON n.decision_id = a.decided_by)
           SELECT r.reviewer_id, r.name, r.roles,
                  (SELECT count(*) FROM dispatch.decisions d WHERE d.reviewer_id = r.reviewer_id
                     AND d.decided_at > now() - interval '8 hours') AS decisions_8h,
                  (SELECT count(*) FROM dispatch.decisions d WHERE d.reviewer_id = r.reviewer_id
                     AND d.decided_at > now() - interval '24 hours') AS decisions_24h,
                  (SELECT avg(agreed::int) FROM involved i
                     WHERE i.reviewer_id = r.reviewer_id)::float8 AS agreement,
                  (SELECT count(*) FROM involved i WHERE i.reviewer_id = r.reviewer_id) AS pairs,
                  (SELECT avg(upheld::int) FROM appealed p
                     WHERE p.reviewer_id = r.reviewer_id)::float8 AS upheld,
                  (SELECT count(*) FROM appealed p WHERE p.reviewer_id = r.reviewer_id)
                     AS appeals
           FROM dispatch.reviewers r WHERE r.active
           ORDER BY decisions_24h DESC, r.reviewer_id"""
    )
    return [
        dict(r) | {"per_hour": round(r["decisions_8h"] / 8, 1)}
        for r in rows
        if "platform" not in r["roles"]
    ]
