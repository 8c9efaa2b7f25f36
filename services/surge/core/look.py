"""A subject's buckets read once for the many windows an evaluation asks about.

An evaluation asks about every window its batch touched (twenty or more with the default
windows: ten of ten minutes, twelve of an hour), and a flush about every window that grew.
Each window's figures are unions over its buckets: computed window by window, a busy
subject's hour of reporters and its links were counted once per window, which grew with
the subject until surge could not keep up. Most of those windows reach the subject's
newest bucket, so their buckets are the newest ones from a start on (suffixes): their
unions are read off one walk from the newest bucket back, each bucket counted once.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

from services.surge.core.bucket import Bucket, linked_in, reporters_in


@dataclass(frozen=True, slots=True)
class Figures:
    """One subject's reports in one window."""

    count: int
    reporters: int
    new_reporters: int
    #: Reporters in the largest set that reported one same other subject before, among
    #: the reporters of the window's buckets that keep their links.
    linked: int
    #: Distinct reporters of the window's buckets that keep their links (the share's base).
    linked_reporters: int
    active_buckets: int
    categories: dict[str, int]

    @property
    def category(self) -> str:
        """The category most reports chose (:func:`top_category`)."""
        return top_category(self.categories)


def top_category(categories: dict[str, int]) -> str:
    """The category most reports chose (ties: the first in name order)."""
    return min(categories, key=lambda c: (-categories[c], c))


class Look:
    """The buckets of one subject, oldest first, for the figures of many windows.

    Built from each bucket's (start, reports); the buckets themselves are loaded (``load``)
    only when a window's count reaches a threshold, which most never do.
    """

    def __init__(
        self,
        by_start: list[tuple[int, int]],
        load: Callable[[], list[tuple[int, Bucket]]],
    ) -> None:
        by_start = sorted(by_start)
        self._starts = [start for start, _reports in by_start]
        self._sums = list(accumulate((n for _start, n in by_start), initial=0))
        self._load = load
        self._loaded: list[Bucket] | None = None
        #: Per category, (reports, buckets with any) of the buckets before each index.
        self._cumulative: list[dict[str, tuple[int, int]]] | None = None
        #: The walk from the newest bucket back: where it got to, and what it gathered.
        self._walked = len(by_start)
        self._reporters: set[int] = set()
        self._new: set[int] = set()
        #: Distinct (reporters, new reporters) of the buckets from each index walked on.
        self._suffix: dict[int, tuple[int, int]] = {}
        self._links: _LinkWalk | None = None

    @property
    def _buckets(self) -> list[Bucket]:
        if self._loaded is None:
            self._loaded = [bucket for _start, bucket in sorted(self._load(), key=_start_of)]
        return self._loaded

    def _span(self, start: int, end: int) -> tuple[int, int]:
        """The indexes of the buckets in ``[start, end)``."""
        return bisect_left(self._starts, start), bisect_left(self._starts, end)

    def count(self, start: int, end: int) -> int:
        """Reports in ``[start, end)``."""
        first, last = self._span(start, end)
        return self._sums[last] - self._sums[first]

    def tally(self, start: int, end: int) -> tuple[int, int, dict[str, int]]:
        """(reports, active buckets, reports per category) in ``[start, end)``."""
        first, last = self._span(start, end)
        return self._sums[last] - self._sums[first], last - first, self._sum_categories(first, last)

    def own(self, category: str, start: int, end: int) -> tuple[int, int]:
        """(reports, active buckets) of ``category`` in ``[start, end)``."""
        first, last = self._span(start, end)
        cumulative = self._categories()
        reports, buckets = cumulative[last].get(category, (0, 0))
        before_reports, before_buckets = cumulative[first].get(category, (0, 0))
        return reports - before_reports, buckets - before_buckets

    def figures(self, start: int, end: int, *, links_from: int | None = None) -> Figures:
        """Everything the rules need about ``[start, end)``.

        Co-reporting is judged on the buckets from ``links_from`` on (None: every bucket).
        """
        first, last = self._span(start, end)
        linked_first = first
        if links_from is not None:
            linked_first = max(first, bisect_left(self._starts, links_from))
        if last == len(self._starts):
            reporters, new = self._reporters_from(first)
            linked_reporters = self._reporters_from(linked_first)[0]
            if self._links is None:
                self._links = _LinkWalk(self._buckets)
            linked = self._links.most_from(linked_first)
        else:  # a window before the newest bucket (a late report's): counted on its own
            inside = self._buckets[first:last]
            reporters, new = reporters_in(inside)
            linked_part = self._buckets[linked_first:last]
            linked_reporters = reporters_in(linked_part)[0]
            linked = linked_in(linked_part)
        return Figures(
            count=self._sums[last] - self._sums[first],
            reporters=reporters,
            new_reporters=new,
            # A reporter can sit in several buckets of the window: the set is capped by it.
            linked=min(linked, linked_reporters),
            linked_reporters=linked_reporters,
            active_buckets=last - first,
            categories=self._sum_categories(first, last),
        )

    def _reporters_from(self, first: int) -> tuple[int, int]:
        """(distinct reporters, those new in any) of the buckets from index ``first`` on."""
        if first >= len(self._starts):
            return 0, 0
        while self._walked > first:
            self._walked -= 1
            words = self._buckets[self._walked].reporter_words()
            self._reporters.update([w >> 1 for w in words])
            self._new.update([w >> 1 for w in words if w & 1])
            self._suffix[self._walked] = (len(self._reporters), len(self._new))
        return self._suffix[first]

    def _categories(self) -> list[dict[str, tuple[int, int]]]:
        """Sums per category of the buckets before each index: a window's is a difference."""
        if self._cumulative is None:
            running: dict[str, tuple[int, int]] = {}
            self._cumulative = [running]
            for bucket in self._buckets:
                running = dict(running)
                for name, n in bucket.categories().items():
                    reports, buckets = running.get(name, (0, 0))
                    running[name] = (reports + n, buckets + 1)
                self._cumulative.append(running)
        return self._cumulative

    def _sum_categories(self, first: int, last: int) -> dict[str, int]:
        cumulative = self._categories()
        before = cumulative[first]
        total = {
            name: reports - before.get(name, (0, 0))[0]
            for name, (reports, _buckets) in cumulative[last].items()
        }
        return {name: n for name, n in total.items() if n}


def _start_of(span: tuple[int, Bucket]) -> int:
    return span[0]


class _LinkWalk:
    """The largest co-reporting set of the buckets from an index on, walked newest first."""

    def __init__(self, buckets: list[Bucket]) -> None:
        self._buckets = buckets
        self._walked = len(buckets)
        self._counts: Counter[int] = Counter()
        self._most: dict[int, int] = {}

    def most_from(self, first: int) -> int:
        """The most reporters who had reported one same other subject, buckets ``first`` on."""
        if first >= len(self._buckets):
            return 0
        while self._walked > first:
            most = self._most.get(self._walked, 0)
            self._walked -= 1
            links = self._buckets[self._walked].links()
            if links:  # the largest only changes with links (past their time: none)
                self._counts.update(links)
                most = max(self._counts.values())
            self._most[self._walked] = most
        return self._most[first]
