"""How long preserved evidence is kept, and on what legal basis (pure).

Where the law asks for it (``shared.events.enforcement.EVIDENCE_CATEGORIES``), the evidence of
content is preserved and referred to the authorities before anything is removed. Preserved
evidence has its own retention, apart from the case's (``adapters/postgres/retention.py``):
it is kept for the authorities whatever the review decides, and deleted when its period ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.events.reports import Category


@dataclass(frozen=True, slots=True)
class EvidencePeriod:
    """How long the evidence of a category is kept, and why."""

    period: timedelta
    basis: str


#: The periods by category: the longest the law allows or asks for.
EVIDENCE_PERIODS: dict[Category, EvidencePeriod] = {
    Category.TERRORISM: EvidencePeriod(
        timedelta(days=183),
        "Regulation (EU) 2021/784 art. 6: removed terrorist content and related data are "
        "preserved for six months (longer on request of an authority or a court)",
    ),
    Category.CHILD_SEXUAL_ABUSE: EvidencePeriod(
        timedelta(days=365),
        "child sexual abuse reported to the authorities (LCEN art. 6, PHAROS): evidence kept "
        "for them, at most 12 months from detection (Regulation (EU) 2021/1232 art. 3(1)(h))",
    ),
}


def keep_until(category: Category, preserved_at: datetime) -> tuple[datetime, str]:
    """When evidence of ``category`` preserved at ``preserved_at`` goes, and the basis."""
    rule = EVIDENCE_PERIODS[category]
    return preserved_at + rule.period, rule.basis
