"""The queue as intake sees it (``ports.VerdictStore``): verdicts into ``dispatch.cases``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.dispatch.adapters.postgres.evidence import preserve
from services.dispatch.adapters.postgres.ranking import PostgresRanking
from services.dispatch.adapters.postgres.statements import keep_statements
from services.dispatch.core.lifecycle import State
from services.dispatch.ports import Key, KnownCase, Preservation, QueuedVerdict
from shared.events.decisions import StatementIssued


class PostgresVerdicts(PostgresRanking):
    """Case revisions as verdicts make and update them, on one connection."""

    async def known(self, keys: Sequence[Key]) -> dict[Key, KnownCase]:
        """The case revisions the queue holds among ``keys``, locked in key order."""
        rows = await self.conn.fetch(
            """SELECT case_id, revision, report_count, state, automatic_action_id, opened_at
               FROM dispatch.cases
               WHERE (case_id, revision) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
               ORDER BY case_id, revision FOR UPDATE""",
            [k[0] for k in keys],
            [k[1] for k in keys],
        )
        return {
            (r["case_id"], r["revision"]): KnownCase(
                r["report_count"], State(r["state"]), r["automatic_action_id"], r["opened_at"]
            )
            for r in rows
        }

    async def save_verdicts(self, queued: Sequence[QueuedVerdict]) -> None:
        """Insert each case revision, or update it in place (its age and deadline kept).

        One pipelined ``executemany`` for the batch: intake's latency is mostly round trips.
        """
        if not queued:
            return
        await self.conn.executemany(
            """INSERT INTO dispatch.cases (case_id, revision, subject, category,
                   screened_category, route, severity, confidence, qa_sample, report_count,
                   reporter_count, languages, urgency, opened_at, due_at, state, verdict_id,
                   automatic_action_id, verdict, updated_at, subject_key, reporter_weight,
                   reports_per_hour, surge_viral, surge_coordinated, rank_at, in_force,
                   reports_seen, reporters_seen)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                       $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $29, $30)
               ON CONFLICT (case_id, revision) DO UPDATE SET
                   screened_category = EXCLUDED.screened_category, route = EXCLUDED.route,
                   severity = EXCLUDED.severity, confidence = EXCLUDED.confidence,
                   qa_sample = EXCLUDED.qa_sample, report_count = EXCLUDED.report_count,
                   reporter_count = EXCLUDED.reporter_count, languages = EXCLUDED.languages,
                   urgency = EXCLUDED.urgency, due_at = LEAST(cases.due_at, EXCLUDED.due_at),
                   state = $28, verdict_id = EXCLUDED.verdict_id,
                   automatic_action_id = EXCLUDED.automatic_action_id,
                   verdict = EXCLUDED.verdict, updated_at = EXCLUDED.updated_at,
                   reporter_weight = EXCLUDED.reporter_weight,
                   reports_per_hour = EXCLUDED.reports_per_hour,
                   surge_viral = EXCLUDED.surge_viral,
                   surge_coordinated = EXCLUDED.surge_coordinated,
                   rank_at = EXCLUDED.rank_at, reports_seen = EXCLUDED.reports_seen,
                   reporters_seen = EXCLUDED.reporters_seen,
                   in_force = coalesce(cases.in_force, EXCLUDED.in_force)""",
            [_row(q) for q in queued],
        )

    async def preserve(self, evidence: Preservation) -> None:
        """See ``evidence.preserve``."""
        await preserve(self.conn, evidence)

    async def keep_statements(self, statements: Sequence[StatementIssued]) -> None:
        """See ``statements.keep_statements``."""
        await keep_statements(self.conn, statements)


def _row(queued: QueuedVerdict) -> tuple[Any, ...]:
    """The statement's arguments for one verdict."""
    verdict, rank = queued.verdict, queued.rank
    return (
        verdict.case_id,
        verdict.case_revision,
        verdict.subject.model_dump_json(exclude_none=True),
        verdict.category.value,
        verdict.screened_category.value,
        verdict.route.value,
        verdict.severity.value,
        verdict.confidence,
        verdict.qa_sample,
        verdict.report_count,
        verdict.reporter_count,
        list(verdict.reporter_languages),
        rank.urgency,
        queued.opened_at,
        queued.due_at,
        # A new row enters as the verdict says (the lifecycle's entry states); a known
        # one takes the state the lifecycle gave it ($28).
        queued.entry_state.value,
        verdict.verdict_id,
        queued.action_id,
        queued.raw.decode(),
        queued.now,
        verdict.subject.key(),
        rank.crowd.reporter_weight,
        rank.reports_per_hour,
        rank.crowd.viral,
        rank.crowd.coordinated,
        rank.rank_at,
        None if queued.in_force is None else queued.in_force.value,
        queued.state.value,
        rank.facts.reports,
        rank.facts.reporters,
    )
