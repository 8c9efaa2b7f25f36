"""The text screener with frames: a framed message's scores are lowered, a reporter's words not."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.prescreen.adapters.profanity_model import profanity_model
from services.prescreen.adapters.stemmers import snowball
from services.prescreen.adapters.yaml_files import load_framing, load_policy, load_rules
from services.prescreen.core.framing import Frame, Framing
from services.prescreen.core.model import CaseInput, ScreenerResult, TextItem
from services.prescreen.core.text_rules import Rule, RuleSet
from services.prescreen.core.text_screener import BatchModel, TextScreener
from shared.events import Category

DEPLOY = Path(__file__).parents[4] / "deploy" / "prescreen"
HARASSMENT = Category.HARASSMENT
GAME = Framing(
    [Frame("game", 0.5, frozenset({HARASSMENT}), ("match", "chess"))],
    address=("you", "your"),
    unaddressed_factor=0.6,
)
CRUSH = RuleSet(
    [Rule("en.crush", HARASSMENT, "en", 0.8, keywords=("crush you",))], stemmers=snowball()
)


def screen(screener: TextScreener, *items: TextItem) -> ScreenerResult:
    [result] = screener.screen([CaseInput("c", 1, HARASSMENT, texts=items)])
    return result


def no_model(texts: list[str]) -> list[float]:
    return [0.0] * len(texts)


def test_a_framed_message_scores_its_frame_s_factor_of_the_same_hit() -> None:
    screener = TextScreener(CRUSH, model=no_model, framing=(GAME, "digest"))
    plain = screen(screener, TextItem("excerpt", "i will crush you", "en"))
    played = screen(screener, TextItem("excerpt", "i will crush you at chess", "en"))
    assert plain.scores[HARASSMENT] == pytest.approx(0.8)
    assert played.scores[HARASSMENT] == pytest.approx(0.4)
    # the rule still matched: the finding stays, only its weight is lowered
    assert [f.ref for f in played.findings] == ["en.crush"]


def test_a_reporters_words_are_not_framed() -> None:
    screener = TextScreener(CRUSH, model=no_model, reporter_weight=1.0, framing=(GAME, "d"))
    said = screen(screener, TextItem("report", "he said he will crush you at chess", "en"))
    assert said.scores[HARASSMENT] == pytest.approx(0.8)


def test_the_abuse_model_counts_less_in_a_framed_or_unaddressed_message() -> None:
    screener = TextScreener(
        RuleSet([], stemmers=snowball()),
        model=lambda texts: [0.9] * len(texts),
        framing=(GAME, "d"),
    )
    addressed = screen(screener, TextItem("excerpt", "shut up you idiot", "en"))
    nobody = screen(screener, TextItem("excerpt", "this printer is useless crap", "en"))
    played = screen(screener, TextItem("excerpt", "you lost the match, idiot", "en"))
    assert addressed.scores[HARASSMENT] == pytest.approx(0.9)
    assert nobody.scores[HARASSMENT] == pytest.approx(0.9 * 0.6)
    assert played.scores[HARASSMENT] == pytest.approx(0.9 * 0.5)


def test_the_version_names_the_framing_file() -> None:
    screener = TextScreener(CRUSH, model=no_model, framing=(GAME, "abcdef0123456789"))
    assert screener.version.endswith("+framing.abcdef01")


def shipped_screener(model: BatchModel = profanity_model) -> TextScreener:
    """The shipped rules and frames."""
    return TextScreener(
        load_rules(DEPLOY / "rules.yaml", stemmers=snowball()),
        model=model,
        framing=load_framing(DEPLOY / "framing.yaml"),
    )


@pytest.fixture(scope="module")
def shipped() -> TextScreener:
    return shipped_screener()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("shut up you idiot, you know I love you", "en"),
        ("we're going to destroy you on saturday, 3-0, bring tissues", "en"),
        ("t'es vraiment trop con, je t'adore", "fr"),
        ("Le tribunal a condamné l'homme qui avait menacé de tuer la maire", "fr"),
    ],
)
def test_shipped_frames_keep_look_alikes_under_review(
    shipped: TextScreener, text: str, language: str
) -> None:
    review = load_policy(DEPLOY / "policy.yaml").rule(HARASSMENT).review
    result = screen(shipped, TextItem("excerpt", text, language))
    assert result.scores.get(HARASSMENT, 0.0) < review


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("lol you're dead when I catch you after school, I know which bus you take", "en"),
        ("je vais te tuer, je sais où tu habites, mdr", "fr"),
    ],
)
def test_shipped_frames_leave_threats_for_review(
    shipped: TextScreener, text: str, language: str
) -> None:
    review = load_policy(DEPLOY / "policy.yaml").rule(HARASSMENT).review
    result = screen(shipped, TextItem("excerpt", text, language))
    assert result.scores[HARASSMENT] >= review


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("see you at the trial, you are dead", "en"),
        ("on se voit au procès, t'es mort", "fr"),
        ("like in the movie, I will find you and I will kill you, I know where you live", "en"),
        ("comme dans le film, je vais te retrouver et te tuer, je sais où tu habites", "fr"),
    ],
)
def test_a_threat_that_names_a_trial_or_a_film_still_reaches_review(
    shipped: TextScreener, text: str, language: str
) -> None:
    review = load_policy(DEPLOY / "policy.yaml").rule(HARASSMENT).review
    result = screen(shipped, TextItem("excerpt", text, language))
    assert any(f.category == HARASSMENT and f.kind == "rule" for f in result.findings)
    assert result.scores[HARASSMENT] >= review


@pytest.mark.parametrize("policy", ["policy.yaml", "policy-shadow.yaml"])
def test_the_abuse_model_alone_never_sends_a_message_to_nobody_to_review(policy: str) -> None:
    certain = shipped_screener(model=lambda texts: [1.0] * len(texts))
    review = load_policy(DEPLOY / policy).rule(HARASSMENT).review
    nobody = screen(certain, TextItem("excerpt", "this fucking printer is useless again", "en"))
    someone = screen(certain, TextItem("excerpt", "you are useless, get out", "en"))
    assert nobody.scores[HARASSMENT] < review
    assert someone.scores[HARASSMENT] >= review
