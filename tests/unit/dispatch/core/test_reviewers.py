"""Which reviewer may take which case."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.dispatch.core.reviewers import (
    GENERAL_CLEARANCES,
    GRAPHIC_CATEGORIES,
    CaseTraits,
    Ineligible,
    Reviewer,
    Role,
    eligible,
)
from shared.events.reports import Category

ANNA = Reviewer(
    id="anna",
    name="Anna",
    languages=frozenset({"fr", "en"}),
    clearances=GENERAL_CLEARANCES,
    exposure_cap=3,
)
SPAM_FR = CaseTraits(Category.SPAM, frozenset({"fr"}))


def _check(
    reviewer: Reviewer,
    case: CaseTraits,
    *,
    exposure_used: int = 0,
    previous: frozenset[str] = frozenset(),
) -> Ineligible | None:
    return eligible(reviewer, case, exposure_used=exposure_used, previous_deciders=previous).reason


def test_a_matching_reviewer_is_eligible() -> None:
    result = eligible(ANNA, SPAM_FR, exposure_used=0, previous_deciders=())
    assert result
    assert result.reason is None


def test_an_ineligible_answer_is_falsy_and_says_why() -> None:
    result = eligible(replace(ANNA, active=False), SPAM_FR, exposure_used=0, previous_deciders=())
    assert not result
    assert result.reason is Ineligible.INACTIVE


@pytest.mark.parametrize(
    ("case_languages", "expected"),
    [
        (frozenset(), None),
        (frozenset({"fr"}), None),
        (frozenset({"de", "en"}), None),
        (frozenset({"EN-gb"}), None),
        (frozenset({"de"}), Ineligible.LANGUAGE),
    ],
)
def test_language_match(case_languages: frozenset[str], expected: Ineligible | None) -> None:
    assert _check(ANNA, CaseTraits(Category.SPAM, case_languages)) is expected


def test_child_sexual_abuse_needs_the_explicit_clearance() -> None:
    csam = CaseTraits(Category.CHILD_SEXUAL_ABUSE)
    assert Category.CHILD_SEXUAL_ABUSE not in GENERAL_CLEARANCES
    assert _check(ANNA, csam) is Ineligible.NO_CLEARANCE
    # No role implies it, not even admin.
    admin = replace(ANNA, roles=frozenset({Role.ADMIN}))
    assert _check(admin, csam) is Ineligible.NO_CLEARANCE
    cleared = replace(ANNA, clearances=GENERAL_CLEARANCES | {Category.CHILD_SEXUAL_ABUSE})
    assert _check(cleared, csam) is None


def test_a_category_outside_the_clearances_is_refused() -> None:
    spam_only = replace(ANNA, clearances=frozenset({Category.SPAM}))
    assert _check(spam_only, CaseTraits(Category.HATE_SPEECH)) is Ineligible.NO_CLEARANCE


def test_escalated_cases_go_to_seniors_only() -> None:
    escalated = replace(SPAM_FR, escalated=True)
    assert _check(ANNA, escalated) is Ineligible.NOT_SENIOR
    for role in (Role.SENIOR, Role.ADMIN):
        assert _check(replace(ANNA, roles=frozenset({role})), escalated) is None


def test_a_previous_decider_may_not_take_the_case_again() -> None:
    assert _check(ANNA, SPAM_FR, previous=frozenset({"anna"})) is Ineligible.PREVIOUS_DECIDER
    assert _check(ANNA, SPAM_FR, previous=frozenset({"bruno"})) is None


def test_an_appeal_never_goes_to_the_original_decider() -> None:
    appeal = replace(SPAM_FR, appeal=True, original_decider="anna")
    assert _check(ANNA, appeal) is Ineligible.ORIGINAL_DECIDER
    assert _check(ANNA, replace(appeal, original_decider="bruno")) is None


@pytest.mark.parametrize("category", sorted(GRAPHIC_CATEGORIES - {Category.CHILD_SEXUAL_ABUSE}))
def test_the_exposure_cap_applies_to_graphic_categories(category: Category) -> None:
    case = CaseTraits(category)
    assert _check(ANNA, case, exposure_used=2) is None
    assert _check(ANNA, case, exposure_used=3) is Ineligible.EXPOSURE_CAP


def test_the_exposure_cap_ignores_other_categories() -> None:
    assert _check(ANNA, SPAM_FR, exposure_used=100) is None


def test_graphic_categories_are_the_documented_four() -> None:
    assert (
        frozenset(
            {
                Category.CHILD_SEXUAL_ABUSE,
                Category.TERRORISM,
                Category.NON_CONSENSUAL_IMAGERY,
                Category.SELF_HARM,
            }
        )
        == GRAPHIC_CATEGORIES
    )
