"""Deciding and appealing against ``Fake...`` ports: events, statements, evidence, refusals."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.dispatch.adapters.yaml_files import shipped_catalogue
from services.dispatch.core.decisions import Outcome
from services.dispatch.core.lifecycle import State
from services.dispatch.core.reasons import ReasonRefusal, ReasonRefusedError
from services.dispatch.core.review import ErrorCode, ReviewError
from services.dispatch.core.reviewers import Reviewer
from services.dispatch.handlers.deciding import (
    CaseNotFoundError,
    DecisionInput,
    KeyReusedError,
    appeal,
    decide,
)
from shared.events.reports import Category
from shared.topics import ENFORCEMENT_ACTIONS, REVIEW_DECISIONS, STATEMENTS_OF_REASONS
from tests.unit.dispatch.fakes import FakeReviewStore, stored_case
from tests.unit.dispatch.handlers.builders import leased, subject

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
ALICE = Reviewer("alice", "Alice", frozenset({"fr"}), frozenset(Category))


def store_with(case_id: uuid.UUID, **kwargs: object) -> FakeReviewStore:
    case = leased(case_id, "alice", NOW + timedelta(minutes=5), **kwargs)  # type: ignore[arg-type]
    store = FakeReviewStore()
    store.cases[case_id, 1] = stored_case(case, subject=subject(), opened_at=NOW)
    return store


def body(outcome: Outcome, reason: str, key: uuid.UUID | None = None) -> DecisionInput:
    return DecisionInput(outcome, reason, "Jean Dupont est un menteur", key or uuid.uuid4())


async def run(store: FakeReviewStore, case_id: uuid.UUID, decision: DecisionInput) -> object:
    return await decide(
        store, ALICE, (case_id, 1), decision, catalogue=shipped_catalogue(), now=NOW
    )


async def test_a_removal_under_french_law_publishes_an_illegal_content_statement() -> None:
    case_id = uuid.uuid4()
    store = store_with(case_id)
    decided = await run(store, case_id, body(Outcome.REMOVE_CONTENT, "fr.loi1881.24"))
    topics = [e.topic for e in decided.events]  # type: ignore[attr-defined]
    assert topics == [REVIEW_DECISIONS.name, ENFORCEMENT_ACTIONS.name, STATEMENTS_OF_REASONS.name]
    [record] = store.decisions
    assert (record.policy_reason, record.final, record.action_id is not None) == (
        "fr.loi1881.24",
        True,
        True,
    )
    [statement] = store.statements
    assert statement.statement["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert statement.statement["territorial_scope"] == ["FR"]
    assert "Dupont" not in json.dumps(statement.statement)
    assert store.cases[case_id, 1].case.state is State.DECIDED


@pytest.mark.parametrize(
    ("outcome", "reason", "code"),
    [
        (Outcome.REMOVE_CONTENT, "Jean_Dupont.est.un.menteur", ReasonRefusal.UNKNOWN),
        (Outcome.NO_VIOLATION, "fr.cp.222-33-2-2", ReasonRefusal.NOT_FOR_OUTCOME),
        (Outcome.BAN_USER, "tos.spam.1", ReasonRefusal.NOT_FOR_CATEGORY),
    ],
)
async def test_a_reason_outside_the_catalogue_records_nothing(
    outcome: Outcome, reason: str, code: ReasonRefusal
) -> None:
    case_id = uuid.uuid4()
    store = store_with(case_id)
    with pytest.raises(ReasonRefusedError) as refused:
        await run(store, case_id, body(outcome, reason))
    assert refused.value.code is code
    assert store.decisions == []
    assert store.cases[case_id, 1].case.state is State.LEASED


async def test_the_same_key_is_the_same_decision_and_another_case_s_key_is_refused() -> None:
    case_id, key = uuid.uuid4(), uuid.uuid4()
    store = store_with(case_id)
    first = await run(store, case_id, body(Outcome.NO_VIOLATION, "nv.no_breach", key))
    again = await run(store, case_id, body(Outcome.NO_VIOLATION, "nv.no_breach", key))
    assert again.result.repeated  # type: ignore[attr-defined]
    assert again.result.decision_id == first.result.decision_id  # type: ignore[attr-defined]
    assert len(store.decisions) == 1
    other = uuid.uuid4()
    store.cases[other, 1] = replace(store.cases[case_id, 1], case=leased(other, "alice", NOW))
    with pytest.raises(KeyReusedError):
        await run(store, other, body(Outcome.NO_VIOLATION, "nv.no_breach", key))


async def test_a_dismissed_or_missing_case_is_refused_with_its_reason() -> None:
    case_id = uuid.uuid4()
    store = store_with(case_id, state=State.DISMISSED)
    with pytest.raises(ReviewError) as refused:
        await run(store, case_id, body(Outcome.REMOVE_CONTENT, "tos.hate.2"))
    assert refused.value.code is ErrorCode.CASE_DISMISSED
    with pytest.raises(CaseNotFoundError):
        await run(store, uuid.uuid4(), body(Outcome.REMOVE_CONTENT, "tos.hate.2"))


async def test_a_ban_in_a_terrorism_case_keeps_the_evidence_before_anything_goes() -> None:
    case_id = uuid.uuid4()
    store = store_with(case_id, category=Category.TERRORISM)
    decided = await run(store, case_id, body(Outcome.BAN_USER, "fr.cp.421-2-5"))
    action = json.loads(decided.events[1].value)  # type: ignore[attr-defined]
    assert [m["action"] for m in action["measures"]][:2] == [
        "preserve_evidence",
        "refer_to_authorities",
    ]
    [kept] = store.preserved
    assert (kept.case, str(kept.action_id)) == ((case_id, 1), action["action_id"])


async def test_an_appeal_is_filed_once_on_a_decided_case() -> None:
    case_id = uuid.uuid4()
    store = store_with(case_id)
    await run(store, case_id, body(Outcome.SUSPEND_USER, "tos.hate.2"))
    appeal_id, repeated = await appeal(
        store, (case_id, 1), reason="unfair", filed_by="platform", idempotency_key=uuid.uuid4()
    )
    assert not repeated
    [filed] = store.appeals
    assert (filed.appeal_id, filed.decision_id) == (appeal_id, store.decisions[0].decision_id)
    assert store.cases[case_id, 1].case.state is State.APPEALED
    with pytest.raises(ReviewError) as refused:
        await appeal(
            store, (case_id, 1), reason="again", filed_by="platform", idempotency_key=uuid.uuid4()
        )
    assert refused.value.code is ErrorCode.NOT_DECIDED
