"""The routing policy and the engine around it (pure: no Kafka, no database)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from services.prescreen.adapters.yaml_files import load_policy
from services.prescreen.config import DEPLOY
from services.prescreen.core.model import (
    REPORTERS_WORDS,
    CaseInput,
    Finding,
    Route,
    ScreenerResult,
    Usability,
)
from services.prescreen.core.policy import (
    Policy,
    PolicyError,
    decide,
    priority_hint,
)
from services.prescreen.handlers.screening import ScreeningEngine
from shared.events import Category
from shared.events.screening import Severity

LIVE = load_policy(DEPLOY / "policy.yaml")
SHADOW = load_policy(DEPLOY / "policy-shadow.yaml")


def case(category: Category = Category.OTHER, reporters: int = 1, case_id: str = "c1") -> CaseInput:
    return CaseInput(case_id=case_id, revision=1, category=category, reporter_count=reporters)


def used(name: str, scores: dict[Category, float], *findings: Finding) -> ScreenerResult:
    return ScreenerResult(name, "1", Usability.USED, scores, findings)


def no_qa(policy: Policy) -> Policy:
    return policy.model_copy(update={"qa_sample_rate": 0.0})


def test_a_child_abuse_bank_match_acts_at_once_whatever_the_score() -> None:
    hit = Finding("hash", Category.CHILD_SEXUAL_ABUSE, "csam", 30, "pdq")
    decision = decide(LIVE, case(), [used("hashes", {Category.CHILD_SEXUAL_ABUSE: 0.52}, hit)])
    assert decision.route is Route.ACT_NOW
    assert decision.category is Category.CHILD_SEXUAL_ABUSE
    assert decision.severity is Severity.CRITICAL


def test_a_spam_bank_match_does_not_act_without_its_category_saying_so() -> None:
    hit = Finding("hash", Category.SPAM, "spam-bank", 0, "sha256")
    decision = decide(LIVE, case(), [used("hashes", {Category.SPAM: 0.8}, hit)])
    assert decision.route is Route.HUMAN_REVIEW  # 0.8 >= review 0.7 but < act_now 0.97


def test_weak_signals_go_to_review_and_the_rest_is_dismissed() -> None:
    policy = no_qa(LIVE)
    review = decide(policy, case(), [used("text", {Category.HATE_SPEECH: 0.6})])
    dismiss = decide(policy, case(), [used("text", {Category.HATE_SPEECH: 0.3})])
    assert (review.route, review.category) == (Route.HUMAN_REVIEW, Category.HATE_SPEECH)
    assert dismiss.route is Route.DISMISS
    assert dismiss.priority_hint == 0


def test_the_most_severe_triggered_category_wins() -> None:
    results = [used("text", {Category.SPAM: 0.8, Category.SELF_HARM: 0.5})]
    decision = decide(LIVE, case(), results)
    assert decision.category is Category.SELF_HARM
    assert decision.severity is Severity.HIGH


def test_unavailable_screeners_count_for_nothing() -> None:
    down = ScreenerResult("external", "1", Usability.UNAVAILABLE, {Category.SELF_HARM: 0.99})
    assert decide(no_qa(LIVE), case(), [down]).route is Route.DISMISS


def test_many_distinct_reporters_reach_a_person_even_without_a_signal() -> None:
    few = decide(no_qa(LIVE), case(Category.HATE_SPEECH, reporters=4), [])
    many = decide(no_qa(LIVE), case(Category.HATE_SPEECH, reporters=5), [])
    assert few.route is Route.DISMISS
    assert (many.route, many.category) == (Route.HUMAN_REVIEW, Category.HATE_SPEECH)


def test_the_qa_sample_is_deterministic_and_near_its_rate() -> None:
    policy = LIVE.model_copy(update={"qa_sample_rate": 0.1})
    cases = [case(case_id=f"case-{i}") for i in range(5000)]
    first = [decide(policy, c, []).qa_sample for c in cases]
    again = [decide(policy, c, []).qa_sample for c in cases]
    assert first == again
    assert 400 < sum(first) < 600
    sampled = decide(policy, cases[first.index(True)], [])
    assert sampled.route is Route.HUMAN_REVIEW


def test_priority_grows_with_severity_confidence_and_reporters_within_bounds() -> None:
    assert priority_hint(Severity.CRITICAL, 0.0, 1) > priority_hint(Severity.HIGH, 1.0, 1)
    assert priority_hint(Severity.LOW, 0.9, 1) > priority_hint(Severity.LOW, 0.1, 1)
    assert priority_hint(Severity.MEDIUM, 0.5, 8) > priority_hint(Severity.MEDIUM, 0.5, 2)
    # a brigade of thousands buys no more than a handful of reporters does
    assert priority_hint(Severity.LOW, 0.5, 10_000) == priority_hint(Severity.LOW, 0.5, 8)
    assert priority_hint(Severity.CRITICAL, 1.0, 10**9) <= 100


def test_a_broken_policy_file_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("name: x\nversion: 0\n")
    with pytest.raises(PolicyError, match=r"policy\.yaml"):
        load_policy(path)


class _Exploding:
    name = "boom"
    version = "1"

    def screen(self, cases: Sequence[CaseInput]) -> list[ScreenerResult]:
        raise RuntimeError("model crashed")


class _Fixed:
    name = "fixed"
    version = "1"

    def screen(self, cases: Sequence[CaseInput]) -> list[ScreenerResult]:
        return [used("fixed", {Category.HATE_SPEECH: 0.5}) for _ in cases]


def test_a_failing_screener_is_reported_and_the_others_still_decide() -> None:
    engine = ScreeningEngine([_Exploding(), _Fixed()], LIVE, SHADOW)
    [screened] = engine.screen([case()])
    boom, fixed = screened.results
    assert boom.usability is Usability.UNAVAILABLE
    assert boom.notes == ("screener failed: RuntimeError",)
    assert fixed.usability is Usability.USED
    # 0.5 is under the live hate speech threshold (0.55) and over the shadow one (0.45)
    assert screened.live.route is not Route.HUMAN_REVIEW or screened.live.qa_sample
    assert screened.shadow is not None
    assert screened.shadow.route is Route.HUMAN_REVIEW
    assert screened.shadow.policy_version == SHADOW.version


def test_thresholds_can_differ_per_language() -> None:
    raw = no_qa(LIVE).model_dump(mode="json")
    raw["categories"]["harassment_threats"]["languages"] = {"fr": {"review": 0.7}}
    policy = Policy.model_validate(raw)
    results = [used("text", {Category.HARASSMENT: 0.6})]
    french = CaseInput("c", 1, Category.OTHER, language="fr")
    english = CaseInput("c", 1, Category.OTHER, language="en")
    assert decide(policy, french, results).route is Route.DISMISS
    assert decide(policy, english, results).route is Route.HUMAN_REVIEW


@pytest.mark.parametrize(("reporters", "route"), [(1, Route.DISMISS), (2, Route.HUMAN_REVIEW)])
def test_distinct_reporters_move_a_scored_case_toward_a_person(
    reporters: int, route: Route
) -> None:
    # harassment reviews at 0.55; each reporter past the first adds 0.1 to a score it has
    found = Finding("rule", Category.HARASSMENT, "en.harassment.insults")
    results = [used("text", {Category.HARASSMENT: 0.48}, found)]
    decision = decide(no_qa(LIVE), case(Category.HARASSMENT, reporters), results)
    assert decision.route is route


def test_reporters_alone_do_not_make_a_score_and_count_up_to_four() -> None:
    policy = no_qa(LIVE)
    assert decide(policy, case(Category.SELF_HARM, 4), [used("text", {})]).route is Route.DISMISS
    found = Finding("rule", Category.SPAM, "en.spam.promotion")
    results = [used("text", {Category.SPAM: 0.42}, found)]  # spam reviews at 0.7
    assert decide(policy, case(Category.SPAM, 4), results).route is Route.HUMAN_REVIEW  # 0.72
    assert decide(policy, case(Category.SPAM, 9), results).route is Route.HUMAN_REVIEW
    assert decide(policy, case(Category.SPAM, 3), results).route is Route.DISMISS  # 0.62
    assert decide(policy, case(Category.OTHER, 4), results).route is Route.DISMISS


def test_reporters_do_not_corroborate_their_own_words() -> None:
    # terrorism reviews at 0.4: the reporters' words gave 0.33, and two reporters add 0.1
    policy = no_qa(LIVE)
    assert policy.corroboration is not None
    assert policy.corroboration.needs_content
    said = Finding("rule", Category.TERRORISM, "fr.report.terrorism", detail=REPORTERS_WORDS)
    shown = Finding("rule", Category.TERRORISM, "fr.terrorism.shape")
    words = [used("text", {Category.TERRORISM: 0.33}, said)]
    content = [used("text", {Category.TERRORISM: 0.33}, said, shown)]
    assert decide(policy, case(Category.TERRORISM, 2), words).route is Route.DISMISS
    assert decide(policy, case(Category.TERRORISM, 2), content).route is Route.HUMAN_REVIEW
    # without needs_content, the reporters' number adds to their own words
    lenient = policy.model_copy(
        update={"corroboration": policy.corroboration.model_copy(update={"needs_content": False})}
    )
    assert decide(lenient, case(Category.TERRORISM, 2), words).route is Route.HUMAN_REVIEW


def test_reporters_do_not_corroborate_a_score_no_screener_found() -> None:
    # the abuse model gives every English text some probability; under its threshold it
    # names no finding, and four reporters' number is no evidence to add to it
    policy = no_qa(LIVE)
    faint = [used("text", {Category.HARASSMENT: 0.3})]
    assert decide(policy, case(Category.HARASSMENT, 4), faint).route is Route.DISMISS
    model = Finding("model", Category.HARASSMENT, "profanity-check")
    found = [used("text", {Category.HARASSMENT: 0.3}, model)]
    assert decide(policy, case(Category.HARASSMENT, 4), found).route is Route.HUMAN_REVIEW


def test_a_screener_in_shadow_mode_routes_only_the_shadow_policy() -> None:
    results = [used("safety_model", {Category.HATE_SPEECH: 0.9})]
    assert decide(no_qa(LIVE), case(), results).route is Route.DISMISS
    assert decide(no_qa(SHADOW), case(), results).route is Route.HUMAN_REVIEW
