"""Decisions and appeals on stored cases, with the events they publish.

Each call locks the case row, lets the pure state machine (``review.py``) decide the
transition, and writes the rows and the events in one transaction; the events go out
through the outbox at commit:

- every decision: ``ReviewDecision`` on ``review.decisions`` (a first review of a dual
  review and a disagreement too, with ``final`` false; a final one closes the case in
  ingest);
- a reversal (a person lifting part of what acts on the subject, automatic or decided):
  an ``EnforcementAction`` with ``reverses`` set, published before what replaces it;
- a new restriction: an ``EnforcementAction`` with its measures, and a DSA statement of
  reasons on ``statements.of_reasons`` (kept in ``dispatch.statements`` for submission).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from services.dispatch import metrics
from services.dispatch.adapters.postgres.cases import Loaded, load, save
from services.dispatch.adapters.postgres.evidence import preserve
from services.dispatch.adapters.postgres.statements import keep_statements
from services.dispatch.core import decisions, review
from services.dispatch.core.decisions import Outcome, enforcement, enforces
from services.dispatch.core.lifecycle import State
from services.dispatch.core.reasons import PolicyReason, ReasonRefusedError, shipped_catalogue
from services.dispatch.core.review import Effect, ReviewPolicy
from services.dispatch.core.reviewers import CaseHolder, ReadRefusal, Reviewer
from services.dispatch.core.statements import AUTOMATIC_OUTCOME, Restriction, statement_of
from services.dispatch.handlers.statement_events import issued_event
from shared.db import Connection
from shared.events.enforcement import Action
from shared.events.reports import Category
from shared.publisher import Outbound
from shared.runtime.emit import Emitter
from shared.topics import ENFORCEMENT_ACTIONS, REVIEW_DECISIONS

_NAMESPACE = uuid.UUID("9a4e1c07-52b8-4f3d-a6e2-0d8c7b5f1e24")


class RequestRefusedError(Exception):
    """The request cannot be carried out; ``status`` is the HTTP status, ``code`` the rule."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


#: HTTP statuses of the state machine's refusals.
_STATUS = {
    review.ErrorCode.OUTCOME_NOT_APPLICABLE: 422,
    review.ErrorCode.NO_REASON: 422,
    review.ErrorCode.BAD_DURATION: 422,
}
_MESSAGES = {
    review.ErrorCode.NOT_LEASED: "the case is not leased to you",
    review.ErrorCode.NOT_LEASE_HOLDER: "the case is not leased to you",
    review.ErrorCode.LEASE_EXPIRED: "your lease expired; ask for the next case again",
}


#: HTTP status and message of each refusal to read a case (``reviewers.may_read``).
READ_REFUSALS: dict[ReadRefusal, tuple[int, str]] = {
    ReadRefusal.NOT_CLEARED: (403, "you are not cleared for this case's category"),
    ReadRefusal.LEASE_EXPIRED: (409, "your lease expired; ask for the next case again"),
    ReadRefusal.NOT_YOURS: (409, "the case is not leased to you"),
}


def holder_of(row: Any) -> CaseHolder:
    """What ``may_read`` needs of a case row (a lease counts only while the row is leased)."""
    leased = row["state"] == State.LEASED.value
    return CaseHolder(
        category=Category(row["screened_category"]),
        leased_by=row["leased_by"] if leased else None,
        lease_expires_at=row["lease_expires_at"] if leased else None,
    )


def refusal(error: review.ReviewError) -> RequestRefusedError:
    """The HTTP refusal of a transition the rules do not allow."""
    message = _MESSAGES.get(error.code, str(error))
    return RequestRefusedError(_STATUS.get(error.code, 409), message, error.code.value)


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


async def locked(
    conn: Connection, case_id: uuid.UUID, revision: int, policy: ReviewPolicy
) -> Loaded:
    """The case, locked; 404 when it does not exist."""
    loaded = await load(conn, case_id, revision, policy)
    if loaded is None:
        raise RequestRefusedError(404, "no such case revision")
    return loaded


