"""What every screener reads: texts cleaned, their languages known, links in them found.

Run once per batch before any screener, so that rules, models and the policy see the same
texts: default-ignorable characters removed, a right-to-left override's displayed form added
beside the stored one, untagged texts identified, and links written in the texts added to
the case's links (a link in prose is evidence like an attached one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from services.prescreen.core.invisible import displayed, strip_invisible
from services.prescreen.core.language import LanguageIdentifier, primary
from services.prescreen.core.links import MAX_TEXT_LINKS, find_links
from services.prescreen.model import CaseInput, TextItem


def prepare(cases: Sequence[CaseInput], identifier: LanguageIdentifier) -> list[CaseInput]:
    """The cases as the screeners should read them (see the module docstring)."""
    texts = [[_forms(item) for item in case.texts if item.text.strip()] for case in cases]
    untagged = [
        item.text for items in texts for forms in items for item in forms if not item.language
    ]
    guesses = iter(identifier.identify(untagged) if untagged else [])
    prepared = []
    for case, items in zip(cases, texts, strict=True):
        known = tuple(
            item if item.language else replace(item, language=next(guesses))
            for forms in items
            for item in forms
        )
        prepared.append(
            replace(case, texts=known, urls=_links(case, known), language=_main_language(known))
        )
    return prepared


def _forms(item: TextItem) -> list[TextItem]:
    """The cleaned text, and its displayed form when an override reverses part of it."""
    cleaned = TextItem(item.source, strip_invisible(item.text), primary(item.language))
    shown = displayed(item.text)
    return (
        [cleaned]
        if shown is None or shown == cleaned.text
        else [cleaned, replace(cleaned, text=shown)]
    )


def _links(case: CaseInput, texts: Sequence[TextItem]) -> tuple[str, ...]:
    found = [link for item in texts for link in find_links(item.text)][:MAX_TEXT_LINKS]
    return tuple(dict.fromkeys((*case.urls, *found))) if found else case.urls


def _main_language(texts: Sequence[TextItem]) -> str | None:
    """The language most of the case's known text is in (by characters)."""
    sizes: Counter[str] = Counter()
    for item in texts:
        if item.language:
            sizes[item.language] += len(item.text)
    return sizes.most_common(1)[0][0] if sizes else None
