"""How users write, read back as the rules' words: what each technique catches and leaves."""

from __future__ import annotations

import pytest

from services.prescreen.core.spelling import Spelling


@pytest.fixture(scope="module")
def spelling() -> Spelling:
    return Spelling(
        variants={"u": "you", "ur": "your", "jvais": "je vais", "renoi": "noir", "c": "c'est"},
        emoji={"\u2744": "coke", "\U0001f343": "weed"},
        vocabulary=["kill", "coke", "cocaine", "heroin", "harassment", "suicide", "bitch",
                    "threatening", "yourself", "weed", "sex"],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("i will k1ll u", "i will kill you"),  # leetspeak and an SMS spelling
        ("c0ke dispo", "coke dispo"),
        ("b!tch", "bitch"),
        ("$ex", "sex"),
        ("k1ll!!!", "kill!!!"),  # the exclamation marks stay punctuation
        ("kiiiiill", "kill"),  # letters held down
        ("k i l l", "kill"),  # spaced letters
        ("c.o.k.e", "coke"),
        ("k-1-l-l", "kill"),
        ("cocain and heroinn", "cocaine and heroin"),  # a letter missing, a letter doubled
        ("harrassment", "harassment"),
        ("suicdie", "suicide"),  # two letters swapped
        ("threatning", "threatening"),
        ("\u2744 \U0001f343 dispo", "coke weed dispo"),  # emoji codes
        ("jvais le dire", "je vais le dire"),
        ("un renoi", "un noir"),  # verlan
        ("c nul", "c'est nul"),
    ],
)
def test_what_users_write_is_read_as_the_rules_words(
    spelling: Spelling, written: str, read: str
) -> None:
    assert spelling.canonical(written) == read


@pytest.mark.parametrize(
    "text",
    [
        "mp3 24h 10e 3mmc 4x4 b2b covid19",  # digits beside letters that spell no known word
        "www.example.com",
        "il y a un chat",  # single letters that spell nothing
        "a b d e",
        "help!!!",
        "the thread is long",  # one letter from "threat", but a substitution
        "the meeting is at nine",
        "c'est bien, t-shirt, can't",  # an elision or a compound is not a variant
    ],
)
def test_ordinary_text_is_left_as_it_is(spelling: Spelling, text: str) -> None:
    assert spelling.canonical(text) == text


def test_a_typo_that_is_a_known_word_is_not_corrected() -> None:
    spelling = Spelling(variants={}, emoji={}, vocabulary=["selling", "spelling", "killing"])
    assert spelling.canonical("spelling selling") == "spelling selling"
    assert spelling.canonical("kiling") == "killing"


def test_a_typo_two_words_share_is_not_guessed() -> None:
    # "cocane" is one letter from both: neither is chosen
    spelling = Spelling(variants={}, emoji={}, vocabulary=["cocaine", "cocanes"])
    assert spelling.canonical("cocane") == "cocane"


def test_the_first_two_letters_are_not_taken_for_typos() -> None:
    # "treats" is "threats" without its second letter, and a word of its own
    spelling = Spelling(variants={}, emoji={}, vocabulary=["threats"])
    assert spelling.canonical("treats") == "treats"


def test_words_read_plain_once_still_join_into_spaced_letters(spelling: Spelling) -> None:
    # a word found plain is kept as plain, word by word; spaced letters lie across words
    assert spelling.canonical("c.o k.e dispo") == "coke dispo"
    assert spelling.canonical("un k i l l") == "un kill"
    assert spelling.canonical("(k i l l)") == "(kill)"
    assert spelling.canonical("un k i l l") == "un kill"  # the same words, now cached
    assert spelling.canonical("il y a un chat") == "il y a un chat"
    assert spelling.canonical("ok i will") == "ok i will"


def test_a_text_is_respelled_word_by_word_wherever_its_words_need_it(
    spelling: Spelling,
) -> None:
    # each word (or run of spaced letters) is respelled alone and remembered: the same
    # words read the same in any text, beside plain words, handles and numbers
    assert spelling.canonical("jvais k1ll u @3fa2b1c 450") == "je vais kill you @3fa2b1c 450"
    assert spelling.canonical("450 u k1ll jvais") == "450 you kill je vais"
    assert spelling.canonical("ok k i l l, u, c.o k.e") == "ok kill, you, coke"
    assert spelling.canonical("\u2744 dispo, k1ll!!! u") == "coke dispo, kill!!! you"
    assert spelling.canonical("mp3 u 24h") == "mp3 you 24h"
