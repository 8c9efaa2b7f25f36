"""The shipped threat rules: menaces with a time or place, French threats in the present."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.prescreen.adapters.stemmers import snowball
from services.prescreen.adapters.yaml_files import load_rules
from services.prescreen.core.text_rules import RuleSet, combined_scores
from shared.events import Category

DEPLOY = Path(__file__).parents[4] / "deploy" / "prescreen"
HARASSMENT = Category.HARASSMENT


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(DEPLOY / "rules.yaml", stemmers=snowball())


def harassment(rules: RuleSet, text: str, language: str) -> float:
    return combined_scores(rules.match(text, language)).get(HARASSMENT, 0.0)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("keep talking and see what happens to you when you leave work tomorrow", "en"),
        ("continue et tu vas voir ce qui t'arrive quand tu sors du taf demain", "fr"),
        ("la prochaine fois que je te vois je t'éclate la tête", "fr"),
        ("on te bute si tu reviens ici", "fr"),
        ("dors avec la lumière allumée salope", "fr"),
        ("better sleep with the lights on, you worthless bitch", "en"),
        ("ur gonna get jumped walking home, we know which way u go", "en"),
        ("encore un mot et je te casse tous les os", "fr"),
        ("post that again and I'll make sure you can't walk for a month", "en"),
        ("u better watch urself, ppl like u have accidents", "en"),
    ],
)
def test_veiled_and_present_tense_threats_reach_review(
    rules: RuleSet, text: str, language: str
) -> None:
    assert harassment(rules, text, language) >= 0.55  # the live policy's review threshold


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("see you after work, I'll be outside your house at 6", "en"),
        ("on se voit à la sortie des cours, je t'attends devant chez toi", "fr"),
        ("je te retrouve au parking à 18h", "fr"),
        ("tu vas voir, c'est nul ce film", "fr"),
        ("my sister is going to murder me when she sees this", "en"),
        ("i'll get my flu shot tomorrow, do you want to come with me after work?", "en"),
        ("je te casse les oreilles avec mes histoires", "fr"),
        ("i got your address from mum, the invitation is in the post, sleep well", "en"),
    ],
)
def test_meeting_someone_or_an_idiom_is_no_threat(rules: RuleSet, text: str, language: str) -> None:
    assert harassment(rules, text, language) < 0.55


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("every kafir in this city will pay, the lions are coming", "en"),
        ("chaque mécréant de cette ville va payer, les lions arrivent", "fr"),
    ],
)
def test_a_call_against_unbelievers_is_terrorism(rules: RuleSet, text: str, language: str) -> None:
    terrorism = Category.TERRORISM
    assert combined_scores(rules.match(text, language)).get(terrorism, 0.0) >= 0.4
