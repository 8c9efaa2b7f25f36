"""Default-ignorable characters are removed before rules read a text, whatever their class."""

from __future__ import annotations

import re

import icu
import pytest

from services.prescreen.adapters.stemmers import snowball
from services.prescreen.core.invisible import DEFAULT_IGNORABLE, displayed, strip_invisible
from services.prescreen.core.text_rules import Rule, RuleSet
from shared.events import Category

CLASSES = {
    "bidi marks (LRM, RLM, ALM)": ["\u200e", "\u200f", "\u061c"],
    "bidi embeddings and overrides (LRE, RLE, PDF, LRO, RLO)": [
        "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
    ],
    "bidi isolates (LRI, RLI, FSI, PDI)": ["\u2066", "\u2067", "\u2068", "\u2069"],
    "zero-width (ZWSP, ZWNJ, ZWJ, WJ, BOM)": ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"],
    "soft hyphen and combining grapheme joiner": ["\u00ad", "\u034f"],
    "variation selectors": ["\ufe00", "\ufe0f", "\U000e0100"],
    "invisible operators and deprecated format": ["\u2061", "\u2064", "\u206a", "\u206f"],
    "Hangul and Mongolian fillers": ["\u3164", "\uffa0", "\u115f", "\u180b", "\u180e"],
    "tag characters": ["\U000e0001", "\U000e0041", "\U000e007f"],
}  # fmt: skip

RULES = RuleSet(
    [Rule("fr.threat", Category.HARASSMENT, "fr", 0.8, keywords=("je vais te tuer",))],
    stemmers=snowball(),
)


def _icu_set(name: str) -> set[int]:
    return {ord(c) for c in icu.UnicodeSet(f"[:{name}:]")}


def test_table_is_unicode_default_ignorable_and_covers_every_bidi_control() -> None:
    ours = {cp for cp in range(0x110000) if re.fullmatch(f"[{DEFAULT_IGNORABLE}]", chr(cp))}
    assert ours == _icu_set("Default_Ignorable_Code_Point")
    assert _icu_set("Bidi_Control") <= ours


@pytest.mark.parametrize("chars", CLASSES.values(), ids=CLASSES.keys())
def test_a_rule_still_matches_with_each_class_inside_its_words(chars: list[str]) -> None:
    for char in chars:
        text = f"je v{char}ais te t{char}u{char}er demain"
        assert strip_invisible(text) == "je vais te tuer demain"
        assert [h.rule_id for h in RULES.match(text, "fr")] == ["fr.threat"], repr(char)


def test_an_override_is_also_screened_as_the_reader_sees_it() -> None:
    # stored "je vais te reut", displayed "je vais te tuer"
    stored = "je vais te \u202ereut\u202c"
    assert RULES.match(stored, "fr") == []
    shown = displayed(stored)
    assert shown == "je vais te tuer"
    assert [h.rule_id for h in RULES.match(shown, "fr")] == ["fr.threat"]
    assert displayed("no override") is None
