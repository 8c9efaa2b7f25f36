"""Characters a reader never sees: Unicode's default-ignorable code points.

They include every bidi control (LRM, RLM, ALM, LRE...RLO, PDF, LRI...PDI), zero-width
characters, the soft hyphen, variation selectors, Hangul fillers and tag characters: each
can be put inside a word to split it past a filter, so they are removed before any rule or
model reads a text. The table is Unicode 16's ``Default_Ignorable_Code_Point`` (a unit test
checks it against ICU's).

An override (RLO ... PDF) also changes what a reader sees: the run is displayed reversed,
so :func:`displayed` gives that form too, to be screened beside the stored one.
"""

from __future__ import annotations

import re

DEFAULT_IGNORABLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
_IGNORABLE = re.compile(f"[{DEFAULT_IGNORABLE}]")
_RLO, _LRO, _PDF = "\u202e", "\u202d", "\u202c"
# an override runs to its PDF, to the next override, or to the end of the paragraph
_OVERRIDE = re.compile(f"{_RLO}([^{_RLO}{_LRO}{_PDF}\n]*)")


def strip_invisible(text: str) -> str:
    """The text without its default-ignorable characters."""
    if text.isascii():
        return text
    return _IGNORABLE.sub("", text)


def displayed(text: str) -> str | None:
    """The text as a reader sees a right-to-left override's runs (reversed), if it has any."""
    if _RLO not in text:
        return None
    shown = _OVERRIDE.sub(lambda m: m.group(1)[::-1], text)
    return strip_invisible(shown)
