"""Decisions, appeals and lease moves on stored cases, with the events they publish.

Each call takes the case (locked by the store for the caller's transaction), lets the pure
state machine (``core/review.py``) decide the transition, and writes the rows; the events
go out through the outbox at the caller's commit:

- every decision: ``ReviewDecision`` on ``review.decisions`` (a first review of a dual
  review and a disagreement too, with ``final`` false; a final one closes the case in
  ingest);
- a reversal (a person lifting part of what acts on the subject, automatic or decided):
  an ``EnforcementAction`` with ``reverses`` set, published before what replaces it;
- a new restriction: an ``EnforcementAction`` with its measures (evidence preserved and
  referred first where the law asks), and a DSA statement of reasons on
  ``statements.of_reasons`` (kept for submission).

Refusals are domain errors (``ReviewError``, ``ReasonRefusedError``, ``CaseNotFoundError``,
``KeyReusedError``); ``adapters/http`` says which HTTP status each one is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from services.dispatch.core import decisions, review
from services.dispatch.core.decisions import Outcome, enforcement, enforces
from services.dispatch.core.lifecycle import State
from services.dispatch.core.reasons import Catalogue, PolicyReason
from services.dispatch.core.review import Effect
from services.dispatch.core.reviewers import Reviewer
from services.dispatch.core.statements import AUTOMATIC_OUTCOME, Restriction, statement_of
from services.dispatch.handlers.statement_events import issued, outbound
from services.dispatch.ports import (
    AppealRecord,
    DecisionRecord,
    Key,
    Preservation,
    ReviewStore,
    StoredCase,
)
from shared.events.decisions import StatementIssued
from shared.events.enforcement import Action
from shared.runtime.contract import Outbound
from shared.topics import ENFORCEMENT_ACTIONS, REVIEW_DECISIONS

_NAMESPACE = uuid.UUID("9a4e1c07-52b8-4f3d-a6e2-0d8c7b5f1e24")


class CaseNotFoundError(LookupError):
    """No such case revision."""


class KeyReusedError(ValueError):
    """An idempotency key already used for another case."""


@dataclass(frozen=True, slots=True)
class DecisionInput:
    """What a reviewer decided."""

    outcome: Outcome
    policy_reason: str
    explanation: str
    idempotency_key: uuid.UUID


@dataclass(frozen=True, slots=True)
class DecisionResult:
    """What a decision did."""

    decision_id: uuid.UUID
    repeated: bool
    final: bool = True
    state: str = "decided"


@dataclass(frozen=True, slots=True)
class Decided:
    """A decision recorded: its result, its events, and what the metrics count of it."""

    result: DecisionResult
    events: list[Outbound] = field(default_factory=list)
    #: The case before and the step taken (None for a repeated request).
    before: StoredCase | None = None
    step: review.Step | None = None


async def locked(store: ReviewStore, key: Key) -> StoredCase:
    """The case, locked; ``CaseNotFoundError`` when it does not exist."""
    stored = await store.load(key)
    if stored is None:
        raise CaseNotFoundError("no such case revision")
    return stored


async def move(
    store: ReviewStore, key: Key, step: Callable[[review.ReviewCase], review.Step]
) -> review.ReviewCase:
    """Apply one lease move (renew, release, escalate, hold, resume) and save it."""
    stored = await locked(store, key)
    moved = step(stored.case).case
    await store.save(moved)
    return moved


async def decide(
    store: ReviewStore,
    reviewer: Reviewer,
    target: Key,
    body: DecisionInput,
    *,
    catalogue: Catalogue,
    now: datetime,
) -> Decided:
    """Record ``reviewer``'s decision on the case revision they hold, with its events."""
    decision_id = uuid.uuid5(_NAMESPACE, f"{reviewer.id}/{body.idempotency_key}")
    done = await store.decision(decision_id)
    if done is not None:
        if done[0] != target:
            raise KeyReusedError("idempotency key already used for another case")
        return Decided(DecisionResult(decision_id, repeated=True, final=done[1]))
    stored = await locked(store, target)
    step = review.decide(stored.case, reviewer.id, body.outcome, now, note=body.explanation)
    reason = catalogue.reason(stored.case.category, body.outcome, body.policy_reason)
    decision = step.case.decisions[-1]
    events, statements, action_id, reversed_id = _events(
        stored, step, body, reason, decision_id=decision_id, reviewer=reviewer, now=now
    )
    await store.record_decision(
        DecisionRecord(
            decision_id=decision_id,
            case=target,
            reviewer_id=reviewer.id,
            outcome=body.outcome,
            policy_reason=body.policy_reason,
            explanation=body.explanation,
            final=decision.final,
            decided_at=now,
            action_id=action_id,
            reverses=reversed_id,
        )
    )
    await store.save(step.case)
    if stored.case.waiting_in is State.APPEALED:
        await store.close_appeal(target, decision_id)
    measures = enforcement(body.outcome, stored.subject.kind, stored.case.category)
    if (
        action_id is not None
        and Effect.PUBLISH_ENFORCEMENT in step.effects
        and any(m.action is Action.PRESERVE_EVIDENCE for m in measures)
    ):
        # Kept here, in the action's transaction, before the platform removes anything.
        await store.preserve(
            [
                Preservation(
                    case=target,
                    category=stored.case.category,
                    action_id=action_id,
                    subject=stored.subject.model_dump(mode="json", exclude_none=True),
                    matches=[m for s in stored.screeners for m in s.get("matches") or ()],
                    preserved_at=now,
                )
            ]
        )
    await store.keep_statements(statements)
    result = DecisionResult(
        decision_id, repeated=False, final=decision.final, state=step.case.state.value
    )
    return Decided(result, events, stored, step)


