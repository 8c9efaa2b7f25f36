"""The review state machine: leases, decisions, dual review, escalation, holds, appeals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.dispatch.core.decisions import Outcome
from services.dispatch.core.lifecycle import State
from services.dispatch.core.review import (
    Effect,
    ErrorCode,
    ReviewCase,
    ReviewError,
    ReviewPolicy,
    appeal,
    decide,
    escalate,
    expire,
    hold,
    lease,
    new_case,
    release,
    renew,
    resume,
)
from services.dispatch.core.reviewers import GENERAL_CLEARANCES, Ineligible, Reviewer, Role
from shared.events.reports import Category, SubjectKind

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CASE_ID = UUID("00000000-0000-4000-8000-000000000001")
ALL = GENERAL_CLEARANCES | {Category.CHILD_SEXUAL_ABUSE}


def _reviewer(rid: str, *, senior: bool = False) -> Reviewer:
    roles = {Role.REVIEWER, Role.SENIOR} if senior else {Role.REVIEWER}
    return Reviewer(rid, rid.title(), frozenset({"fr"}), ALL, frozenset(roles))


ANNA, BRUNO, CLARA = _reviewer("anna"), _reviewer("bruno"), _reviewer("clara")
SARA = _reviewer("sara", senior=True)


def _spam(**kwargs: object) -> ReviewCase:
    return new_case(CASE_ID, Category.SPAM, SubjectKind.MESSAGE, **kwargs)  # type: ignore[arg-type]


def _csam() -> ReviewCase:
    return new_case(CASE_ID, Category.CHILD_SEXUAL_ABUSE, SubjectKind.MESSAGE)


def _raises(code: ErrorCode) -> pytest.RaisesExc[ReviewError]:
    return pytest.raises(ReviewError, match=f"^{code}:")


def _decided(case: ReviewCase, who: Reviewer, outcome: Outcome, at: datetime = T0) -> ReviewCase:
    leased = lease(case, who, at).case
    return decide(leased, who.id, outcome, at + timedelta(minutes=1)).case


# --- leases -----------------------------------------------------------------------------


def test_a_lease_lasts_five_minutes_by_default() -> None:
    case = lease(_spam(), ANNA, T0).case
    assert case.state is State.LEASED
    assert case.lease is not None
    assert case.lease.reviewer_id == "anna"
    assert case.lease.expires_at == T0 + timedelta(minutes=5)


def test_transitions_never_mutate_and_bump_the_version() -> None:
    queued = _spam()
    leased = lease(queued, ANNA, T0).case
    assert queued.state is State.QUEUED
    assert leased.version == queued.version + 1


def test_a_live_lease_cannot_be_taken() -> None:
    leased = lease(_spam(), ANNA, T0).case
    with _raises(ErrorCode.ALREADY_LEASED):
        lease(leased, BRUNO, T0 + timedelta(minutes=4))


def test_an_expired_lease_is_taken_over() -> None:
    leased = lease(_spam(), ANNA, T0).case
    taken = lease(leased, BRUNO, T0 + timedelta(minutes=5)).case
    assert taken.lease is not None
    assert taken.lease.reviewer_id == "bruno"
    assert taken.lease.returns_to is State.QUEUED


def test_renewal_extends_a_live_lease_only() -> None:
    leased = lease(_spam(), ANNA, T0).case
    renewed = renew(leased, "anna", T0 + timedelta(minutes=4)).case
    assert renewed.lease is not None
    assert renewed.lease.expires_at == T0 + timedelta(minutes=9)
    with _raises(ErrorCode.LEASE_EXPIRED):
        renew(leased, "anna", T0 + timedelta(minutes=5))
    with _raises(ErrorCode.NOT_LEASE_HOLDER):
        renew(leased, "bruno", T0)


@pytest.mark.parametrize("duration", [timedelta(0), timedelta(minutes=-1), timedelta(hours=1)])
def test_lease_durations_are_bounded(duration: timedelta) -> None:
    with _raises(ErrorCode.BAD_DURATION):
        lease(_spam(), ANNA, T0, duration=duration)


def test_a_configured_lease_length() -> None:
    policy = ReviewPolicy(lease=timedelta(minutes=10))
    case = lease(_spam(), ANNA, T0, policy=policy).case
    assert case.lease is not None
    assert case.lease.expires_at == T0 + timedelta(minutes=10)


def test_release_returns_the_case_to_the_queue() -> None:
    leased = lease(_spam(), ANNA, T0).case
    with _raises(ErrorCode.NOT_LEASE_HOLDER):
        release(leased, "bruno", T0)
    released = release(leased, "anna", T0).case
    assert released.state is State.QUEUED
    assert released.lease is None


def test_expiry_returns_the_case_with_nothing_lost() -> None:
    first = _decided(_csam(), ANNA, Outcome.REMOVE_CONTENT)
    leased = lease(first, BRUNO, T0 + timedelta(minutes=2)).case
    with _raises(ErrorCode.LEASE_ACTIVE):
        expire(leased, T0 + timedelta(minutes=3))
    back = expire(leased, T0 + timedelta(minutes=7)).case
    assert back.state is State.AWAITING_SECOND_REVIEW
    assert back.lease is None
    assert back.decisions == first.decisions


def test_expiring_a_case_that_is_not_leased_is_refused() -> None:
    with _raises(ErrorCode.NOT_LEASED):
        expire(_spam(), T0)


def test_the_exposure_cap_refuses_a_lease() -> None:
    capped = Reviewer("dora", "Dora", frozenset({"fr"}), ALL, exposure_cap=2)
    with pytest.raises(ReviewError) as raised:
        lease(_csam(), capped, T0, exposure_used=2)
    assert raised.value.code is ErrorCode.INELIGIBLE
    assert raised.value.ineligible is Ineligible.EXPOSURE_CAP


def test_a_decided_case_cannot_be_leased() -> None:
    with _raises(ErrorCode.NOT_WAITING):
        lease(_decided(_spam(), ANNA, Outcome.NO_VIOLATION), BRUNO, T0)


# --- single decisions -------------------------------------------------------------------


def test_an_enforcing_decision_publishes_and_closes() -> None:
    step = decide(lease(_spam(), ANNA, T0).case, "anna", Outcome.REMOVE_CONTENT, T0)
    assert step.case.state is State.DECIDED
    assert step.effects == (Effect.PUBLISH_DECISION, Effect.PUBLISH_ENFORCEMENT, Effect.CLOSE_CASE)
    final = step.case.final_decision
    assert final is not None
    assert (final.reviewer_id, final.outcome, final.reversal) == (
        "anna",
        Outcome.REMOVE_CONTENT,
        False,
    )
    assert step.case.in_force is Outcome.REMOVE_CONTENT


def test_no_violation_enforces_nothing() -> None:
    step = decide(lease(_spam(), ANNA, T0).case, "anna", Outcome.NO_VIOLATION, T0)
    assert step.effects == (Effect.PUBLISH_DECISION, Effect.CLOSE_CASE)


def test_only_the_lease_holder_decides_before_expiry() -> None:
    queued = _spam()
    with _raises(ErrorCode.NOT_LEASED):
        decide(queued, "anna", Outcome.REMOVE_CONTENT, T0)
    leased = lease(queued, ANNA, T0).case
    with _raises(ErrorCode.NOT_LEASE_HOLDER):
        decide(leased, "bruno", Outcome.REMOVE_CONTENT, T0)
    with _raises(ErrorCode.LEASE_EXPIRED):
        decide(leased, "anna", Outcome.REMOVE_CONTENT, T0 + timedelta(minutes=5))


def test_an_outcome_must_fit_the_subject() -> None:
    leased = lease(_spam(), ANNA, T0).case
    with _raises(ErrorCode.OUTCOME_NOT_APPLICABLE):
        decide(leased, "anna", Outcome.BAN_GROUP_OR_CHANNEL, T0)


# --- reversals of automatic actions -----------------------------------------------------


def test_confirming_an_automatic_action_enforces_nothing_again() -> None:
    acted = _spam(in_force=Outcome.REMOVE_CONTENT)
    step = decide(lease(acted, ANNA, T0).case, "anna", Outcome.REMOVE_CONTENT, T0)
    assert step.effects == (Effect.PUBLISH_DECISION, Effect.CLOSE_CASE)


def test_going_further_than_an_automatic_action_enforces_more() -> None:
    acted = _spam(in_force=Outcome.REMOVE_CONTENT)
    step = decide(lease(acted, ANNA, T0).case, "anna", Outcome.BAN_USER, T0)
    assert step.effects == (Effect.PUBLISH_DECISION, Effect.PUBLISH_ENFORCEMENT, Effect.CLOSE_CASE)


def test_overturning_an_automatic_action_is_a_reversal() -> None:
    acted = _spam(in_force=Outcome.REMOVE_CONTENT)
    step = decide(lease(acted, ANNA, T0).case, "anna", Outcome.NO_VIOLATION, T0)
    assert step.effects == (Effect.PUBLISH_DECISION, Effect.PUBLISH_REVERSAL, Effect.CLOSE_CASE)
    final = step.case.final_decision
    assert final is not None
    assert final.reversal


# --- dual review ------------------------------------------------------------------------


def test_dual_review_waits_for_a_second_reviewer() -> None:
    step = decide(lease(_csam(), ANNA, T0).case, "anna", Outcome.REPORT_TO_AUTHORITIES, T0)
    assert step.case.state is State.AWAITING_SECOND_REVIEW
    assert step.effects == (Effect.PUBLISH_DECISION,)
    assert step.case.final_decision is None


def test_dual_review_refuses_the_same_reviewer_twice() -> None:
    first = _decided(_csam(), ANNA, Outcome.REPORT_TO_AUTHORITIES)
    with _raises(ErrorCode.SAME_REVIEWER):
        lease(first, ANNA, T0 + timedelta(minutes=2))


def test_two_agreeing_reviewers_decide() -> None:
    first = _decided(_csam(), ANNA, Outcome.REPORT_TO_AUTHORITIES)
    step = decide(lease(first, BRUNO, T0).case, "bruno", Outcome.REPORT_TO_AUTHORITIES, T0)
    assert step.case.state is State.DECIDED
    assert step.effects == (Effect.PUBLISH_DECISION, Effect.PUBLISH_ENFORCEMENT, Effect.CLOSE_CASE)
    assert step.case.deciders == {"anna", "bruno"}


def test_disagreement_escalates_to_a_senior_whose_decision_is_final() -> None:
    first = _decided(_csam(), ANNA, Outcome.REPORT_TO_AUTHORITIES)
    split = decide(lease(first, BRUNO, T0).case, "bruno", Outcome.REMOVE_CONTENT, T0)
    assert split.case.state is State.ESCALATED
    assert split.effects == (Effect.PUBLISH_DECISION,)
    assert split.case.reason is not None
    assert "disagreement" in split.case.reason
    with pytest.raises(ReviewError) as raised:
        lease(split.case, CLARA, T0)
    assert raised.value.ineligible is Ineligible.NOT_SENIOR
    final = decide(lease(split.case, SARA, T0).case, "sara", Outcome.REMOVE_CONTENT, T0)
    assert final.case.state is State.DECIDED
    assert [d.final for d in final.case.decisions] == [False, False, True]
    assert final.effects[0] is Effect.PUBLISH_DECISION


def test_a_dual_reviewer_cannot_settle_their_own_disagreement() -> None:
    senior_first = _decided(_csam(), SARA, Outcome.REPORT_TO_AUTHORITIES)
    split = decide(lease(senior_first, BRUNO, T0).case, "bruno", Outcome.NO_VIOLATION, T0).case
    with pytest.raises(ReviewError) as raised:
        lease(split, SARA, T0)
    assert raised.value.ineligible is Ineligible.PREVIOUS_DECIDER


def test_dual_review_categories_are_configurable() -> None:
    policy = ReviewPolicy(dual_review=frozenset({Category.SPAM}))
    assert new_case(CASE_ID, Category.SPAM, SubjectKind.USER, policy=policy).dual
    assert not new_case(CASE_ID, Category.TERRORISM, SubjectKind.USER, policy=policy).dual
    assert _csam().dual


# --- escalation and holds ---------------------------------------------------------------


def test_escalation_needs_a_reason_and_happens_once() -> None:
    leased = lease(_spam(), ANNA, T0).case
    with _raises(ErrorCode.NO_REASON):
        escalate(leased, "anna", "  ", T0)
    escalated = escalate(leased, "anna", "unclear context", T0).case
    assert (escalated.state, escalated.reason) == (State.ESCALATED, "unclear context")
    again = lease(escalated, SARA, T0).case
    with _raises(ErrorCode.ALREADY_ESCALATED):
        escalate(again, "sara", "still unclear", T0)


def test_escalation_by_someone_else_is_refused() -> None:
    with _raises(ErrorCode.NOT_LEASE_HOLDER):
        escalate(lease(_spam(), ANNA, T0).case, "bruno", "why", T0)


def test_a_hold_keeps_where_the_case_waited() -> None:
    escalated = escalate(lease(_spam(), ANNA, T0).case, "anna", "unclear", T0).case
    held = hold(lease(escalated, SARA, T0).case, "sara", "waiting for the platform", T0).case
    assert (held.state, held.held_from) == (State.HELD, State.ESCALATED)
    with _raises(ErrorCode.NOT_WAITING):
        lease(held, SARA, T0)
    resumed = resume(held).case
    assert (resumed.state, resumed.held_from) == (State.ESCALATED, None)


def test_only_a_held_case_resumes() -> None:
    with _raises(ErrorCode.NOT_HELD):
        resume(_spam())


# --- appeals ----------------------------------------------------------------------------


def test_an_appeal_goes_to_another_reviewer_and_can_reverse() -> None:
    decided = _decided(_spam(), ANNA, Outcome.SUSPEND_USER)
    appealed = appeal(decided, "I was hacked").case
    assert appealed.state is State.APPEALED
    with pytest.raises(ReviewError) as raised:
        lease(appealed, ANNA, T0)
    assert raised.value.ineligible is Ineligible.PREVIOUS_DECIDER
    step = decide(lease(appealed, BRUNO, T0).case, "bruno", Outcome.REMOVE_CONTENT, T0)
    assert step.effects == (
        Effect.PUBLISH_DECISION,
        Effect.PUBLISH_REVERSAL,
        Effect.PUBLISH_ENFORCEMENT,
        Effect.CLOSE_CASE,
    )
    final = step.case.final_decision
    assert final is not None
    assert final.reversal
    assert step.case.in_force is Outcome.REMOVE_CONTENT


def test_an_upheld_appeal_is_no_reversal() -> None:
    appealed = appeal(_decided(_spam(), ANNA, Outcome.SUSPEND_USER), "unfair").case
    step = decide(lease(appealed, BRUNO, T0).case, "bruno", Outcome.SUSPEND_USER, T0)
    assert step.effects == (Effect.PUBLISH_DECISION, Effect.CLOSE_CASE)


def test_a_case_is_appealed_once_and_only_when_decided() -> None:
    with _raises(ErrorCode.NOT_DECIDED):
        appeal(_spam(), "too early")
    appealed = appeal(_decided(_spam(), ANNA, Outcome.BAN_USER), "unfair").case
    redecided = decide(lease(appealed, BRUNO, T0).case, "bruno", Outcome.BAN_USER, T0).case
    with _raises(ErrorCode.ALREADY_APPEALED):
        appeal(redecided, "still unfair")


def test_an_appeal_escalated_to_a_senior_keeps_the_original_decider_out() -> None:
    senior_decided = _decided(_spam(), SARA, Outcome.BAN_USER)
    appealed = appeal(senior_decided, "unfair").case
    escalated = escalate(lease(appealed, BRUNO, T0).case, "bruno", "needs a senior", T0).case
    with pytest.raises(ReviewError) as raised:
        lease(escalated, SARA, T0)
    assert raised.value.ineligible is Ineligible.PREVIOUS_DECIDER


def test_a_dismissed_case_refuses_every_reviewer_move_with_its_own_code() -> None:
    dismissed = replace(_spam(), state=State.DISMISSED)
    with _raises(ErrorCode.CASE_DISMISSED):
        lease(dismissed, ANNA, T0)
    with _raises(ErrorCode.CASE_DISMISSED):
        decide(dismissed, "anna", Outcome.REMOVE_CONTENT, T0)
    with _raises(ErrorCode.CASE_DISMISSED):
        appeal(dismissed, "never decided")
    with _raises(ErrorCode.CASE_DISMISSED):
        resume(dismissed)
    with _raises(ErrorCode.CASE_DISMISSED):
        hold(dismissed, "anna", "why", T0)