async def decide(
    emitter: Emitter,
    reviewer: Reviewer,
    target: tuple[uuid.UUID, int],
    body: DecisionInput,
    *,
    policy: ReviewPolicy,
) -> DecisionResult:
    """Record ``reviewer``'s decision on the case revision they hold, with its events."""
    case_id, revision = target
    decision_id = uuid.uuid5(_NAMESPACE, f"{reviewer.id}/{body.idempotency_key}")
    async with emitter.transaction() as tx:
        conn = tx.conn
        done = await conn.fetchrow(
            "SELECT case_id, revision, final FROM dispatch.decisions WHERE decision_id = $1",
            decision_id,
        )
        if done is not None:
            if (done["case_id"], done["revision"]) != (case_id, revision):
                raise RequestRefusedError(409, "idempotency key already used for another case")
            return DecisionResult(decision_id, repeated=True, final=done["final"])
        loaded = await locked(conn, case_id, revision, policy)
        now = datetime.now(UTC)
        try:
            step = review.decide(loaded.case, reviewer.id, body.outcome, now, note=body.explanation)
        except review.ReviewError as error:
            raise refusal(error) from None
        try:
            reason = shipped_catalogue().reason(
                loaded.case.category, body.outcome, body.policy_reason
            )
        except ReasonRefusedError as error:
            raise RequestRefusedError(422, str(error), error.code.value) from None
        decision = step.case.decisions[-1]
        events, action_id, reversed_id = _events(
            loaded, step, body, reason, decision_id=decision_id, reviewer=reviewer, now=now
        )
        await conn.execute(
            """INSERT INTO dispatch.decisions (decision_id, case_id, revision, reviewer_id,
                   outcome, policy_reason, explanation, final, decided_at, action_id, reverses)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
            decision_id,
            case_id,
            revision,
            reviewer.id,
            body.outcome.value,
            body.policy_reason,
            body.explanation,
            decision.final,
            now,
            action_id,
            reversed_id,
        )
        await save(conn, step.case)
        if loaded.case.waiting_in is State.APPEALED:
            await conn.execute(
                """UPDATE dispatch.appeals SET decided_by = $3
                   WHERE case_id = $1 AND revision = $2 AND decided_by IS NULL""",
                case_id,
                revision,
                decision_id,
            )
        measures = enforcement(body.outcome, loaded.subject.kind, loaded.case.category)
        if (
            action_id is not None
            and Effect.PUBLISH_ENFORCEMENT in step.effects
            and any(m.action is Action.PRESERVE_EVIDENCE for m in measures)
        ):
            # Kept here, in the action's transaction, before the platform removes anything.
            await preserve(
                conn,
                case=(case_id, revision),
                category=loaded.case.category,
                action_id=action_id,
                subject=loaded.subject.model_dump(mode="json", exclude_none=True),
                matches=[
                    m
                    for s in orjson.loads(loaded.row["verdict"]).get("screeners", ())
                    for m in s.get("matches") or ()
                ],
                now=now,
            )
        await keep_statements(conn, events)
        tx.emit(*events)
    _count(loaded, step, body.outcome, now)
    return DecisionResult(
        decision_id, repeated=False, final=decision.final, state=step.case.state.value
    )


async def appeal(
    conn: Connection,
    target: tuple[uuid.UUID, int],
    *,
    reason: str,
    filed_by: str,
    idempotency_key: uuid.UUID,
    policy: ReviewPolicy,
) -> tuple[uuid.UUID, bool]:
    """Open an appeal of the case's final decision; its id, and whether it was a repeat."""
    case_id, revision = target
    appeal_id = uuid.uuid5(_NAMESPACE, f"appeal/{filed_by}/{idempotency_key}")
    done = await conn.fetchrow(
        "SELECT case_id, revision FROM dispatch.appeals WHERE appeal_id = $1", appeal_id
    )
    if done is not None:
        if (done["case_id"], done["revision"]) != (case_id, revision):
            raise RequestRefusedError(409, "idempotency key already used for another case")
        return appeal_id, True
    loaded = await locked(conn, case_id, revision, policy)
    try:
        step = review.appeal(loaded.case, reason)
    except review.ReviewError as error:
        raise refusal(error) from None
    appealed = loaded.last_final()
    if appealed is None:  # the state machine lets only decided cases through
        raise RequestRefusedError(409, "the case has no decision to appeal")
    await save(conn, step.case)
    await conn.execute(
        """INSERT INTO dispatch.appeals (appeal_id, case_id, revision, decision_id, reason,
               filed_by, filed_at)
           VALUES ($1, $2, $3, $4, $5, $6, now())""",
        appeal_id,
        case_id,
        revision,
        appealed.decision_id,
        step.case.reason,
        filed_by,
    )
    return appeal_id, False


def _count(loaded: Loaded, step: review.Step, outcome: Outcome, now: datetime) -> None:
    """Business metrics, once the transaction committed."""
    category = loaded.row["screened_category"]
    decision = step.case.decisions[-1]
    metrics.DECISIONS.labels(outcome.value, category).inc()
    second = loaded.case.waiting_in is State.AWAITING_SECOND_REVIEW
    if second and step.case.state is State.ESCALATED:
        metrics.DISAGREEMENTS.labels(category).inc()
    if decision.final:
        metrics.TIME_TO_DECISION.labels(category).observe(
            (now - loaded.row["opened_at"]).total_seconds()
        )
    if Effect.PUBLISH_REVERSAL in step.effects:
        of = "decision" if loaded.last_final() is not None else "automatic"
        metrics.REVERSALS.labels(category, of).inc()
    if loaded.case.waiting_in is State.APPEALED:
        result = "overturned" if outcome is not loaded.case.in_force else "upheld"
        metrics.APPEALS_DECIDED.labels(category, result).inc()


def _events(
    loaded: Loaded,
    step: review.Step,
    body: DecisionInput,
    reason: PolicyReason,
    *,
    decision_id: uuid.UUID,
    reviewer: Reviewer,
    now: datetime,
) -> tuple[list[Outbound], uuid.UUID | None, uuid.UUID | None]:
    """The events of a transition, the action it issued and the action it reversed."""
    case, subject = loaded.row, loaded.subject
    key = str(case["case_id"]).encode()
    decision = step.case.decisions[-1]
    common = {
        "schema_version": 1,
        "case_id": str(case["case_id"]),
        "case_revision": case["revision"],
        "subject": subject.model_dump(exclude_none=True),
        "category": case["screened_category"],
    }
    in_force = loaded.action_in_force()
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
    if reversed_id is not None and loaded.case.in_force is not None:
        lifted = decisions.lifted(loaded.case.in_force, subject.kind)
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
        measures = enforcement(body.outcome, subject.kind, loaded.case.category)
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
    previous = loaded.last_final()
    if previous is not None:
        stated = previous.decision.outcome is body.outcome
    else:
        stated = case["automatic_action_id"] is not None and body.outcome is AUTOMATIC_OUTCOME
    if decision.final and enforces(body.outcome) and not stated:
        verdict = orjson.loads(case["verdict"])
        detected = any(s.get("matches") for s in verdict.get("screeners", ()))
        statement = statement_of(
            Restriction(
                decision_id=decision_id,
                category=Category(case["screened_category"]),
                reported_as=case["category"],
                subject_kind=subject.kind,
                outcome=body.outcome,
                reason=reason,
                opened_at=case["opened_at"],
                detected=detected,
                automated=False,
            ),
            now=now,
        )
        events.append(issued_event(statement, decision_id, case["case_id"], key, now))
    return events, action_id, reversed_id
