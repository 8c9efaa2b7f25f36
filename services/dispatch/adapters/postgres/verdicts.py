"""The queue as intake sees it (``ports.VerdictStore``): verdicts into ``dispatch.cases``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

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

        One statement over arrays (``unnest``) per round of the batch, where a round holds
        each case revision once: an upsert may not touch a row twice in one statement, so a
        revision's second verdict in a batch goes in the next round, as it would in order.
        """
        for round_ in _rounds(queued):
            await self.conn.execute(_SAVE, *_columns(round_))

    async def preserve(self, evidence: Sequence[Preservation]) -> None:
        """See ``evidence.preserve``."""
        await preserve(self.conn, evidence)

    async def keep_statements(self, statements: Sequence[StatementIssued]) -> None:
        """See ``statements.keep_statements``."""
        await keep_statements(self.conn, statements)


def _rounds(queued: Sequence[QueuedVerdict]) -> list[list[QueuedVerdict]]:
    """The verdicts in rounds: the n-th verdict of each case revision in the n-th round."""
    rounds: list[list[QueuedVerdict]] = []
    seen: dict[Key, int] = {}
    for one in queued:
        key = (one.verdict.case_id, one.verdict.case_revision)
        n = seen[key] = seen.get(key, -1) + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(one)
    return rounds


def _columns(queued: Sequence[QueuedVerdict]) -> list[list[Any]]:
    """The statement's arrays: one per column of ``_SAVE``'s ``unnest``, a row per verdict."""
    rows = [_row(q) for q in queued]
    return [list(column) for column in zip(*rows, strict=True)]


def _row(queued: QueuedVerdict) -> tuple[Any, ...]:
    """One verdict's values, in the order of ``_SAVE``'s columns."""
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
        orjson.dumps(verdict.reporter_languages).decode(),
        rank.urgency,
        queued.opened_at,
        queued.due_at,
        # A new row enters as the verdict says (the lifecycle's entry states); a known
        # one takes the state the lifecycle gave it (``next_state``).
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
        rank.facts.reports,
        rank.facts.reporters,
        queued.state.value,
    )


#: What a newer verdict changes in a known row (``{new}``: the verdict's values); the
#: state is set apart, as the lifecycle gave it.
_UPDATE = """screened_category = {new}.screened_category, route = {new}.route,
    severity = {new}.severity, confidence = {new}.confidence, qa_sample = {new}.qa_sample,
    report_count = {new}.report_count, reporter_count = {new}.reporter_count,
    languages = {new}.languages, urgency = {new}.urgency,
    due_at = LEAST(cases.due_at, {new}.due_at), verdict_id = {new}.verdict_id,
    automatic_action_id = {new}.automatic_action_id, verdict = {new}.verdict,
    updated_at = {new}.updated_at, reporter_weight = {new}.reporter_weight,
    reports_per_hour = {new}.reports_per_hour, surge_viral = {new}.surge_viral,
    surge_coordinated = {new}.surge_coordinated, rank_at = {new}.rank_at,
    reports_seen = {new}.reports_seen, reporters_seen = {new}.reporters_seen,
    in_force = coalesce(cases.in_force, {new}.in_force)"""

_COLUMNS = """case_id, revision, subject, category, screened_category, route, severity,
    confidence, qa_sample, report_count, reporter_count, languages, urgency, opened_at, due_at,
    state, verdict_id, automatic_action_id, verdict, updated_at, subject_key, reporter_weight,
    reports_per_hour, surge_viral, surge_coordinated, rank_at, in_force, reports_seen,
    reporters_seen"""

#: Known rows are updated (state: ``next_state``), the others inserted; a row another
#: transaction inserted meanwhile is updated as the insert's conflict (its state then is
#: the entry state, which is what the lifecycle gives a revision the queue did not hold).
_SAVE = f"""WITH v AS (
        SELECT v.case_id, v.revision, v.subject::json AS subject, v.category,
               v.screened_category, v.route, v.severity, v.confidence, v.qa_sample,
               v.report_count, v.reporter_count,
               ARRAY(SELECT l FROM json_array_elements_text(v.languages::json)
                     WITH ORDINALITY AS t (l, n) ORDER BY n) AS languages,
               v.urgency, v.opened_at, v.due_at, v.state, v.verdict_id,
               v.automatic_action_id, v.verdict::json AS verdict, v.updated_at, v.subject_key,
               v.reporter_weight, v.reports_per_hour, v.surge_viral, v.surge_coordinated,
               v.rank_at, v.in_force, v.reports_seen, v.reporters_seen, v.next_state
        FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[],
                    $7::text[], $8::real[], $9::boolean[], $10::int[], $11::int[],
                    $12::text[], $13::real[], $14::timestamptz[], $15::timestamptz[],
                    $16::text[], $17::uuid[], $18::uuid[], $19::text[], $20::timestamptz[],
                    $21::text[], $22::real[], $23::real[], $24::int[], $25::int[],
                    $26::timestamptz[], $27::text[], $28::int[], $29::int[], $30::text[])
             AS v ({_COLUMNS}, next_state)),
    known AS (
        UPDATE dispatch.cases SET {_UPDATE.format(new="v")}, state = v.next_state
        FROM v WHERE cases.case_id = v.case_id AND cases.revision = v.revision
        RETURNING cases.case_id, cases.revision)
    INSERT INTO dispatch.cases ({_COLUMNS})
    SELECT {_COLUMNS} FROM v
    WHERE NOT EXISTS (
        SELECT 1 FROM known WHERE known.case_id = v.case_id AND known.revision = v.revision)
    ON CONFLICT (case_id, revision) DO UPDATE SET {_UPDATE.format(new="EXCLUDED")},
        state = EXCLUDED.state"""
