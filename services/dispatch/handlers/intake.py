"""Verdicts into the review queue: each case revision once, updated in place, acted on at once.

- ``human_review`` (QA samples included) enters the queue, ``dismiss`` is recorded;
- ``act_now`` publishes its automatic enforcement action at once (delete the content, keep
  the account: a person confirms or reverses it) and still enters the queue; in child sexual
  abuse and terrorism the evidence is preserved and referred to the authorities first, and
  kept in the action's own transaction;
- a newer verdict of a queued revision (more reports) updates the row in place: one case is
  never queued twice, and it keeps its age; an older or repeated verdict changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from services.dispatch.core.decisions import Outcome, enforcement
from services.dispatch.core.lifecycle import Move, State, TransitionRefusedError, transition
from services.dispatch.core.ranking import rank
from services.dispatch.core.reasons import Catalogue
from services.dispatch.core.sla import SlaConfig
from services.dispatch.core.statements import AUTOMATIC_OUTCOME, Restriction, statement_of
from services.dispatch.handlers.statement_events import issued, outbound
from services.dispatch.ports import Key, KnownCase, Preservation, QueuedVerdict, VerdictStore
from shared.events.decisions import StatementIssued
from shared.events.enforcement import EVIDENCE_CATEGORIES
from shared.events.reports import Category, SubjectKind
from shared.events.screening import Route, ScreeningVerdict
from shared.runtime.contract import Outbound
from shared.topics import ENFORCEMENT_ACTIONS

_NAMESPACE = uuid.UUID("3c1f7a52-8d0e-4b6a-9f5e-2a7c4d9b1e63")


@dataclass(slots=True)
class IntakeResult:
    """What a batch of verdicts published, and the category of each automatic action."""

    events: list[Outbound] = field(default_factory=list)
    acted: list[Category] = field(default_factory=list)


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


def state_after(verdict: ScreeningVerdict, before: KnownCase | None) -> State:
    """Where a verdict leaves its case revision (the lifecycle's screening moves)."""
    move = (
        Move.SCREEN_DISMISS
        if verdict.route is Route.DISMISS and not verdict.qa_sample
        else Move.SCREEN_FOR_REVIEW
    )
    if before is None:
        return transition(State.QUEUED, move)
    try:
        return transition(before.state, move)
    except TransitionRefusedError:
        return before.state  # leased, held, decided...: a verdict does not requeue


async def take_verdicts(
    verdicts: Sequence[tuple[ScreeningVerdict, bytes]],
    store: VerdictStore,
    *,
    sla: SlaConfig,
    catalogue: Catalogue,
    now: datetime,
) -> IntakeResult:
    """Queue, update or record each verdict (with its record's bytes); act on act_now."""
    keys = sorted({(v.case_id, v.case_revision) for v, _ in verdicts})
    known = await store.known(keys)
    facts = await store.facts(keys, _reporter_counts(verdicts), now)
    surges = await store.surges(v.subject.key() for v, _ in verdicts)
    result = IntakeResult()
    statements: list[StatementIssued] = []
    preserved: list[Preservation] = []
    queued: list[QueuedVerdict] = []
    for verdict, raw in verdicts:
        key = (verdict.case_id, verdict.case_revision)
        before = known.get(key)
        if before is not None and verdict.report_count <= before.report_count:
            continue  # a repeat, or older than what the queue holds
        action_id = None if before is None else before.automatic_action_id
        if verdict.route is Route.ACT_NOW and action_id is None:
            action_id = automatic_action_id(*key)
            if verdict.screened_category in EVIDENCE_CATEGORIES:
                preserved.append(_evidence(verdict, action_id, now))
            event, statement = _automatic_action(verdict, action_id, now, catalogue)
            result.events.append(event)
            if statement is not None:
                statements.append(statement)
                result.events.append(outbound(statement))
            result.acted.append(verdict.screened_category)
        state = state_after(verdict, before)
        opened_at = verdict.screened_at if before is None else before.opened_at
        ranked = rank(
            severity=verdict.severity,
            confidence=verdict.confidence,
            report_count=verdict.report_count,
            opened_at=opened_at,
            facts=facts[key],
            surges=surges.get(verdict.subject.key(), (0, 0)),
            now=now,
        )
        queued.append(
            QueuedVerdict(
                verdict=verdict,
                raw=raw,
                entry_state=state_after(verdict, None),
                state=state,
                action_id=action_id,
                opened_at=opened_at,
                due_at=sla.deadline(verdict.screened_category, verdict.severity, opened_at),
                rank=ranked,
                in_force=None if action_id is None else AUTOMATIC_OUTCOME,
                now=now,
            )
        )
        known[key] = KnownCase(verdict.report_count, state, action_id, opened_at)
    if preserved:
        # Kept in the actions' own transaction, before the platform removes anything.
        await store.preserve(preserved)
    await store.save_verdicts(queued)
    await store.keep_statements(statements)
    return result


def _reporter_counts(verdicts: Sequence[tuple[ScreeningVerdict, bytes]]) -> dict[Key, int]:
    """Each case revision's reporters as its newest verdict of the batch counts them.

    That verdict's row is the one the batch leaves, ranked as it would be on its own.
    """
    newest: dict[Key, ScreeningVerdict] = {}
    for verdict, _ in verdicts:
        key = (verdict.case_id, verdict.case_revision)
        if key not in newest or verdict.report_count > newest[key].report_count:
            newest[key] = verdict
    return {key: verdict.reporter_count for key, verdict in newest.items()}


def _evidence(verdict: ScreeningVerdict, action_id: uuid.UUID, now: datetime) -> Preservation:
    return Preservation(
        case=(verdict.case_id, verdict.case_revision),
        category=verdict.screened_category,
        action_id=action_id,
        subject=verdict.subject.model_dump(mode="json", exclude_none=True),
        matches=[
            m.model_dump(mode="json", exclude_none=True)
            for s in verdict.screeners
            for m in s.matches
        ],
        preserved_at=now,
    )


def _automatic_action(
    verdict: ScreeningVerdict, action_id: uuid.UUID, now: datetime, catalogue: Catalogue
) -> tuple[Outbound, StatementIssued | None]:
    """The automatic removal and its statement of reasons (fully automated)."""
    matched = [m.ref for s in verdict.screeners for m in s.matches if m.kind == "hash"]
    reason = f"screening:{matched[0]}" if matched else f"screening:{verdict.policy.name}"
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
    event = Outbound(ENFORCEMENT_ACTIONS.name, str(verdict.case_id).encode(), orjson.dumps(body))
    if statement is None:
        return event, None
    return event, issued(statement, action_id, verdict.case_id, now)
