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

from services.dispatch.priority import PriorityInputs, SurgeSignal, rank_at, urgency
from services.dispatch.reporters import NEUTRAL_WEIGHT, current_weight
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


async def reporter_weights(
    conn: Connection, keys: Sequence[Key], reporter_counts: dict[Key, int], now: datetime
) -> dict[Key, float]:
    """The sum of each case revision's distinct reporters' weights, decayed to ``now``.

    Reporters whose reports have not arrived yet count as neutral (1.0): the verdict gives
    their number before the reports consumer has stored them.
    """
    rows = await conn.fetch(
        """SELECT DISTINCT ON (cr.case_id, cr.revision, cr.reporter_id)
                  cr.case_id, cr.revision, rp.weight, rp.updated_at
           FROM dispatch.case_reports cr
           LEFT JOIN dispatch.reporters rp ON rp.reporter_id = cr.reporter_id
           WHERE (cr.case_id, cr.revision) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    known: dict[Key, list[float]] = {}
    for r in rows:
        weight = NEUTRAL_WEIGHT
        if r["weight"] is not None:
            weight = current_weight(r["weight"], r["updated_at"], now)
        known.setdefault((r["case_id"], r["revision"]), []).append(weight)
    sums = {}
    for key in keys:
        weights = known.get(key, [])
        missing = max(reporter_counts.get(key, 0) - len(weights), 0)
        sums[key] = sum(weights) + missing * NEUTRAL_WEIGHT
    return sums


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


def inputs(row: Any, crowd: Crowd) -> PriorityInputs:
    """The priority inputs of a stored case row with ``crowd``'s figures."""
    return PriorityInputs(
        severity=Severity(row["severity"]),
        confidence=min(max(float(row["confidence"]), 0.0), 1.0),
        reporter_weights=(crowd.reporter_weight,),
        reports_per_hour=float(row["reports_per_hour"]),
        opened_at=row["opened_at"],
        surges=crowd.surges(),
    )


async def rerank(conn: Connection, keys: Sequence[Key], now: datetime) -> int:
    """Recompute the urgency and rank of the waiting cases among ``keys``; how many."""
    rows = await conn.fetch(
        """SELECT case_id, revision, subject_key, severity, confidence, reports_per_hour,
                  reporter_count, opened_at
           FROM dispatch.cases
           WHERE (case_id, revision) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
             AND state NOT IN ('decided', 'dismissed')
           ORDER BY case_id, revision FOR UPDATE""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    if not rows:
        return 0
    found = [(r["case_id"], r["revision"]) for r in rows]
    weights = await reporter_weights(
        conn, found, {(r["case_id"], r["revision"]): r["reporter_count"] for r in rows}, now
    )
    surges = await surge_counts(conn, (r["subject_key"] for r in rows))
    updates = []
    for r in rows:
        key = (r["case_id"], r["revision"])
        viral, coordinated = surges.get(r["subject_key"], (0, 0))
        crowd = Crowd(weights[key], viral, coordinated)
        priority_inputs = inputs(r, crowd)
        updates.append(
            (
                *key,
                crowd.reporter_weight,
                viral,
                coordinated,
                urgency(priority_inputs),
                rank_at(priority_inputs),
            )
        )
    await conn.executemany(
        """UPDATE dispatch.cases SET reporter_weight = $3, surge_viral = $4,
               surge_coordinated = $5, urgency = $6, rank_at = $7
           WHERE case_id = $1 AND revision = $2""",
        updates,
    )
    return len(updates)
