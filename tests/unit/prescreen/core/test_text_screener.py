from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pytest

from services.prescreen.adapters.profanity_model import profanity_model
from services.prescreen.adapters.stemmers import snowball
from services.prescreen.adapters.yaml_files import load_rules
from services.prescreen.core.model import CaseInput, ScreenerResult, TextItem, Usability
from services.prescreen.core.text_rules import Rule, RuleSet
from services.prescreen.core.text_screener import TextScreener
from shared.events import Category

DEPLOY_RULES = Path(__file__).parents[4] / "deploy" / "prescreen" / "rules.yaml"


class CountingModel:
    """The real model, counting its calls."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, texts: list[str]) -> Sequence[float]:
        self.calls.append(len(texts))
        return profanity_model(texts)


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(DEPLOY_RULES, stemmers=snowball())


@pytest.fixture
def model() -> CountingModel:
    return CountingModel()


@pytest.fixture
def screener(rules: RuleSet, model: CountingModel) -> TextScreener:
    return TextScreener(rules, model=model)


def case(*texts: tuple[str, str | None], case_id: str = "c1") -> CaseInput:
    items = tuple(TextItem("excerpt", text, language) for text, language in texts)
    return CaseInput(case_id, 1, Category.HARASSMENT, texts=items)


def screen_one(screener: TextScreener, item: CaseInput) -> ScreenerResult:
    [result] = screener.screen([item])
    return result


def test_name_and_version_follow_the_rules_file(screener: TextScreener, rules: RuleSet) -> None:
    assert screener.name == "text"
    assert screener.version.endswith(rules.digest[:12])


def test_no_text_is_no_input(screener: TextScreener, model: CountingModel) -> None:
    for item in (case(), case(("   ", "fr"))):
        result = screen_one(screener, item)
        assert result.usability is Usability.NO_INPUT
        assert result.scores == {}
    assert model.calls == []


def test_french_threat_is_a_rule_finding(screener: TextScreener, model: CountingModel) -> None:
    text = "Je vais te tuér, je sais où tu habites"
    result = screen_one(screener, case((text, "fr")))
    assert result.usability is Usability.USED
    refs = {(f.kind, f.ref) for f in result.findings}
    assert ("rule", "fr.harassment.death-threat") in refs
    assert ("rule", "fr.harassment.doxxing") in refs
    assert ("rule", "fr.harassment.threat-shape") in refs
    assert ("rule", "any.harassment.threat") in refs  # first person, violent act, the reader
    assert result.scores[Category.HARASSMENT] == pytest.approx(
        1 - math.prod(1 - hit.weight for hit in screener.rules.match(text, "fr"))
    )
    # French text never reaches the English model
    assert model.calls == []


def test_model_scores_an_english_insult_above_a_neutral_sentence(screener: TextScreener) -> None:
    insult, neutral = screener.screen(
        [
            case(("you are a disgusting stupid idiot", "en"), case_id="insult"),
            case(("the train leaves at nine tomorrow morning", "en"), case_id="neutral"),
        ]
    )
    assert insult.scores[Category.HARASSMENT] >= 0.5
    assert ("model", "profanity-check") in {(f.kind, f.ref) for f in insult.findings}
    assert neutral.scores[Category.HARASSMENT] < 0.5
    assert neutral.findings == ()


def test_score_is_the_max_of_rule_and_model(rules: RuleSet) -> None:
    screener = TextScreener(rules, model=lambda texts: [0.3] * len(texts))
    result = screen_one(screener, case(("i will kill you", "en")))
    # three rules: two phrases and the composition (first person, violent act, the reader)
    assert result.scores[Category.HARASSMENT] == pytest.approx(1 - 0.2 * 0.4 * 0.4)
    screener = TextScreener(rules, model=lambda texts: [0.99] * len(texts))
    result = screen_one(screener, case(("i will kill you", "en")))
    assert result.scores[Category.HARASSMENT] == pytest.approx(0.99)


def test_whole_batch_in_one_model_call(screener: TextScreener, model: CountingModel) -> None:
    cases = [
        case((f"message number {i}", "en"), (f"message numéro {i}", "fr"), case_id=str(i))
        for i in range(300)
    ]
    cases.append(case())
    results = screener.screen(cases)
    assert len(results) == len(cases)
    assert model.calls == [300]
    assert results[-1].usability is Usability.NO_INPUT
    assert all(r.usability is Usability.USED for r in results[:-1])


def test_oversized_text_is_truncated_with_a_note(rules: RuleSet, model: CountingModel) -> None:
    screener = TextScreener(rules, max_chars=100, model=model)
    text = "bonjour " * 20 + "je vais te tuer"
    result = screen_one(screener, case((text, "fr"), ("je sais où tu habites", "fr")))
    assert result.notes == ("1 text(s) over 100 characters, scored on their start",)
    # the threat lies past the limit: only the short text's rules are found
    refs = {f.ref for f in result.findings}
    assert refs == {
        "fr.harassment.doxxing",
        "fr.harassment.threat-shape",
        "any.harassment.ominous-info",
    }


def test_the_english_model_scores_english_texts_only(rules: RuleSet) -> None:
    screener = TextScreener(rules, model=lambda texts: [0.9] * len(texts))
    french, unknown, english = screener.screen(
        [
            case(("Fiers de défiler à la marche des fiertés, quelle journée", "fr")),
            case(("quelle journée, on y était tous", None)),
            case(("what a day, we were all there", "en-GB")),
        ]
    )
    assert Category.HARASSMENT not in french.scores
    assert Category.HARASSMENT not in unknown.scores
    assert english.scores[Category.HARASSMENT] == pytest.approx(0.9)


def test_reporters_words_count_for_less_than_the_reported_message() -> None:
    rules = RuleSet(
        [Rule("en.threat", Category.HARASSMENT, "en", 0.8, keywords=("kill you",))],
        stemmers=snowball(),
    )
    screener = TextScreener(rules, model=lambda texts: [0.0] * len(texts), reporter_weight=0.5)
    threat = "i will kill you"
    [excerpt, words] = screener.screen(
        [
            CaseInput("a", 1, Category.HARASSMENT, texts=(TextItem("excerpt", threat, "en"),)),
            CaseInput("b", 1, Category.HARASSMENT, texts=(TextItem("report", threat, "en"),)),
        ]
    )
    assert words.scores[Category.HARASSMENT] == pytest.approx(
        excerpt.scores[Category.HARASSMENT] * 0.5
    )
    assert excerpt.scores[Category.HARASSMENT] == pytest.approx(0.8)
    assert {f.detail for f in words.findings} == {"reporter's words"}


def test_rules_for_reporters_words_read_reporters_words_only() -> None:
    rules = RuleSet(
        [Rule("en.report", Category.FRAUD, "en", 0.5, keywords=("scam",), source="report")],
        stemmers=snowball(),
    )
    screener = TextScreener(rules, model=lambda texts: [0.0] * len(texts), reporter_weight=1.0)
    said, quoted = screener.screen(
        [
            CaseInput("a", 1, Category.FRAUD, texts=(TextItem("report", "a scam", "en"),)),
            CaseInput("b", 1, Category.FRAUD, texts=(TextItem("excerpt", "a scam", "en"),)),
        ]
    )
    assert said.scores[Category.FRAUD] == pytest.approx(0.5)
    assert quoted.scores.get(Category.FRAUD, 0.0) == 0.0


class _AlwaysFrench:
    """An identifier that reads every text as French, as lingua did English slang."""

    def identify(self, texts: Sequence[str]) -> list[str | None]:
        return ["fr"] * len(texts)


def test_an_untagged_text_is_read_by_every_language_s_rules() -> None:
    sale = RuleSet(
        [Rule("en.offer", Category.ILLEGAL_GOODS, "en", 0.6, keywords=("edibles in stock",))],
        stemmers=snowball(),
    )
    screener = TextScreener(sale, model=lambda texts: [0.0] * len(texts), languages=_AlwaysFrench())
    untagged, tagged = screener.screen(
        [
            case(("carts and edibles in stock, cashapp", None)),
            case(("carts and edibles in stock, cashapp", "fr")),
        ]
    )
    # the guess is reported (it chooses the model and thresholds), the rules read it all
    assert untagged.languages == ("fr",)
    assert untagged.scores[Category.ILLEGAL_GOODS] == pytest.approx(0.6)
    # a tag is the writer's word for it: only that language's rules
    assert Category.ILLEGAL_GOODS not in tagged.scores


def test_the_abuse_model_reads_the_reported_message_not_the_reporter_s_words() -> None:
    accusation = TextItem("report", "this is racist, disgusting", "en")
    message = TextItem("excerpt", "Black History Month reading list, share yours", "en")
    screener = TextScreener(
        RuleSet([], stemmers=snowball()),
        model=lambda texts: [0.95 if "racist" in t else 0.02 for t in texts],
    )
    [result] = screener.screen(
        [CaseInput("c", 1, Category.HATE_SPEECH, texts=(accusation, message))]
    )
    assert result.scores[Category.HARASSMENT] == pytest.approx(0.02)
    assert not [f for f in result.findings if f.kind == "model"]
