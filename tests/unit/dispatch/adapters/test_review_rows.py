"""Rows to the review state machine and back: what the API saves is what it loaded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.dispatch.adapters.postgres.cases import to_model, waiting_state
from services.dispatch.core import review
from services.dispatch.core.decisions import Outcome
from services.dispatch.core.lifecycle import State
from services.dispatch.core.review import DEFAULT_POLICY
from services.dispatch.core.reviewers import GENERAL_CLEARANCES, Reviewer

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


def row(**changes: Any) -> dict[str, Any]:
    base = {
        "case_id": uuid.uuid4(),
        "revision": 2,
        "screened_category": "terrorism_violent_extremism",
        "subject": '{"kind": "channel", "id": "ch1"}',
        "languages": ["fr"],
        "state": "queued",
        "waiting_state": "queued",
        "leased_by": None,
        "lease_expires_at": None,
        "in_force": None,
        "reason": None,
        "appealed": False,
    }
    return base | changes


ALICE = Reviewer("alice", "Alice", frozenset({"fr"}), GENERAL_CLEARANCES)
BOB = Reviewer("bob", "Bob", frozenset({"fr"}), GENERAL_CLEARANCES)


def test_a_leased_second_review_returns_where_it_waited() -> None:
    expires = NOW + timedelta(minutes=5)
    case = to_model(
        row(
            state="leased",
            waiting_state="awaiting_second_review",
            leased_by="bob",
            lease_expires_at=expires,
        ),
        (review.Decision("alice", Outcome.REMOVE_CONTENT, NOW, final=False),),
        DEFAULT_POLICY,
    )
    assert case.dual  # terrorism is reviewed twice by default
    assert case.revision == 2
    assert case.lease == review.Lease("bob", expires, returns_to=State.AWAITING_SECOND_REVIEW)
    assert waiting_state(case) == State.AWAITING_SECOND_REVIEW
    # Bob agrees: final; the row goes to decided with the outcome in force.
    step = review.decide(case, "bob", Outcome.REMOVE_CONTENT, NOW)
    assert step.case.state is State.DECIDED
    assert step.case.in_force is Outcome.REMOVE_CONTENT
    assert review.Effect.PUBLISH_ENFORCEMENT in step.effects


def test_a_held_case_keeps_where_it_came_from() -> None:
    held = to_model(
        row(state="held", waiting_state="escalated", reason="context"), (), DEFAULT_POLICY
    )
    assert held.held_from is State.ESCALATED
    assert waiting_state(held) is State.ESCALATED
    assert review.resume(held).case.state is State.ESCALATED


def test_an_automatic_removal_in_force_is_reversed_by_a_final_no_violation() -> None:
    queued = to_model(row(screened_category="spam", in_force="remove_content"), (), DEFAULT_POLICY)
    leased = review.lease(queued, ALICE, NOW).case
    step = review.decide(leased, "alice", Outcome.NO_VIOLATION, NOW)
    assert step.effects[:2] == (review.Effect.PUBLISH_DECISION, review.Effect.PUBLISH_REVERSAL)
    assert waiting_state(step.case) is State.QUEUED  # decided: the column keeps a valid value


def test_an_appealed_case_waits_as_appealed_and_not_for_its_decider() -> None:
    decided = to_model(
        row(screened_category="spam", state="decided", in_force="remove_content"),
        (review.Decision("alice", Outcome.REMOVE_CONTENT, NOW, final=True),),
        DEFAULT_POLICY,
    )
    appealed = review.appeal(decided, "quoted to condemn it").case
    assert waiting_state(appealed) is State.APPEALED
    refused = None
    try:
        review.lease(appealed, ALICE, NOW)
    except review.ReviewError as error:
        refused = error.code
    assert refused is review.ErrorCode.INELIGIBLE
    assert review.lease(appealed, BOB, NOW).case.state is State.LEASED
