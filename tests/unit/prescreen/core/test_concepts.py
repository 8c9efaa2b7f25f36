"""Word families (stems) and compositional rules: what they join, what they keep apart."""

from __future__ import annotations

import pytest

from services.prescreen.adapters.stemmers import snowball
from services.prescreen.core.concepts import (
    Compositions,
    ConceptError,
    ConceptRule,
    Concepts,
    distinct_signals,
    repeated,
    tokens,
)


@pytest.fixture(scope="module")
def concepts() -> Concepts:
    return Concepts(
        {
            "threaten": {"fr": ["menacer"], "en": ["threaten"]},
            "kill": {"fr": ["tuer"], "en": ["kill"]},
            "offer": {"en": ["for sale", "sell"], "fr": ["vends"], "any": ["#money"]},
            "substance": {"any": ["coke"], "en": ["weed"]},
            "age": {"any": ["12", "13"]},
            "number": {"any": ["#num"]},
            "bulk": {"any": ["#repeated"]},
            "dirty": {"fr": ["sale"]},
        },
        snowball(),
    )


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("il me menace", "fr"),
        ("il m'a menacée", "fr"),
        ("des menaces", "fr"),
        ("il menaçait", "fr"),
        ("he threatens me", "en"),
        ("he threatened me", "en"),
        ("threatening messages", "en"),
        ("he threatened me", None),  # unknown language: both languages' families
    ],
)
def test_a_word_matches_its_family(concepts: Concepts, text: str, language: str | None) -> None:
    from services.prescreen.core.text_rules import normalize  # noqa: PLC0415

    assert "threaten" in concepts.find(tokens(normalize(text)), language)


def test_a_short_stem_matches_only_as_written(concepts: Concepts) -> None:
    # "tuer" stems to "tu", which is also "you": the family would hold every "tu"
    assert "kill" not in concepts.find(tokens("tu es la"), "fr")
    assert "kill" in concepts.find(tokens("je vais le tuer"), "fr")
    assert "kill" not in concepts.find(tokens("tuerie"), "fr")


def test_a_language_keeps_its_false_friends_apart(concepts: Concepts) -> None:
    # "sale" is French for "dirty" and English for a sale: each language reads its own
    assert "offer" not in concepts.find(tokens("sale type"), "fr")
    assert "dirty" in concepts.find(tokens("sale type"), "fr")
    assert "dirty" not in concepts.find(tokens("for sale"), "en")
    assert "offer" in concepts.find(tokens("for sale"), "en")


def test_phrases_numbers_amounts_and_repetition(concepts: Concepts) -> None:
    found = concepts.find(tokens("weed 10e le g, t'as 13 ans"), "fr")
    assert found["offer"] == [1]  # the amount, as the class #money
    assert "age" in found
    assert "number" in found
    assert "substance" not in found  # "weed" is listed in English only
    assert "offer" in concepts.find(tokens("i have coke for sale"), "en")
    assert "offer" not in concepts.find(tokens("for the sale"), "en")  # a phrase is in order
    spam = tokens("join now join now join now")
    assert repeated(spam) is not None
    assert "bulk" in concepts.find(spam, "en")
    assert repeated(tokens("no no no no no no")) is None  # the same word is no message
    assert repeated(tokens("join now and join now")) is None  # twice is not bulk


def test_a_compositional_rule_needs_its_concepts_within_its_window() -> None:
    rule = ConceptRule(("offer", "substance"), at_least=2, within=5)
    assert rule.matches({"offer": [3], "substance": [6]})
    assert rule.matches({"offer": [30, 3], "substance": [6]})
    assert not rule.matches({"offer": [3], "substance": [8]})  # too far apart
    assert not rule.matches({"offer": [3]})
    # one word standing for both concepts is one signal
    assert not rule.matches({"offer": [3], "substance": [3]})
    some = ConceptRule(("promise", "payment", "urgency"), at_least=2, within=10)
    assert some.matches({"promise": [1], "urgency": [4]})
    assert not some.matches({"promise": [1]})


def test_one_word_for_two_concepts_stays_one_signal_when_a_later_word_is_out_of_reach() -> None:
    rule = ConceptRule(("offer", "substance"), at_least=2, within=5)
    # "followers" at 3 stands for both; the next offer, 17 words on, is no part of its window
    assert not rule.matches({"offer": [3, 20], "substance": [3]})
    assert not rule.matches({"offer": [3], "substance": [3, 20]})
    # within reach, a second word makes two signals
    assert rule.matches({"offer": [3, 6], "substance": [3]})
    three = ConceptRule(("promise", "payment", "urgency"), at_least=3, within=4)
    assert not three.matches({"promise": [0], "payment": [0, 9], "urgency": [2]})
    assert three.matches({"promise": [0], "payment": [0, 3], "urgency": [2]})


def test_each_concept_counted_needs_a_word_of_its_own() -> None:
    rule = ConceptRule(("promise", "payment", "urgency"), at_least=3, within=10)
    # one word stands for all three and two more words say only "payment": two signals
    assert not rule.matches({"promise": [2], "payment": [2, 4, 6], "urgency": [2]})
    # a word of its own for each concept makes three
    assert rule.matches({"promise": [2], "payment": [2, 4], "urgency": [2, 6]})
    assert distinct_signals([(2, "a"), (2, "b"), (2, "c"), (4, "a"), (6, "a")]) == 2
    assert distinct_signals([(2, "a"), (2, "b"), (4, "a")]) == 2


def test_compositions_report_exactly_the_rules_their_concepts_satisfy() -> None:
    rules = [
        (0, ConceptRule(("offer", "substance"), at_least=2, within=5)),
        (7, ConceptRule(("promise", "payment", "urgency"), at_least=2, within=10)),
    ]
    composed = Compositions(rules)
    assert composed.hits({"offer": [3], "substance": [6]}) == [0]
    assert composed.hits({"offer": [3], "substance": [6], "promise": [1], "urgency": [4]}) in (
        [0, 7],
        [7, 0],
    )
    assert composed.hits({"offer": [3], "substance": [20]}) == []  # found, but too far apart
    assert composed.hits({"offer": [3], "promise": [4]}) == []  # one of each rule is too few
    assert not Compositions([])


def test_a_hashtag_is_its_word_and_amounts_stand_as_their_class() -> None:
    assert tokens("#weed dispo 20e www.shop.xyz") == ["weed", "dispo", "#money", "#link"]
    assert tokens("#money") == ["money"]  # a user's hashtag never poses as a class


def test_a_concept_entry_that_is_no_word_is_refused() -> None:
    with pytest.raises(ConceptError, match="'broken'"):
        Concepts({"broken": {"en": ["#nothing"]}}, snowball())
    with pytest.raises(ConceptError, match="language"):
        Concepts({"broken": {"de": ["wort"]}}, snowball())


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("dispo 300 euros la barrette", ["dispo", "#money", "la", "barrette"]),
        ("only $ 20 today", ["only", "#money", "today"]),
        ("20 k € cash", ["#money", "cash"]),
        ("30 % off now", ["#percent", "off", "now"]),
        ("talk 5 euros", ["talk", "#money"]),
        ("go www.scam.example now, 2.com", ["go", "#link", "now", "#link"]),
        ("#promo 50%", ["promo", "#percent"]),
        ("mp3 13 ans", ["mp3", "13", "ans"]),
    ],
)
def test_amounts_and_links_across_words_are_their_class(text: str, words: list[str]) -> None:
    # read word by word and remembered: the same words give the same classes in any text
    assert tokens(text) == words
    assert tokens(f"ok {text} ok") == ["ok", *words, "ok"]