async def appeal(
    store: ReviewStore,
    target: Key,
    *,
    reason: str,
    filed_by: str,
    idempotency_key: uuid.UUID,
) -> tuple[uuid.UUID, bool]:
    """Open an appeal of the case's final decision; its id, and whether it was a repeat."""
    appeal_id = uuid.uuid5(_NAMESPACE, f"appeal/{filed_by}/{idempotency_key}")
    done = await store.appeal_case(appeal_id)
    if done is not None:
        if done != target:
            raise KeyReusedError("idempotency key already used for another case")
        return appeal_id, True
    stored = await locked(store, target)
    step = review.appeal(stored.case, reason)
    appealed = stored.last_final()
    if appealed is None:  # the state machine lets only decided cases through
        raise review.ReviewError(review.ErrorCode.NOT_DECIDED, "no decision to appeal")
    await store.save(step.case)
    await store.record_appeal(
        AppealRecord(
            appeal_id=appeal_id,
            case=target,
            decision_id=appealed.decision_id,
            reason=step.case.reason or reason,
            filed_by=filed_by,
        )
    )
    return appeal_id, False


def _events(
    stored: StoredCase,
    step: review.Step,
    body: DecisionInput,
    reason: PolicyReason,
    *,
    decision_id: uuid.UUID,
    reviewer: Reviewer,
    now: datetime,
) -> tuple[list[Outbound], list[StatementIssued], uuid.UUID | None, uuid.UUID | None]:
    """The events of a transition, its statements, the action it issued and the one reversed."""
    case, subject = stored.case, stored.subject
    key = str(case.case_id).encode()
    decision = step.case.decisions[-1]
    common = {
        "schema_version": 1,
        "case_id": str(case.case_id),
        "case_revision": case.revision,
        "subject": subject.model_dump(exclude_none=True),
        "category": case.category.value,
    }
    in_force = stored.action_in_force()
    reversed_id = in_force if Effect.PUBLISH_REVERSAL in step.effects else None
    events = [
        Outbound(
            REVIEW_DECISIONS.name,
            key,
            orjson.dumps(
                {
                    **common,
                    "decision_id": decision_id,
                    "outcome": body.outcome,
                    "policy_reason": body.policy_reason,
                    "explanation": body.explanation,
                    "reviewer_id": reviewer.id,
                    "final": decision.final,
                    "reverses": None if reversed_id is None else str(reversed_id),
                    "decided_at": now,
                }
            ),
        )
    ]
    action = {**common, "automatic": False, "decision_id": decision_id, "issued_at": now}
    if reversed_id is not None and case.in_force is not None:
        lifted = decisions.lifted(case.in_force, subject.kind)
        reversal = {
            **action,
            "action_id": uuid.uuid5(_NAMESPACE, f"reversal/{decision_id}"),
            "measures": [{"action": m.action, "target": m.target} for m in lifted],
            "reverses": str(reversed_id),
            "reason": body.policy_reason,
        }
        events.append(Outbound(ENFORCEMENT_ACTIONS.name, key, orjson.dumps(reversal)))
    action_id = None
    if Effect.PUBLISH_ENFORCEMENT in step.effects:
        action_id = uuid.uuid5(_NAMESPACE, f"action/{decision_id}")
        measures = enforcement(body.outcome, subject.kind, case.category)
        enforced = {
            **action,
            "action_id": action_id,
            "measures": [{"action": m.action, "target": m.target} for m in measures],
            "reason": body.policy_reason,
        }
        events.append(Outbound(ENFORCEMENT_ACTIONS.name, key, orjson.dumps(enforced)))
    elif decision.final and enforces(body.outcome):
        action_id = in_force  # confirmed: what acts on the subject stays
    # One statement per restriction: none again when this confirms what is in force (the
    # previous decision's, or the automatic removal's, which had its own statement).
    previous = stored.last_final()
    if previous is not None:
        stated = previous.decision.outcome is body.outcome
    else:
        stated = stored.automatic_action_id is not None and body.outcome is AUTOMATIC_OUTCOME
    statements = []
    if decision.final and enforces(body.outcome) and not stated:
        detected = any(s.get("matches") for s in stored.screeners)
        statement = statement_of(
            Restriction(
                decision_id=decision_id,
                category=case.category,
                reported_as=stored.reported_category,
                subject_kind=subject.kind,
                outcome=body.outcome,
                reason=reason,
                opened_at=stored.opened_at,
                detected=detected,
                automated=False,
            ),
            now=now,
        )
        if statement is not None:
            statements.append(issued(statement, decision_id, case.case_id, now))
            events.append(outbound(statements[-1]))
    return events, statements, action_id, reversed_id
