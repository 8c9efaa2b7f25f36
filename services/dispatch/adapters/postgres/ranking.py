"""What a case's rank is computed from, read from the tables, and ranks written back.

The rules are ``core/ranking.py``'s; this is where their inputs are read (reports, reporters'
weights, surges) and their results stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from services.dispatch.core.lifecycle import SETTLED, sql_list
from services.dispatch.core.ranking import CaseFacts, Rank
from services.dispatch.core.reporters import NEUTRAL_WEIGHT, current_weight
from services.dispatch.ports import Key, WaitingCase
from shared.db import Connection
from shared.events.screening import Severity


async def case_facts(
    conn: Connection, keys: Sequence[Key], reporter_counts: Mapping[Key, int], now: datetime
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


class PostgresRanking:
    """The queue as re-ranking sees it (``ports.RankStore``), on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def facts(
        self, keys: Sequence[Key], reporter_counts: Mapping[Key, int], now: datetime
    ) -> dict[Key, CaseFacts]:
        """See ``case_facts``."""
        return await case_facts(self.conn, keys, reporter_counts, now)

    async def surges(self, subjects: Iterable[str]) -> dict[str, tuple[int, int]]:
        """See ``surge_counts``."""
        return await surge_counts(self.conn, subjects)

    async def waiting(self, keys: Sequence[Key]) -> list[WaitingCase]:
        """The case revisions among ``keys`` not yet settled, locked in key order."""
        rows = await self.conn.fetch(
            f"""SELECT case_id, revision, subject_key, severity, confidence, report_count,
                      reporter_count, opened_at
               FROM dispatch.cases
               WHERE (case_id, revision) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
                 AND state NOT IN {sql_list(SETTLED)}
               ORDER BY case_id, revision FOR UPDATE""",
            [k[0] for k in keys],
            [k[1] for k in keys],
        )
        return [
            WaitingCase(
                key=(r["case_id"], r["revision"]),
                subject_key=r["subject_key"],
                severity=Severity(r["severity"]),
                confidence=float(r["confidence"]),
                report_count=r["report_count"],
                reporter_count=r["reporter_count"],
                opened_at=r["opened_at"],
            )
            for r in rows
        ]

    async def of_subjects(self, subjects: Sequence[str]) -> list[Key]:
        """The case revisions not yet settled on these subjects."""
        rows = await self.conn.fetch(
            f"""SELECT case_id, revision FROM dispatch.cases
               WHERE subject_key = ANY($1::text[]) AND state NOT IN {sql_list(SETTLED)}""",
            sorted(set(subjects)),
        )
        return [(r["case_id"], r["revision"]) for r in rows]

    async def save_ranks(self, ranks: Sequence[tuple[Key, Rank]]) -> None:
        """Store new ranks, figures and counts; ``opened_at`` never changes."""
        await self.conn.executemany(
            """UPDATE dispatch.cases SET reporter_weight = $3, surge_viral = $4,
                   surge_coordinated = $5, urgency = $6, rank_at = $7, reports_per_hour = $8,
                   reports_seen = $9, reporters_seen = $10
               WHERE case_id = $1 AND revision = $2""",
            [
                (
                    *key,
                    r.crowd.reporter_weight,
                    r.crowd.viral,
                    r.crowd.coordinated,
                    r.urgency,
                    r.rank_at,
                    r.reports_per_hour,
                    r.facts.reports,
                    r.facts.reporters,
                )
                for key, r in ranks
            ],
        )
