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
    """Each case revision's facts from its tallies and its reporters' weights.

    Reporters whose reports have not arrived yet count as neutral (1.0): the verdict gives
    their number before the reports consumer has stored them; so do reporters without a
    stored weight. The counts come from ``case_tallies``, one row per case revision kept
    as reports arrive, and the weights from ``case_weighted`` (its reporters who have one),
    not from its reports: the cost does not grow with its history.
    """
    rows = await conn.fetch(
        """WITH k AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS k (case_id, revision))
           SELECT t.case_id, t.revision, t.reports, t.first_at, t.reporters, w.weights, w.moved
           FROM k JOIN dispatch.case_tallies t
                ON t.case_id = k.case_id AND t.revision = k.revision
           LEFT JOIN (
               SELECT cr.case_id, cr.revision,
                      array_agg(rp.weight ORDER BY rp.reporter_id) AS weights,
                      array_agg(rp.updated_at ORDER BY rp.reporter_id) AS moved
               FROM k JOIN dispatch.case_weighted cr
                    ON cr.case_id = k.case_id AND cr.revision = k.revision
               JOIN dispatch.reporters rp ON rp.reporter_id = cr.reporter_id
               GROUP BY cr.case_id, cr.revision) w
               ON w.case_id = t.case_id AND w.revision = t.revision""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    found = {(r["case_id"], r["revision"]): r for r in rows}
    facts = {}
    for key in keys:
        row = found.get(key)
        if row is None:
            facts[key] = CaseFacts(
                reporter_weight=reporter_counts.get(key, 0) * NEUTRAL_WEIGHT,
                reports=0,
                reporters=0,
                first_reported_at=None,
            )
            continue
        stored = [
            current_weight(weight, moved, now)
            for weight, moved in zip(row["weights"] or (), row["moved"] or (), strict=True)
        ]
        neutral = row["reporters"] - len(stored)
        missing = max(reporter_counts.get(key, 0) - row["reporters"], 0)
        facts[key] = CaseFacts(
            reporter_weight=sum(stored) + (neutral + missing) * NEUTRAL_WEIGHT,
            reports=row["reports"],
            reporters=row["reporters"],
            first_reported_at=row["first_at"],
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
        if not ranks:
            return
        # One statement over arrays for the batch (``waiting`` gives each case once).
        rows = [
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
        ]
        await self.conn.execute(
            """UPDATE dispatch.cases SET reporter_weight = r.reporter_weight,
                   surge_viral = r.surge_viral, surge_coordinated = r.surge_coordinated,
                   urgency = r.urgency, rank_at = r.rank_at,
                   reports_per_hour = r.reports_per_hour, reports_seen = r.reports_seen,
                   reporters_seen = r.reporters_seen
               FROM unnest($1::uuid[], $2::int[], $3::real[], $4::int[], $5::int[],
                           $6::real[], $7::timestamptz[], $8::real[], $9::int[], $10::int[])
                    AS r (case_id, revision, reporter_weight, surge_viral, surge_coordinated,
                          urgency, rank_at, reports_per_hour, reports_seen, reporters_seen)
               WHERE cases.case_id = r.case_id AND cases.revision = r.revision""",
            *(list(column) for column in zip(*rows, strict=True)),
        )
