"""What a case's priority is computed from, read from the tables, and re-ranking.

A case's urgency depends on its reporters' trust weights and on surge signals about its
subject, both of which can arrive after its verdict (reports and signals come on their own
topics). Intake reads them when a verdict arrives; the reports and surge consumers re-rank
the waiting cases they touch.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.dispatch.core.lifecycle import SETTLED, sql_list
from services.dispatch.core.priority import PriorityInputs, SurgeSignal, rank_at, urgency, velocity
from services.dispatch.core.reporters import NEUTRAL_WEIGHT, current_weight
from shared.db import Connection
from shared.events.screening import Severity
from shared.events.surge import SurgeKind

#: A case revision.
Key = tuple[uuid.UUID, int]


@dataclass(frozen=True, slots=True)
class Crowd:
    """The inputs of a case that come from outside its verdict."""

    reporter_weight: float
    viral: int = 0
    coordinated: int = 0

    def surges(self) -> tuple[SurgeSignal, ...]:
        """The surge part of the priority inputs."""
        return (
            SurgeSignal(SurgeKind.VIRAL, self.viral),
            SurgeSignal(SurgeKind.COORDINATED, self.coordinated),
        )


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What a case revision's own reports say: its crowd, its size and when it began."""

    #: The sum of the distinct reporters' trust weights, decayed to now.
    reporter_weight: float
    #: Reports and distinct reporters stored so far (they may arrive after the verdict).
    reports: int
    reporters: int
    #: The first report's time, if any report arrived.
    first_reported_at: datetime | None

    def velocity(self, report_count: int, opened_at: datetime, now: datetime) -> float:
        """Reports per hour over the case's own life: since its first report, or its opening."""
        first = opened_at
        if self.first_reported_at is not None:
            first = min(first, self.first_reported_at)
        return velocity(max(report_count, self.reports), min(first, now), now)


async def case_facts(
    conn: Connection, keys: Sequence[Key], reporter_counts: dict[Key, int], now: datetime
) -> dict[Key, CaseFacts]:
    """Each case revision's facts from its stored reports and its reporters' weights.

    Reporters whose reports have not arrived yet count as neutral (1.0): the verdict gives
    their number before the reports consumer has stored them.
    """
    rows = await conn.fetch(
        """SELECT cr.case_id, cr.revision, cr.reporter_id, count(*) AS reports,
                  min(cr.reported_at) AS first_at, min(rp.weight) AS weight,
                  min(rp.updated_at) AS updated_at
           FROM dispatch.case_reports cr
           LEFT JOIN dispatch.reporters rp ON rp.reporter_id = cr.reporter_id
           WHERE (cr.case_id, cr.revision) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
           GROUP BY cr.case_id, cr.revision, cr.reporter_id""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    weights: dict[Key, list[float]] = {}
    reports: dict[Key, int] = {}
    first: dict[Key, datetime] = {}
    for r in rows:
        key = (r["case_id"], r["revision"])
        weight = NEUTRAL_WEIGHT
        if r["weight"] is not None:
            weight = current_weight(r["weight"], r["updated_at"], now)
        weights.setdefault(key, []).append(weight)
        reports[key] = reports.get(key, 0) + r["reports"]
        first[key] = min(first.get(key, r["first_at"]), r["first_at"])
    facts = {}
    for key in keys:
        known = weights.get(key, [])
        missing = max(reporter_counts.get(key, 0) - len(known), 0)
        facts[key] = CaseFacts(
            reporter_weight=sum(known) + missing * NEUTRAL_WEIGHT,
            reports=reports.get(key, 0),
            reporters=len(known),
            first_reported_at=first.get(key),
        )
    return facts


async def surge_counts(conn: Connection, subjects: Iterable[str]) -> dict[str, tuple[int, int]]:
    """The largest viral and coordinated burst seen on each subject: (viral, coordinated).

    Windows overlap (hopping windows), so bursts are not summed: the largest one counts.
    """
    rows = await conn.fetch(
        """SELECT subject_key,
                  coalesce(max(count) FILTER (WHERE kind = 'viral'), 0) AS viral,
                  coalesce(max(count) FILTER (WHERE kind = 'coordinated'), 0) AS coordinated
           FROM dispatch.surges WHERE subject_key = ANY($1::text[]) GROUP BY 1""",
        sorted(set(subjects)),
    )
    return {r["subject_key"]: (r["viral"], r["coordinated"]) for r in rows}


def inputs(row: Any, crowd: Crowd, reports_per_hour: float) -> PriorityInputs:
    """The priority inputs of a stored case row with ``crowd``'s figures."""
    return PriorityInputs(
        severity=Severity(row["severity"]),
        confidence=min(max(float(row["confidence"]), 0.0), 1.0),
        reporter_weights=(crowd.reporter_weight,),
        reports_per_hour=reports_per_hour,
        opened_at=row["opened_at"],
        surges=crowd.surges(),
    )


async def rerank(conn: Connection, keys: Sequence[Key], now: datetime) -> int:
    """Recompute the urgency and rank of the waiting cases among ``keys``; how many.

    The case keeps its age (``opened_at``); its crowd, velocity and counts are re-read from
    its reports and surges.
    """
    rows = await conn.fetch(
        f"""SELECT case_id, revision, subject_key, severity, confidence, report_count,
                  reporter_count, opened_at
           FROM dispatch.cases
           WHERE (case_id, revision) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
             AND state NOT IN {sql_list(SETTLED)}
           ORDER BY case_id, revision FOR UPDATE""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    if not rows:
        return 0
    found = [(r["case_id"], r["revision"]) for r in rows]
    facts = await case_facts(
        conn, found, {(r["case_id"], r["revision"]): r["reporter_count"] for r in rows}, now
    )
    surges = await surge_counts(conn, (r["subject_key"] for r in rows))
    updates = []
    for r in rows:
        key = (r["case_id"], r["revision"])
        viral, coordinated = surges.get(r["subject_key"], (0, 0))
        fact = facts[key]
        crowd = Crowd(fact.reporter_weight, viral, coordinated)
        per_hour = fact.velocity(r["report_count"], r["opened_at"], now)
        priority_inputs = inputs(r, crowd, per_hour)
        updates.append(
            (
                *key,
                crowd.reporter_weight,
                viral,
                coordinated,
                urgency(priority_inputs),
                rank_at(priority_inputs),
                per_hour,
                fact.reports,
                fact.reporters,
            )
        )
    await conn.executemany(
        """UPDATE dispatch.cases SET reporter_weight = $3, surge_viral = $4,
               surge_coordinated = $5, urgency = $6, rank_at = $7, reports_per_hour = $8,
               reports_seen = $9, reporters_seen = $10
           WHERE case_id = $1 AND revision = $2""",
        updates,
    )
    return len(updates)
