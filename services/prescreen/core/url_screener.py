"""The URL screener: the registrable domains of a case's links, looked up in domain lists.

A link is refanged first (``hxxp://scam[.]example``), then parsed as a browser would; a host
confusable with a listed name (TS #39 skeletons) scores as that name does, and says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from services.prescreen.core.domains import DomainIndex, InvalidUrlError, url_host
from services.prescreen.core.links import refang
from services.prescreen.core.model import CaseInput, Finding, ScreenerResult, Usability
from shared.events import Category

VERSION = "2"


class UrlScreener:
    """Scores a case by the listed domains its URLs point to."""

    name = "urls"

    def __init__(self, index: DomainIndex) -> None:
        self.index = index
        # the list file's hash makes a list change visible in every result it shaped
        self.version = f"{VERSION}+domains.{index.digest[:12]}"

    def screen(self, cases: Sequence[CaseInput]) -> list[ScreenerResult]:
        """Score every case of the batch."""
        return [self._screen_one(case) for case in cases]

    def _screen_one(self, case: CaseInput) -> ScreenerResult:
        if not case.urls:
            return ScreenerResult(self.name, self.version, Usability.NO_INPUT)
        invalid: Counter[str] = Counter()
        usable = 0
        scores: dict[Category, float] = {}
        findings: dict[tuple[str, str], Finding] = {}
        for url in case.urls:
            try:
                host = url_host(refang(url))
            except InvalidUrlError as exc:
                invalid[str(exc)] += 1
                continue
            usable += 1
            for listed in self.index.lookup(host):
                scores[listed.category] = max(scores.get(listed.category, 0.0), listed.score)
                findings.setdefault(
                    (listed.name, host.domain),
                    Finding("domain", listed.category, listed.name, detail=host.domain),
                )
            for alike in self.index.look_alikes(host):
                listed = alike.listed
                scores[listed.category] = max(scores.get(listed.category, 0.0), listed.score)
                findings.setdefault(
                    (listed.name, host.domain),
                    Finding(
                        "domain",
                        listed.category,
                        listed.name,
                        detail=f"{host.domain} looks like {alike.name}",
                    ),
                )
        # reasons and counts only: a URL itself may carry personal data
        notes = tuple(f"{count} URL(s) left aside: {reason}" for reason, count in invalid.items())
        if not usable:
            return ScreenerResult(self.name, self.version, Usability.UNUSABLE, notes=notes)
        return ScreenerResult(
            self.name, self.version, Usability.USED, scores, tuple(findings.values()), notes
        )
