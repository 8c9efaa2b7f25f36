"""What the reports, surges and outcomes consumers keep (``ports.FollowerStore``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import orjson

from services.dispatch.adapters.postgres.evidence import add_reports
from services.dispatch.adapters.postgres.ranking import PostgresRanking
from services.dispatch.ports import Key, ReporterWeight
from shared.events.reports import ReportAccepted
from shared.events.surge import SurgeSignal

#: Stored per report for reviewers; longer excerpts are cut (the event allows 4 KiB).
_EVIDENCE_LIMIT = 16 * 1024


#: Transaction locks on reporters (``{mode}``: "" exclusive, "_shared"), in a fixed order:
#: the reports consumer's new reporters of a revision and a first weighing of the same
#: reporter take them, so one of the two always sees the other's rows in ``case_weighted``.
_LOCK_REPORTERS = """SELECT pg_advisory_xact_lock{mode}(k)
    FROM (SELECT DISTINCT hashtextextended('dispatch.reporters:' || id, 0) AS k
          FROM unnest($1::text[]) AS id) AS keys
    ORDER BY k"""


class PostgresFollowers(PostgresRanking):
    """Reports, surges and reporters' weights in dispatch's tables."""

    async def store_reports(self, reports: Sequence[ReportAccepted]) -> None:
        """Keep each report once."""
        rows: list[tuple[object, ...]] = []
        for accepted in reports:
            report = accepted.report
            evidence = None
            if report.evidence is not None:
                evidence = orjson.dumps(report.evidence.model_dump(mode="json", exclude_none=True))
            rows.append(
                (
                    accepted.case_id,
                    accepted.case_revision,
                    report.report_id,
                    report.reporter_id,
                    report.reporter_language,
                    report.category.value,
                    report.text,
                    None
                    if evidence is None or len(evidence) > _EVIDENCE_LIMIT
                    else evidence.decode(),
                    report.reported_at,
                )
            )
        if not rows:
            return
        # One statement over arrays for the batch; a report seen before, or twice in the
        # batch, is kept once. Only the reports inserted now add to their revision's
        # reporters and tallies, so a redelivery counts nothing twice; in key order, so two
        # lanes lock tallies in the same order.
        joined = await self.conn.fetch(
            """WITH new AS (
                   INSERT INTO dispatch.case_reports (case_id, revision, report_id,
                       reporter_id, language, category, text, evidence, reported_at)
                   SELECT r.case_id, r.revision, r.report_id, r.reporter_id, r.language,
                          r.category, r.text, r.evidence::json, r.reported_at
                   FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[],
                               $6::text[], $7::text[], $8::text[], $9::timestamptz[])
                        AS r (case_id, revision, report_id, reporter_id, language, category,
                              text, evidence, reported_at)
                   ON CONFLICT DO NOTHING
                   RETURNING case_id, revision, reporter_id, reported_at),
               who AS (
                   INSERT INTO dispatch.case_reporters (case_id, revision, reporter_id)
                   SELECT DISTINCT case_id, revision, reporter_id FROM new
                   ORDER BY case_id, revision, reporter_id
                   ON CONFLICT DO NOTHING
                   RETURNING case_id, revision, reporter_id),
               added AS (
                   SELECT n.case_id, n.revision, count(*) AS reports,
                          min(n.reported_at) AS first_at,
                          (SELECT count(*) FROM who
                           WHERE who.case_id = n.case_id AND who.revision = n.revision)
                              AS reporters
                   FROM new n GROUP BY n.case_id, n.revision),
               tallied AS (
                   INSERT INTO dispatch.case_tallies (case_id, revision, reports, reporters,
                       first_at)
                   SELECT case_id, revision, reports, reporters, first_at FROM added
                   ORDER BY case_id, revision
                   ON CONFLICT (case_id, revision) DO UPDATE SET
                       reports = case_tallies.reports + EXCLUDED.reports,
                       reporters = case_tallies.reporters + EXCLUDED.reporters,
                       first_at = LEAST(case_tallies.first_at, EXCLUDED.first_at))
               SELECT case_id, revision, reporter_id FROM who""",
            *(list(column) for column in zip(*rows, strict=True)),
        )
        if not joined:
            return
        ids = sorted({r["reporter_id"] for r in joined})
        # A weighing of the same reporters either committed before these locks (its weight
        # is seen below) or waits for this transaction (and finds these rows itself).
        await self.conn.execute(_LOCK_REPORTERS.format(mode="_shared"), ids)
        await self.conn.execute(
            """INSERT INTO dispatch.case_weighted (case_id, revision, reporter_id)
               SELECT j.case_id, j.revision, j.reporter_id
               FROM unnest($1::uuid[], $2::int[], $3::text[]) AS j (case_id, revision, reporter_id)
               JOIN dispatch.reporters rp ON rp.reporter_id = j.reporter_id
               ON CONFLICT DO NOTHING""",
            [r["case_id"] for r in joined],
            [r["revision"] for r in joined],
            [r["reporter_id"] for r in joined],
        )

    async def add_to_evidence(self, reports: Sequence[ReportAccepted]) -> None:
        """See ``evidence.add_reports``."""
        await add_reports(
            self.conn, [(r.case_id, r.case_revision, r.report.report_id) for r in reports]
        )

    async def store_surges(self, signals: Sequence[SurgeSignal], now: datetime) -> None:
        """Keep the largest figures of each signal (they only grow)."""
        await self.conn.executemany(
            """INSERT INTO dispatch.surges (signal_id, subject_key, kind, count, reporters,
                   window_end, received_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (signal_id) DO UPDATE SET
                   count = GREATEST(surges.count, EXCLUDED.count),
                   reporters = GREATEST(surges.reporters, EXCLUDED.reporters),
                   received_at = EXCLUDED.received_at""",
            [
                (
                    s.signal_id,
                    s.subject.key(),
                    s.kind.value,
                    s.count,
                    s.distinct_reporters,
                    s.window_end,
                    now,
                )
                for s in signals
            ],
        )

    async def first_weighing(self, decision_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Mark decisions as weighed; those not weighed before."""
        fresh = await self.conn.fetch(
            """INSERT INTO dispatch.weighed_decisions (decision_id, weighed_at)
               SELECT unnest($1::uuid[]), now() ON CONFLICT DO NOTHING RETURNING decision_id""",
            list(decision_ids),
        )
        return {r["decision_id"] for r in fresh}

    async def reporters_of(self, key: Key) -> list[str]:
        """The distinct reporters of a case revision, in a fixed order."""
        rows = await self.conn.fetch(
            """SELECT reporter_id FROM dispatch.case_reporters
               WHERE case_id = $1 AND revision = $2 ORDER BY reporter_id""",
            *key,
        )
        return [r["reporter_id"] for r in rows]

    async def lock_weights(self, reporter_ids: Sequence[str], at: datetime) -> list[ReporterWeight]:
        """Each reporter's weight (neutral if new), locked in a fixed order."""
        # Neutral rows first, so that every weight below is read under its row lock: two
        # lanes weighing the same reporter at once never lose one of the moves.
        await self.conn.execute(_LOCK_REPORTERS.format(mode=""), sorted(reporter_ids))
        first = await self.conn.fetch(
            """INSERT INTO dispatch.reporters (reporter_id, weight, updated_at)
               SELECT unnest($1::text[]), 1.0, $2 ON CONFLICT DO NOTHING
               RETURNING reporter_id""",
            list(reporter_ids),
            at,
        )
        if first:
            # A reporter weighed for the first time: the revisions they reported now read
            # their weight (the reports consumer adds those it stores later).
            await self.conn.execute(
                """INSERT INTO dispatch.case_weighted (case_id, revision, reporter_id)
                   SELECT case_id, revision, reporter_id FROM dispatch.case_reporters
                   WHERE reporter_id = ANY($1::text[])
                   ON CONFLICT DO NOTHING""",
                [r["reporter_id"] for r in first],
            )
        rows = await self.conn.fetch(
            """SELECT reporter_id, weight, updated_at FROM dispatch.reporters
               WHERE reporter_id = ANY($1::text[]) ORDER BY reporter_id FOR UPDATE""",
            list(reporter_ids),
        )
        return [ReporterWeight(r["reporter_id"], r["weight"], r["updated_at"]) for r in rows]

    async def set_weights(self, weights: Sequence[ReporterWeight], *, confirmed: bool) -> None:
        """Store moved weights and count the confirmation or rejection."""
        await self.conn.executemany(
            """UPDATE dispatch.reporters SET weight = $2,
                   updated_at = GREATEST(updated_at, $3),
                   confirmed = confirmed + $4, rejected = rejected + $5
               WHERE reporter_id = $1""",
            [
                (w.reporter_id, w.weight, w.updated_at, int(confirmed), int(not confirmed))
                for w in weights
            ],
        )
