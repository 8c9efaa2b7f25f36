"""What the console's pages show, shaped from the queue's rows (no HTTP, no templates).

Links in evidence are shown as text, split so that the registrable domain stands out (the
part a phishing link disguises); media are shown as their hashes until revealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import tldextract

from services.dispatch.adapters.yaml_files import shipped_catalogue
from services.dispatch.core.decisions import Outcome, applicable
from shared.events.reports import Category, SubjectKind

#: Outcomes the user cannot undo by deleting or editing: confirmed twice in the console.
IRREVERSIBLE = frozenset(
    {Outcome.BAN_USER, Outcome.BAN_GROUP_OR_CHANNEL, Outcome.REPORT_TO_AUTHORITIES}
)


@dataclass(frozen=True, slots=True)
class Reason:
    """A policy reason a reviewer may give."""

    code: str
    label: str


@dataclass(frozen=True, slots=True)
class ReasonGroups:
    """The reasons offered on a case page: those of a violation, and of no violation."""

    violation: list[Reason]
    no_violation: list[Reason]


@dataclass(frozen=True, slots=True)
class Link:
    """A URL cut around its registrable domain, for display as text."""

    before: str
    domain: str
    after: str


def policy_reasons(category: str, language: str) -> ReasonGroups:
    """The catalogue's reasons for a case of ``category``, labelled in ``language``."""
    catalogue = shipped_catalogue()
    violation = catalogue.for_outcome(Category(category), Outcome.REMOVE_CONTENT)
    return ReasonGroups(
        violation=[Reason(r.code, r.label(language)) for r in violation],
        no_violation=[Reason(r.code, r.label(language)) for r in catalogue.no_violation],
    )


def outcomes_for(kind: str) -> list[Outcome]:
    """The outcomes that apply to a subject of this kind, mildest first."""
    return [o for o in Outcome if applicable(o, SubjectKind(kind))]


@cache
def _extractor() -> tldextract.TLDExtract:
    # The suffix list bundled with tldextract: nothing is downloaded.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def link(url: str) -> Link:
    """``url`` split around its registrable domain (all of it in ``before`` if none)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    domain = _extractor()(host).top_domain_under_public_suffix if host else ""
    at = url.find(domain) if domain else -1
    if at < 0:
        return Link(url, "", "")
    return Link(url[:at], domain, url[at + len(domain) :])


def countdown(deadline: datetime | None, now: datetime) -> int | None:
    """Seconds left until ``deadline`` (negative when past), for the pages' countdowns."""
    if deadline is None:
        return None
    return int((deadline - now).total_seconds())


def screeners(verdict: dict[str, Any]) -> list[dict[str, Any]]:
    """Each screener of a verdict with its top scores and what it matched."""
    shown = []
    for screener in verdict.get("screeners", ()):
        scores = screener.get("scores") or {}
        top = sorted(scores.items(), key=lambda item: -float(item[1]))[:3]
        shown.append(
            {
                "name": screener.get("name", "?"),
                "usability": screener.get("usability"),
                "matches": screener.get("matches") or [],
                "scores": [(category, round(float(score), 2)) for category, score in top],
            }
        )
    return shown


def media_of(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every distinct media of the reports' evidence, in order, with its index."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for report in reports:
        for media in (report.get("evidence") or {}).get("media", ()):
            key = (media.get("sha256"), media.get("md5"), media.get("pdq"))
            if key not in seen:
                seen[key] = {"index": len(seen), **media}
    return list(seen.values())
