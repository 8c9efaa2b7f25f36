"""The review state machine of a queued case: pure transitions and the effects they call for.

States and which moves each allows are the lifecycle's (``core/lifecycle.py``): every change
of state here goes through its ``transition``. A reviewer leases a waiting case (default 5
minutes, renewable); releasing it, or letting the lease expire, puts it back exactly where it
was waiting, with every earlier decision kept. Only the lease holder, before expiry, may
decide, escalate or hold it.

Dual review (configurable categories, by default child sexual abuse and terrorism): the
first decision waits for a second one by another reviewer; agreement decides, disagreement
escalates to a senior whose decision is final. Appeals and escalations are decided by one
reviewer who never decided on the case before (see ``reviewers.eligible``).

A final decision that undoes part of the outcome in force (an automatic ``act_now`` action,
or the decision under appeal) is marked as a reversal. Each function returns a ``Step``: the
new case (never mutating the old one) and the effects the adapters carry out, in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from services.dispatch.core.decisions import Outcome, applicable, enforces, reverses
from services.dispatch.core.lifecycle import (
    Move,
    State,
    TransitionRefusedError,
    transition,
)
from services.dispatch.core.reviewers import CaseTraits, Ineligible, Reviewer, eligible
from shared.events.reports import Category, SubjectKind


class Effect(StrEnum):
    """What the adapters must do after a transition.

    The decision to publish is the case's last one; a non-final one (first of a dual review,
    or a disagreement) is published too, but closes nothing.
    """

    PUBLISH_DECISION = "publish_decision"
    PUBLISH_ENFORCEMENT = "publish_enforcement"
    PUBLISH_REVERSAL = "publish_reversal"
    CLOSE_CASE = "close_case"


class ErrorCode(StrEnum):
    """Why a transition was refused (the API's ``code``); the lifecycle's refusals first."""

    NOT_LEASED = "not_leased"
    NOT_WAITING = "not_waiting"
    NOT_HELD = "not_held"
    NOT_DECIDED = "not_decided"
    CASE_DISMISSED = "case_dismissed"
    UNDER_REVIEW = "under_review"
    ALREADY_ESCALATED = "already_escalated"
    NOT_LEASE_HOLDER = "not_lease_holder"
    LEASE_EXPIRED = "lease_expired"
    LEASE_ACTIVE = "lease_active"
    ALREADY_LEASED = "already_leased"
    INELIGIBLE = "ineligible"
    SAME_REVIEWER = "same_reviewer"
    OUTCOME_NOT_APPLICABLE = "outcome_not_applicable"
    ALREADY_APPEALED = "already_appealed"
    BAD_DURATION = "bad_duration"
    NO_REASON = "no_reason"


class ReviewError(Exception):
    """A transition that is not allowed; ``code`` says which rule refused it."""

    def __init__(self, code: ErrorCode, message: str, *, ineligible: Ineligible | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.ineligible = ineligible


@dataclass(frozen=True, slots=True)
class ReviewPolicy:
    """Review settings (configuration)."""

    dual_review: frozenset[Category] = frozenset({Category.CHILD_SEXUAL_ABUSE, Category.TERRORISM})
    lease: timedelta = timedelta(minutes=5)
    #: The longest a single lease or renewal may ask for.
    max_lease: timedelta = timedelta(minutes=30)


DEFAULT_POLICY = ReviewPolicy()


@dataclass(frozen=True, slots=True)
class Lease:
    """A reviewer's hold on a case until ``expires_at``."""

    reviewer_id: str
    expires_at: datetime
    #: Where the case goes back to on release or expiry.
    returns_to: State


@dataclass(frozen=True, slots=True)
class Decision:
    """One reviewer's decision. Non-final ones are a first dual review or a disagreement."""

    reviewer_id: str
    outcome: Outcome
    decided_at: datetime
    final: bool
    reversal: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReviewCase:
    """A case in the review queue."""

    case_id: UUID
    category: Category
    subject_kind: SubjectKind
    dual: bool
    #: The case revision under review (a reopened case is a new revision, reviewed anew).
    revision: int = 1
    languages: frozenset[str] = frozenset()
    state: State = State.QUEUED
    #: The outcome acting on the subject now: an automatic act_now, then each final decision.
    in_force: Outcome | None = None
    lease: Lease | None = None
    held_from: State | None = None
    #: The reason given for the last escalation, hold or appeal.
    reason: str | None = None
    decisions: tuple[Decision, ...] = ()
    appealed: bool = False
    #: Grows by one per transition: the adapters' compare-and-set token.
    version: int = 0

    @property
    def deciders(self) -> frozenset[str]:
        """Everyone who decided on this case, finally or not."""
        return frozenset(d.reviewer_id for d in self.decisions)

    @property
    def final_decision(self) -> Decision | None:
        """The latest final decision, if any."""
        return next((d for d in reversed(self.decisions) if d.final), None)

    @property
    def waiting_in(self) -> State:
        """The state the case waits in, or would return to if its lease ended."""
        return self.lease.returns_to if self.lease is not None else self.state

    def traits(self) -> CaseTraits:
        """What reviewer eligibility needs to know."""
        waiting = self.waiting_in
        original = self.final_decision if self.appealed else None
        return CaseTraits(
            category=self.category,
            languages=self.languages,
            escalated=waiting is State.ESCALATED,
            appeal=waiting is State.APPEALED,
            original_decider=original.reviewer_id if original is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Step:
    """The result of a transition."""

    case: ReviewCase
    effects: tuple[Effect, ...] = field(default=())


def new_case(
    case_id: UUID,
    category: Category,
    subject_kind: SubjectKind,
    *,
    languages: frozenset[str] = frozenset(),
    in_force: Outcome | None = None,
    policy: ReviewPolicy = DEFAULT_POLICY,
) -> ReviewCase:
    """A case entering the queue; ``in_force`` is what an automatic act_now already did."""
    return ReviewCase(
        case_id=case_id,
        category=category,
        subject_kind=subject_kind,
        dual=category in policy.dual_review,
        languages=languages,
        in_force=in_force,
    )


def _next(case: ReviewCase, **changes: Any) -> ReviewCase:
    return replace(case, version=case.version + 1, **changes)


def _moved(case: ReviewCase, move: Move, *, back_to: State | None = None) -> State:
    """The lifecycle's answer for ``move``, its refusal as a ``ReviewError``."""
    try:
        return transition(case.state, move, back_to=back_to)
    except TransitionRefusedError as refused:
        raise ReviewError(ErrorCode(refused.code.value), str(refused)) from None


def _duration(duration: timedelta | None, policy: ReviewPolicy) -> timedelta:
    chosen = policy.lease if duration is None else duration
    if not timedelta(0) < chosen <= policy.max_lease:
        raise ReviewError(
            ErrorCode.BAD_DURATION, f"a lease lasts more than 0 and at most {policy.max_lease}"
        )
    return chosen


def _held(case: ReviewCase, reviewer_id: str, now: datetime, *, live: bool = True) -> Lease:
    """The lease ``reviewer_id`` holds on ``case``; with ``live``, it must not have expired."""
    if case.state is not State.LEASED or case.lease is None:
        code = ErrorCode.CASE_DISMISSED if case.state is State.DISMISSED else ErrorCode.NOT_LEASED
        raise ReviewError(code, f"case {case.case_id} is {case.state}, not leased")
    if case.lease.reviewer_id != reviewer_id:
        raise ReviewError(ErrorCode.NOT_LEASE_HOLDER, f"{reviewer_id} does not hold the lease")
    if live and now >= case.lease.expires_at:
        raise ReviewError(ErrorCode.LEASE_EXPIRED, f"the lease expired at {case.lease.expires_at}")
    return case.lease


def _reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise ReviewError(ErrorCode.NO_REASON, "a reason is required")
    return cleaned


def _back(case: ReviewCase) -> ReviewCase:
    """The case returned from its lease to where it waited, nothing else changed."""
    return _next(case, state=_moved(case, Move.GIVE_BACK, back_to=case.waiting_in), lease=None)


def lease(
    case: ReviewCase,
    reviewer: Reviewer,
    now: datetime,
    *,
    exposure_used: int = 0,
    duration: timedelta | None = None,
    policy: ReviewPolicy = DEFAULT_POLICY,
) -> Step:
    """``reviewer`` takes the case; an expired lease held by anyone is taken over."""
    if case.state is State.LEASED and case.lease is not None and now >= case.lease.expires_at:
        case = _back(case)
    if case.state is State.LEASED:
        raise ReviewError(ErrorCode.ALREADY_LEASED, f"case {case.case_id} is leased; renew it")
    leased = _moved(case, Move.LEASE)
    check = eligible(
        reviewer, case.traits(), exposure_used=exposure_used, previous_deciders=case.deciders
    )
    if not check:
        code = ErrorCode.INELIGIBLE
        if case.state is State.AWAITING_SECOND_REVIEW and reviewer.id in case.deciders:
            code = ErrorCode.SAME_REVIEWER
        raise ReviewError(
            code, f"{reviewer.id} may not take it: {check.reason}", ineligible=check.reason
        )
    held = Lease(reviewer.id, now + _duration(duration, policy), returns_to=case.state)
    return Step(_next(case, state=leased, lease=held))


def renew(
    case: ReviewCase,
    reviewer_id: str,
    now: datetime,
    *,
    duration: timedelta | None = None,
    policy: ReviewPolicy = DEFAULT_POLICY,
) -> Step:
    """The lease holder extends a live lease to ``now + duration``."""
    held = _held(case, reviewer_id, now)
    renewed = replace(held, expires_at=now + _duration(duration, policy))
    return Step(_next(case, state=_moved(case, Move.RENEW), lease=renewed))


def release(case: ReviewCase, reviewer_id: str, now: datetime) -> Step:
    """The lease holder gives the case back, even after expiry."""
    _held(case, reviewer_id, now, live=False)
    return Step(_back(case))


def expire(case: ReviewCase, now: datetime) -> Step:
    """An expired lease ends: the case waits again where it was, nothing lost."""
    if case.state is not State.LEASED or case.lease is None:
        code = ErrorCode.CASE_DISMISSED if case.state is State.DISMISSED else ErrorCode.NOT_LEASED
        raise ReviewError(code, f"case {case.case_id} is {case.state}, not leased")
    if now < case.lease.expires_at:
        raise ReviewError(ErrorCode.LEASE_ACTIVE, f"the lease runs until {case.lease.expires_at}")
    return Step(_back(case))


def decide(
    case: ReviewCase, reviewer_id: str, outcome: Outcome, now: datetime, *, note: str = ""
) -> Step:
    """The lease holder decides; dual review and escalations are followed from here."""
    held = _held(case, reviewer_id, now)
    if not applicable(outcome, case.subject_kind):
        raise ReviewError(
            ErrorCode.OUTCOME_NOT_APPLICABLE, f"{outcome} does not apply to a {case.subject_kind}"
        )
    if held.returns_to is State.QUEUED and case.dual:
        first = Decision(reviewer_id, outcome, now, final=False, note=note)
        waiting = _next(
            case,
            state=_moved(case, Move.DECIDE_FIRST),
            lease=None,
            decisions=(*case.decisions, first),
        )
        # Every decision is published (audit, metrics); only a final one closes the case.
        return Step(waiting, (Effect.PUBLISH_DECISION,))
    if held.returns_to is State.AWAITING_SECOND_REVIEW:
        first = case.decisions[-1]
        if first.reviewer_id == reviewer_id:  # the lease already refuses this; kept as a guard
            raise ReviewError(ErrorCode.SAME_REVIEWER, "dual review needs two reviewers")
        if first.outcome is not outcome:
            second = Decision(reviewer_id, outcome, now, final=False, note=note)
            escalated = _next(
                case,
                state=_moved(case, Move.DECIDE_SPLIT),
                lease=None,
                reason=f"dual review disagreement: {first.outcome} vs {outcome}",
                decisions=(*case.decisions, second),
            )
            return Step(escalated, (Effect.PUBLISH_DECISION,))
    return _finalise(case, reviewer_id, outcome, now, note)


def _finalise(
    case: ReviewCase, reviewer_id: str, outcome: Outcome, now: datetime, note: str
) -> Step:
    prior = case.in_force
    reversal = prior is not None and reverses(prior, outcome)
    decision = Decision(reviewer_id, outcome, now, final=True, reversal=reversal, note=note)
    effects = [Effect.PUBLISH_DECISION]
    if reversal:
        effects.append(Effect.PUBLISH_REVERSAL)  # lift first, then apply what replaces it
    if enforces(outcome) and outcome is not prior:
        effects.append(Effect.PUBLISH_ENFORCEMENT)
    effects.append(Effect.CLOSE_CASE)
    decided = _next(
        case,
        state=_moved(case, Move.DECIDE),
        lease=None,
        in_force=outcome,
        decisions=(*case.decisions, decision),
    )
    return Step(decided, tuple(effects))


def escalate(case: ReviewCase, reviewer_id: str, reason: str, now: datetime) -> Step:
    """The lease holder sends the case to a senior."""
    held = _held(case, reviewer_id, now)
    if held.returns_to is State.ESCALATED:
        raise ReviewError(ErrorCode.ALREADY_ESCALATED, "the case is already escalated; decide it")
    escalated = _moved(case, Move.ESCALATE)
    return Step(_next(case, state=escalated, lease=None, reason=_reason(reason)))


def hold(case: ReviewCase, reviewer_id: str, reason: str, now: datetime) -> Step:
    """The lease holder puts the case aside (waiting for information, a legal check...)."""
    held = _held(case, reviewer_id, now)
    state = _moved(case, Move.HOLD)
    return Step(
        _next(case, state=state, lease=None, held_from=held.returns_to, reason=_reason(reason))
    )


def resume(case: ReviewCase) -> Step:
    """A held case waits again where it was before the hold."""
    state = _moved(case, Move.RESUME, back_to=case.held_from)
    return Step(_next(case, state=state, held_from=None))


def appeal(case: ReviewCase, reason: str) -> Step:
    """The decision is appealed (once): a reviewer other than its decider reviews it again."""
    state = _moved(case, Move.APPEAL)
    if case.appealed:
        raise ReviewError(ErrorCode.ALREADY_APPEALED, "the decision was already appealed")
    return Step(_next(case, state=state, appealed=True, reason=_reason(reason)))
