"""Which language a text is in: its tag when it has a reliable one, else an identifier's guess.

A reporter's words come with the reporter's language tag; a reported message's excerpt comes
with none (the reporter may read a language they do not write). Models score only the
languages they were trained for, and rules and thresholds are chosen per language, so an
untagged text is identified first; a text too short or too mixed to tell stays unknown
(``None``), and is then matched by every language's rules and by no single-language model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class LanguageIdentifier(Protocol):
    """Guesses the language of texts (ISO 639-1 codes), ``None`` where it cannot tell."""

    def identify(self, texts: Sequence[str]) -> list[str | None]:
        """One guess per text, in order."""
        ...


class NoIdentifier:
    """Identifies nothing: every untagged text stays of unknown language."""

    def identify(self, texts: Sequence[str]) -> list[str | None]:
        """``None`` for every text."""
        return [None] * len(texts)


def primary(tag: str | None) -> str | None:
    """The primary language subtag of a BCP 47 tag (``fr`` of ``fr-CA``), lowercase."""
    if not tag:
        return None
    code = tag.replace("_", "-").split("-", 1)[0].lower()
    return code or None
