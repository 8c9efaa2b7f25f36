"""What every screener reads: texts cleaned, links in them found, their languages known.

Two steps, both run on the whole batch. :func:`prepare`, before any screener: default-
ignorable characters removed, a right-to-left override's displayed form added beside the
stored one, and links written in the texts added to the case's links (a link in prose is
evidence like an attached one). :func:`identify`, by the text screener (in its child
process, where it overlaps the other screeners): untagged texts identified; the languages
come back with its results and :func:`with_languages` gives them to the policy and to the
screeners that read them (models that score only their languages).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from services.prescreen.core.invisible import displayed, strip_invisible
from services.prescreen.core.language import LanguageIdentifier, primary
from services.prescreen.core.links import MAX_TEXT_LINKS, find_links
from services.prescreen.core.model import CaseInput, TextItem


def prepare(cases: Sequence[CaseInput]) -> list[CaseInput]:
    """Texts cleaned and their displayed forms added; links in the texts added."""
    prepared = []
    for case in cases:
        texts = tuple(form for item in case.texts if item.text.strip() for form in _forms(item))
        urls = _links(case, texts)
        prepared.append(replace(case, texts=texts, urls=urls, language=_main_language(texts)))
    return prepared


def identify(cases: Sequence[CaseInput], identifier: LanguageIdentifier) -> list[CaseInput]:
    """The cases with every untagged text's language guessed (``None``: cannot tell)."""
    if all(item.language for case in cases for item in case.texts):
        return list(cases)
    return with_languages(cases, languages_of(cases, identifier))


def languages_of(
    cases: Sequence[CaseInput], identifier: LanguageIdentifier
) -> list[tuple[str | None, ...]]:
    """Each case's texts' languages: the tag, else the identifier's guess (one call)."""
    untagged = [item.text for case in cases for item in case.texts if not item.language]
    guesses = iter(identifier.identify(untagged) if untagged else ())
    return [tuple(item.language or next(guesses) for item in case.texts) for case in cases]


def with_languages(
    cases: Sequence[CaseInput], languages: Sequence[Sequence[str | None]]
) -> list[CaseInput]:
    """The cases with these languages, one per text in order, and their main language."""
    out = []
    for case, found in zip(cases, languages, strict=True):
        if len(found) != len(case.texts):
            out.append(case)  # a screener that reported nothing usable: keep the tags
            continue
        texts = tuple(
            item if item.language == language else replace(item, language=language)
            for item, language in zip(case.texts, found, strict=True)
        )
        out.append(replace(case, texts=texts, language=_main_language(texts)))
    return out


def _forms(item: TextItem) -> list[TextItem]:
    """The cleaned text, and its displayed form when an override reverses part of it."""
    cleaned = TextItem(item.source, strip_invisible(item.text), primary(item.language))
    shown = displayed(item.text)
    if shown is None or shown == cleaned.text:
        return [cleaned]
    return [cleaned, replace(cleaned, text=shown)]


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
