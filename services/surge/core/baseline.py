"""A category's baseline: how many reports a subject of the category gets per active minute.

Kept per bucket (reports, subject-buckets) on each partition of the subject stage: subjects
are spread over partitions by hash, so each partition's mean estimates the category's
without a cross-partition join. A subject's own reports are taken out before comparing, or a
lone viral subject would be its own baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class CategoryStats:
    """One category's buckets on one partition: bucket start -> [reports, subject-buckets]."""

    buckets: dict[int, list[int]] = field(default_factory=dict)

    def add(self, bucket: int, *, new_subject: bool) -> None:
        """Count a report; ``new_subject``: the subject's first of the category there."""
        figures = self.buckets.get(bucket)
        if figures is None:
            figures = self.buckets[bucket] = [0, 0]
        figures[0] += 1
        figures[1] += new_subject

    def totals(self, start: int, end: int) -> tuple[int, int]:
        """(reports, subject-buckets) in ``[start, end)``."""
        reports = subjects = 0
        for s, (r, n) in self.buckets.items():
            if start <= s < end:
                reports += r
                subjects += n
        return reports, subjects

    def prune(self, before: int) -> None:
        """Forget the buckets that started before ``before``."""
        for start in [s for s in self.buckets if s < before]:
            del self.buckets[start]

    def ended(self, before: int) -> bool:
        """Whether every bucket started before ``before`` (the stats can be dropped)."""
        return max(self.buckets, default=before - 1) < before

    def to_wire(self) -> list[list[int]]:
        """A JSON-ready form (the changelog's)."""
        return [[s, r, n] for s, (r, n) in self.buckets.items()]

    @classmethod
    def from_wire(cls, wire: list[list[int]]) -> CategoryStats:
        """The stats :meth:`to_wire` wrote."""
        return cls({s: [r, n] for s, r, n in wire})


def above_baseline(
    *,
    reports: int,
    active_buckets: int,
    category: tuple[int, int],
    own: tuple[int, int],
    factor: float,
    min_subjects: int,
) -> bool:
    """Whether a subject's reports per active bucket reach ``factor`` times its category's.

    ``category`` is the category's (reports, subject-buckets) in the window, ``own`` what
    the subject contributed to it. With fewer than ``min_subjects`` other subject-buckets
    there is no baseline to speak of: the absolute threshold decides alone (True).
    """
    others_reports = category[0] - own[0]
    others_subjects = category[1] - own[1]
    if others_subjects < min_subjects or active_buckets == 0:
        return True
    rate = reports / active_buckets
    return rate >= factor * (others_reports / others_subjects)
