"""The pure types of pre-screening: what a screener reads, what it says, what the policy decides.

Screeners read :class:`CaseInput` (a case revision's texts, media hashes and links, as
received: a field may be malformed, and the screener that cannot use it says so) and return
one :class:`ScreenerResult` per case. The policy turns the results into a route.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from shared.events import Category
from shared.events.screening import Route, Usability

__all__ = [
    "REPORTERS_WORDS",
    "BackgroundScreener",
    "CaseInput",
    "Finding",
    "MediaItem",
    "Route",
    "Screener",
    "ScreenerResult",
    "TextItem",
    "Usability",
]


@dataclass(frozen=True, slots=True)
class TextItem:
    """One piece of text of a case: a reporter's words or a reported message's excerpt."""

    source: str  # "report" or "excerpt"
    text: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One media file's hashes, as received (hex strings, not yet checked)."""

    sha256: str | None = None
    md5: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    #: The PDQ hashes of the image rotated, flipped and transposed (its dihedral variants).
    pdq_dihedral: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseInput:
    """What the screeners see of one case revision."""

    case_id: str
    revision: int
    category: Category
    texts: tuple[TextItem, ...] = ()
    media: tuple[MediaItem, ...] = ()
    urls: tuple[str, ...] = ()
    report_count: int = 1
    reporter_count: int = 1
    languages: tuple[str, ...] = ()
    #: The language most of the case's text is in (tagged or identified), if known.
    language: str | None = None


#: A finding's ``detail`` when it was found in a reporter's own words, not the reported content.
REPORTERS_WORDS = "reporter's words"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a screener matched: a bank entry, a rule, a listed domain, a model label."""

    kind: str  # "hash", "rule", "domain", "model"
    category: Category
    #: The bank, rule id, domain list or model label that matched.
    ref: str
    #: Hamming distance of a PDQ match (0 for an exact hash match).
    distance: int | None = None
    #: What matched, when it is not personal data: the hash algorithm, the registrable domain.
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class ScreenerResult:
    """What one screener said about one case revision."""

    screener: str
    version: str
    usability: Usability
    scores: dict[Category, float] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    #: Why fields were left aside ("2 malformed PDQ hashes", "text over 10000 characters").
    notes: tuple[str, ...] = ()
    #: The language of each of the case's texts, in order, if this screener identified them.
    languages: tuple[str | None, ...] = ()


class Screener(Protocol):
    """A scorer of cases: a hash bank, a domain list, a text model, an external endpoint.

    ``screen`` runs on a whole batch at once, off the event loop, and must return one result
    per case, in order. It never raises for bad input: it reports the field as unusable.
    A screener that scores only some languages sets ``reads_languages``: it runs after the
    text screener has identified the texts' languages.
    """

    name: str
    version: str

    def screen(self, cases: Sequence[CaseInput]) -> list[ScreenerResult]:
        """Score every case of the batch."""
        ...


@runtime_checkable
class BackgroundScreener(Screener, Protocol):
    """A screener working elsewhere (a child process), started before the others run.

    ``submit`` starts a batch and ``results`` waits for it; meanwhile the engine's thread runs
    the other screeners.
    """

    def submit(self, cases: Sequence[CaseInput]) -> Future[Any]:
        """Start screening a batch; :meth:`results` waits for it."""
        ...

    def results(self, future: Future[Any]) -> list[ScreenerResult]:
        """Wait for a submitted batch's results, one per case, in order."""
        ...
