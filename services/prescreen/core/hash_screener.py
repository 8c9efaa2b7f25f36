"""The hash screener: a case's media hashes against the banks (exact and perceptual)."""

from __future__ import annotations

from collections.abc import Sequence

from services.prescreen.core.banks import BankHit, BankSet, MediaLookup
from services.prescreen.core.model import CaseInput, Finding, ScreenerResult, Usability
from shared.events import Category
from shared.events.screening import BankKind, HashAlgorithm

VERSION = "1"


def hit_score(hit: BankHit, threshold: int) -> float:
    """1.0 for an exact match, falling to about 0.5 at a PDQ match on the bank's threshold."""
    if hit.algorithm is not HashAlgorithm.PDQ or hit.distance == 0:
        return 1.0
    return round(1.0 - hit.distance / (2.0 * (threshold + 1)), 4)


class HashScreener:
    """Looks every media item of a batch up in the banks at once."""

    name = "hashes"
    version = VERSION

    def __init__(self, banks: BankSet) -> None:
        self.banks = banks

    def screen(self, cases: Sequence[CaseInput]) -> list[ScreenerResult]:
        """Score every case of the batch; the PDQ index is queried once for the batch."""
        items = [
            (m.sha256, m.md5, m.pdq, m.pdq_quality, m.pdq_dihedral)
            for case in cases
            for m in case.media
        ]
        lookups = iter(self.banks.lookup(items))
        results = []
        for case in cases:
            if not case.media:
                results.append(ScreenerResult(self.name, self.version, Usability.NO_INPUT))
                continue
            found = [next(lookups) for _ in case.media]
            results.append(self._result(found))
        return results

    def _result(self, lookups: list[MediaLookup]) -> ScreenerResult:
        scores: dict[Category, float] = {}
        findings: dict[tuple[str, str], Finding] = {}
        notes: list[str] = []
        allowed = 0
        for lookup in lookups:
            notes.extend(lookup.notes)
            for hit in lookup.hits:
                if hit.kind is BankKind.ALLOW:
                    allowed += 1
                    continue
                if hit.category is None:
                    continue
                score = hit_score(hit, self.banks.threshold(hit.bank))
                scores[hit.category] = max(scores.get(hit.category, 0.0), score)
                key = (hit.bank, hit.algorithm.value)
                if key not in findings or (findings[key].distance or 0) > hit.distance:
                    findings[key] = Finding(
                        "hash", hit.category, hit.bank, hit.distance, hit.algorithm.value
                    )
        if allowed:
            notes.append(f"{allowed} media item(s) on an allow-list")
        usable = any(lookup.usable for lookup in lookups)
        return ScreenerResult(
            self.name,
            self.version,
            Usability.USED if usable else Usability.UNUSABLE,
            scores,
            tuple(findings.values()),
            tuple(dict.fromkeys(notes)),
        )
