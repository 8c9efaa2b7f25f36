"""Evidence is preserved and referred before anything is removed (contract and core)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from services.dispatch.core.decisions import enforcement, lifted
from services.dispatch.core.evidence import EVIDENCE_PERIODS, keep_until
from services.dispatch.handlers.intake import automatic_measures
from shared.events.decisions import DecisionOutcome as Outcome
from shared.events.enforcement import EVIDENCE_CATEGORIES, REMOVALS, Action, EnforcementAction
from shared.events.reports import Category, SubjectKind

FIRST = ["preserve_evidence", "refer_to_authorities"]


def action(category: str, measures: list[str], **extra: Any) -> EnforcementAction:
    return EnforcementAction.model_validate_json(
        json.dumps(
            {
                "schema_version": 1,
                "action_id": str(uuid.uuid4()),
                "case_id": str(uuid.uuid4()),
                "case_revision": 1,
                "subject": {"kind": "message", "id": "m1", "chat_id": "c1"},
                "category": category,
                "measures": [{"action": m, "target": "subject"} for m in measures],
                "automatic": True,
                "reason": "screening:demo-csam",
                "issued_at": datetime.now(UTC).isoformat(),
            }
            | extra
        )
    )


@pytest.mark.parametrize("category", sorted(EVIDENCE_CATEGORIES))
@pytest.mark.parametrize("kind", list(SubjectKind))
def test_an_automatic_action_preserves_and_refers_before_it_removes(
    category: Category, kind: SubjectKind
) -> None:
    measures = [m["action"] for m in automatic_measures(kind, category)]
    assert measures[:2] == FIRST
    assert any(Action(m) in REMOVALS for m in measures[2:])
    action(category.value, measures)  # the contract accepts it


def test_other_categories_are_removed_without_a_referral() -> None:
    assert [m["action"] for m in automatic_measures(SubjectKind.MESSAGE, Category.SPAM)] == [
        "delete_message"
    ]


@pytest.mark.parametrize("category", sorted(EVIDENCE_CATEGORIES))
def test_every_decision_that_removes_in_these_categories_keeps_the_evidence_first(
    category: Category,
) -> None:
    for outcome in Outcome:
        for kind in SubjectKind:
            try:
                measures = [m.action for m in enforcement(outcome, kind, category)]
            except ValueError:
                continue  # a channel ban on a message
            if any(m in REMOVALS for m in measures):
                assert [m.value for m in measures[:2]] == FIRST, (outcome, kind)
                assert measures.count(Action.PRESERVE_EVIDENCE) == 1


@pytest.mark.parametrize(
    "measures",
    [
        ["delete_message"],
        ["delete_message", "preserve_evidence", "refer_to_authorities"],
        ["refer_to_authorities", "preserve_evidence", "delete_message"],
        ["preserve_evidence", "delete_message", "refer_to_authorities"],
    ],
)
def test_the_contract_refuses_a_removal_before_the_evidence_is_kept(measures: list[str]) -> None:
    with pytest.raises(ValidationError, match="preserve_evidence"):
        action("child_sexual_abuse", measures)


def test_preserving_after_a_removal_is_refused_in_any_category() -> None:
    with pytest.raises(ValidationError, match="before any measure that removes"):
        action("spam", ["delete_message", "preserve_evidence"])


def test_a_reversal_restores_without_undoing_the_preservation_or_the_referral() -> None:
    undone = [m.action.value for m in lifted(Outcome.REPORT_TO_AUTHORITIES, SubjectKind.MESSAGE)]
    assert undone == ["delete_message"]
    action("child_sexual_abuse", undone, reverses=str(uuid.uuid4()), automatic=False)


def test_preserved_evidence_is_kept_for_its_legal_period_with_its_basis() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    until, basis = keep_until(Category.TERRORISM, now)
    assert until == now + timedelta(days=183)
    assert "2021/784 art. 6" in basis
    until, basis = keep_until(Category.CHILD_SEXUAL_ABUSE, now)
    assert until == now + timedelta(days=365)
    assert set(EVIDENCE_PERIODS) == set(EVIDENCE_CATEGORIES)
