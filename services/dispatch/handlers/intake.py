"""Verdicts into the review queue: each case revision once, updated in place, acted on at once.

- ``human_review`` (QA samples included) enters the queue, ``dismiss`` is recorded;
- ``act_now`` publishes its automatic enforcement action at once (delete the content, keep
  the account: a person confirms or reverses it) and still enters the queue;
- a newer verdict of a queued revision (more reports) updates the row in place: one case is
  never queued twice; an older or repeated verdict changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import orjson

from services.dispatch import metrics
from services.dispatch.adapters.postgres.evidence import preserve
from services.dispatch.adapters.postgres.ranking import CaseFacts, Crowd, case_facts, surge_counts
from services.dispatch.adapters.postgres.statements import keep_statements
from services.dispatch.core.decisions import Outcome, enforcement
from services.dispatch.core.lifecycle import Move, State, TransitionRefusedError, transition
from services.dispatch.core.priority import PriorityInputs, rank_at, urgency
from services.dispatch.core.reasons import Catalogue, load_catalogue
from services.dispatch.core.sla import DEFAULT_SLA_FILE, SlaConfig, load_sla
from services.dispatch.core.statements import AUTOMATIC_OUTCOME, Restriction, statement_of
from services.dispatch.handlers.statement_events import issued_event
from shared.db import Connection
from shared.events.enforcement import EVIDENCE_CATEGORIES
from shared.events.reports import Category, SubjectKind
from shared.events.screening import Route, ScreeningVerdict
from shared.publisher import Outbound
from shared.runtime import Handled, Inbound
from shared.topics import ENFORCEMENT_ACTIONS

_NAMESPACE = uuid.UUID("3c1f7a52-8d0e-4b6a-9f5e-2a7c4d9b1e63")


@dataclass(frozen=True, slots=True)
class Known:
    """What the queue holds of a case revision."""

    report_count: int
    state: str
    automatic_action_id: uuid.UUID | None
    #: When the case revision entered the queue: its age, kept through every new verdict.
    opened_at: datetime


def automatic_measures(kind: SubjectKind, category: Category) -> list[dict[str, str]]:
    """What an automatic action does: the content goes, the account stays for a person.

    In child sexual abuse and terrorism the evidence is preserved and referred to the
    authorities first (``decisions.enforcement``).
    """
    measures = enforcement(Outcome.REMOVE_CONTENT, kind, category)
    return [{"action": m.action, "target": m.target} for m in measures]


def automatic_action_id(case_id: uuid.UUID, revision: int) -> uuid.UUID:
    """One automatic action per case revision, whatever verdicts repeat."""
    return uuid.uuid5(_NAMESPACE, f"automatic/{case_id}/{revision}")


class Intake:
    """The verdict handler, bound to the SLA configuration (read on first use)."""

    def __init__(self, sla: Path = DEFAULT_SLA_FILE) -> None:
        self._path = sla

    @cached_property
    def _sla(self) -> SlaConfig:
        return load_sla(self._path)

    @cached_property
    def _catalogue(self) -> Catalogue:
        return load_catalogue()

    async def __call__(
        self, batch: Sequence[Inbound[ScreeningVerdict]], conn: Connection
    ) -> Handled:
        """Queue, update or record each verdict; publish automatic actions."""
        keys = sorted({(m.event.case_id, m.event.case_revision) for m in batch})
        rows = await conn.fetch(
            """SELECT case_id, revision, report_count, state, automatic_action_id, opened_at
               FROM dispatch.cases
               WHERE (case_id, revision) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
               ORDER BY case_id, revision FOR UPDATE""",
            [k[0] for k in keys],
            [k[1] for k in keys],
        )
        known = {
            (r["case_id"], r["revision"]): Known(
                r["report_count"], r["state"], r["automatic_action_id"], r["opened_at"]
            )
            for r in rows
        }
        now = datetime.now(UTC)
        counts = {(m.event.case_id, m.event.case_revision): m.event.reporter_count for m in batch}
        facts = await case_facts(conn, keys, counts, now)
        surges = await surge_counts(conn, (m.event.subject.key() for m in batch))
        events: list[Outbound] = []
        acted: list[str] = []  # the category of each automatic action
        for inbound in batch:
            verdict = inbound.event
            key = (verdict.case_id, verdict.case_revision)
            before = known.get(key)
            if before is not None and verdict.report_count <= before.report_count:
                continue  # a repeat, or older than what the queue holds
            action_id = None if before is None else before.automatic_action_id
            if verdict.route is Route.ACT_NOW and action_id is None:
                action_id = automatic_action_id(*key)
                events.extend(_automatic_action(verdict, action_id, now, self._catalogue))
                if verdict.screened_category in EVIDENCE_CATEGORIES:
                    # Kept here, in the action's transaction, before the platform removes.
                    await preserve(
                        conn,
                        case=key,
                        category=verdict.screened_category,
                        action_id=action_id,
                        subject=verdict.subject.model_dump(mode="json", exclude_none=True),
                        matches=[
                            m.model_dump(mode="json", exclude_none=True)
                            for s in verdict.screeners
                            for m in s.matches
                        ],
                        now=now,
                    )
                acted.append(verdict.screened_category.value)
            state = self._state(verdict, before)
            viral, coordinated = surges.get(verdict.subject.key(), (0, 0))
            crowd = Crowd(facts[key].reporter_weight, viral, coordinated)
            opened_at = verdict.screened_at if before is None else before.opened_at
            await self._save(
                conn,
                verdict,
                raw=inbound.raw,
                state=state,
                action_id=action_id,
                crowd=crowd,
                facts=facts[key],
                opened_at=opened_at,
                now=now,
            )
            known[key] = Known(verdict.report_count, state.value, action_id, opened_at)

        await keep_statements(conn, events)

        def count() -> None:
            for category in acted:
                metrics.AUTOMATIC_ACTIONS.labels(category).inc()

        return Handled(events, after_commit=count)

    @staticmethod
    def _state(verdict: ScreeningVerdict, before: Known | None) -> State:
        move = (
            Move.SCREEN_DISMISS
            if verdict.route is Route.DISMISS and not verdict.qa_sample
            else Move.SCREEN_FOR_REVIEW
        )
        if before is None:
            return transition(State.QUEUED, move)
        try:
            return transition(State(before.state), move)
        except TransitionRefusedError:
            return State(before.state)  # leased, held, decided...: a verdict does not requeue

    async def _save(
        self,
        conn: Connection,
        verdict: ScreeningVerdict,
        *,
        raw: bytes,
        state: State,
        action_id: uuid.UUID | None,
        crowd: Crowd,
        facts: CaseFacts,
        opened_at: datetime,
        now: datetime,
    ) -> None:
        # The case keeps the age it has had since it entered the queue, whatever verdict
        # comes; its velocity is over its own life, from its first report.
        inputs = PriorityInputs(
            severity=verdict.severity,
            confidence=verdict.confidence,
            reporter_weights=(crowd.reporter_weight,),
            reports_per_hour=facts.velocity(verdict.report_count, opened_at, now),
            opened_at=opened_at,
            surges=crowd.surges(),
        )
        due = self._sla.deadline(verdict.screened_category, verdict.severity, opened_at)
        await conn.execute(
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
            urgency(inputs),
            opened_at,
            due,
            # A new row enters as the verdict says (the lifecycle's entry states); a known one
            # takes the state the lifecycle gave it.
            self._state(verdict, None).value,
            verdict.verdict_id,
            action_id,
            raw.decode(),
            now,
            verdict.subject.key(),
            crowd.reporter_weight,
            inputs.reports_per_hour,
            crowd.viral,
            crowd.coordinated,
            rank_at(inputs),
            # What acts on the subject before any person: the automatic removal.
            None if action_id is None else Outcome.REMOVE_CONTENT.value,
            state.value,
            facts.reports,
            facts.reporters,
        )


def _automatic_action(
    verdict: ScreeningVerdict, action_id: uuid.UUID, now: datetime, catalogue: Catalogue
) -> list[Outbound]:
    """The automatic removal and its statement of reasons (fully automated)."""
    matched = [m.ref for s in verdict.screeners for m in s.matches if m.kind == "hash"]
    reason = f"screening:{matched[0]}" if matched else f"screening:{verdict.policy.name}"
    key = str(verdict.case_id).encode()
    body = {
        "schema_version": 1,
        "action_id": action_id,
        "case_id": verdict.case_id,
        "case_revision": verdict.case_revision,
        "subject": verdict.subject.model_dump(exclude_none=True),
        "category": verdict.screened_category,
        "measures": automatic_measures(verdict.subject.kind, verdict.screened_category),
        "automatic": True,
        "verdict_id": verdict.verdict_id,
        "reason": reason[:128],
        "issued_at": now,
    }
    statement = statement_of(
        Restriction(
            decision_id=action_id,
            category=verdict.screened_category,
            reported_as=verdict.category.value,
            subject_kind=verdict.subject.kind,
            outcome=AUTOMATIC_OUTCOME,
            reason=catalogue.automatic(verdict.screened_category),
            opened_at=verdict.screened_at,
            detected=True,
            automated=True,
        ),
        now=now,
    )
    return [
        Outbound(ENFORCEMENT_ACTIONS.name, key, orjson.dumps(body)),
        issued_event(statement, action_id, verdict.case_id, key, now),
    ]
