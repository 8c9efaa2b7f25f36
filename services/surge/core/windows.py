"""Hopping windows over a subject's accepted reports, kept as buckets of the smallest step.

faust's own windowed tables write one changelog record per window an event falls in (ten for
a 10-minute window stepping by a minute): here a subject keeps one bucket per step, and any
hopping window is the union of its buckets. A bucket remembers the fingerprints of its
reports, so a report delivered twice (a replay after a rebalance or a crash) counts once.
A bucket is one array of words (:mod:`services.surge.core.bucket`): the buckets hold every
report of the longest window.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from services.surge.core.archive import Archive
from services.surge.core.bucket import Bucket
from services.surge.core.look import Figures, Look
from services.surge.core.records import Annotated


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A hopping window: ``size`` seconds long, a new one every ``step`` seconds."""

    size: int
    step: int
    #: Reports in one window that make a burst.
    threshold: int

    def starts(self, at: int) -> range:
        """The start of every window that contains the instant ``at`` (epoch seconds)."""
        last = at - at % self.step
        return range(last - self.size + self.step, last + self.step, self.step)

    def key(self, start: int) -> str:
        """Names one window of this size (the state's and the signal id's key)."""
        return f"{self.size}:{start}"


#: The changelog form of a subject's state: 2 since buckets are words (1 had no "v").
WIRE_VERSION = 2
#: Link words from which a bucket's written links are kept for the next write (below, they
#: cost less to count again than to keep).
KEEP_LINKS_WIRE = 256


@dataclass(slots=True)
class Emitted:
    """The figures a window's signal was last published with (they only grow)."""

    kind: str
    count: int
    reporters: int


@dataclass(slots=True)
class SubjectState:
    """A subject's buckets and the signals published for its windows.

    The buckets past their links' time, but the newest, are packed in ``archive``; the others
    are ``buckets``.
    """

    buckets: dict[int, Bucket] = field(default_factory=dict)
    archive: Archive = field(default_factory=Archive)
    emitted: dict[str, Emitted] = field(default_factory=dict)
    #: The subject's kind, id and chat id: what its signals name.
    parts: tuple[str, str, str | None] | None = None
    #: The written links of large buckets, by start, with the bucket's version: a busy
    #: subject is written at every commit, and counting its links again was most of it.
    links_written: dict[int, tuple[tuple[int, int], tuple[str, list[int]]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def add(self, report: Annotated, *, bucket_seconds: int) -> bool | None:
        """Count ``report``; None if it was counted before.

        Otherwise whether it is the first of its category in its bucket (a new subject-minute
        for the category's baseline).
        """
        self.parts = report.parts
        start = report.at - report.at % bucket_seconds
        bucket = self.buckets.get(start)
        if bucket is None:
            # Only a late report can fall in an archived bucket: all are older than the newest.
            latest = self.latest
            old = None if latest is None or start > latest else self.archive.take(start)
            bucket = self.buckets[start] = Bucket() if old is None else old
        return bucket.add(
            report.report,
            reporter=report.reporter,
            new=report.new,
            others=report.others,
            category=report.category,
        )

    def total(self) -> int:
        """Reports in every bucket kept (the horizon, once pruned)."""
        return sum(b.reports for b in self.buckets.values()) + self.archive.total

    def count(self, start: int, end: int) -> int:
        """Reports in ``[start, end)``: cheap, decides whether the rest is worth computing."""
        return reports_in(self.reports_by_start(), start, end)

    def reports_by_start(self) -> list[tuple[int, int]]:
        """(start, reports) of every bucket: for :func:`reports_in` over many windows."""
        return [
            *self.archive.reports_by_start(),
            *((s, b.reports) for s, b in self.buckets.items()),
        ]

    def look(self) -> Look:
        """The buckets read once, for the figures of many windows (:class:`Look`)."""
        return Look(self.reports_by_start(), lambda: list(self._all()))

    def figures(self, start: int, end: int, *, links_from: int | None = None) -> Figures:
        """Everything the rules need about ``[start, end)`` (one window: :meth:`look`).

        Co-reporting is judged on the buckets from ``links_from`` on (None: every bucket).
        """
        return self.look().figures(start, end, links_from=links_from)

    def tally(self, start: int, end: int) -> tuple[int, int, dict[str, int]]:
        """(reports, active buckets, reports per category) in ``[start, end)``.

        The part of :meth:`figures` the baseline test reads, without the unions of
        reporters and links.
        """
        return self.look().tally(start, end)

    def own(self, category: str, start: int, end: int) -> tuple[int, int]:
        """(reports, active buckets) of ``category`` in ``[start, end)``.

        What the subject itself put into its category's baseline.
        """
        return self.look().own(category, start, end)

    def prune(self, before: int) -> None:
        """Forget buckets and signals of windows that ended before ``before``."""
        for start in [s for s in self.buckets if s < before]:
            del self.buckets[start]
            self.links_written.pop(start, None)
        self.archive.drop_before(before)
        for key in [k for k in self.emitted if _window_end(k) < before]:
            del self.emitted[key]

    def drop_links(self, before: int) -> None:
        """Archive the buckets (but the newest) that start before ``before``, without links."""
        latest = self.latest
        old = sorted(s for s in self.buckets if s < before and s != latest)
        self.archive.put_all([(s, self.buckets.pop(s)) for s in old])
        for start in old:
            self.links_written.pop(start, None)

    def starts(self) -> list[int]:
        """The start of every bucket kept."""
        return [*self.archive.starts(), *self.buckets]

    def _all(self) -> Iterator[tuple[int, Bucket]]:
        """(start, bucket) of every bucket kept: the archived ones as copies."""
        yield from self.archive.buckets()
        yield from self.buckets.items()

    def ended(self, before: int) -> bool:
        """Whether every window of the subject ended before ``before`` (it can be dropped)."""
        latest = self.latest
        return latest is None or latest < before

    @property
    def latest(self) -> int | None:
        """The start of the subject's newest bucket (never archived)."""
        return max(self.buckets, default=None)

    def to_wire(self) -> dict[str, Any]:
        """A JSON-ready form (the changelog's): each bucket's words in base64."""
        return {
            "v": WIRE_VERSION,
            "b": [[start, *b.to_wire(self._links_wire(start, b))] for start, b in self._all()],
            "e": [[k, e.kind, e.count, e.reporters] for k, e in self.emitted.items()],
            "p": self.parts,
        }

    def _links_wire(self, start: int, bucket: Bucket) -> tuple[str, list[int]] | None:
        """The written links of a large bucket, counted once per version; None otherwise."""
        if bucket.link_count < KEEP_LINKS_WIRE:
            self.links_written.pop(start, None)
            return None
        kept = self.links_written.get(start)
        if kept is None or kept[0] != bucket.version:
            kept = self.links_written[start] = (bucket.version, bucket.links_wire())
        return kept[1]

    @staticmethod
    def wire_ended(wire: dict[str, Any], before: int) -> bool:
        """:meth:`ended` of the state ``wire`` holds, read without building its buckets."""
        latest = max((bucket[0] for bucket in wire["b"]), default=None)
        return latest is None or latest < before

    @staticmethod
    def wire_emitted(wire: dict[str, Any]) -> bool:
        """Whether the state ``wire`` holds has published windows (without building it)."""
        return bool(wire.get("e"))

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> SubjectState:
        """The state :meth:`to_wire` wrote, or the form before it (sets and dicts as lists).

        Changelogs written before an upgrade hold the earlier form until compacted away.
        """
        state = cls()
        if wire.get("v") == WIRE_VERSION:
            for start, *bucket in wire["b"]:
                state.buckets[start] = Bucket.from_wire(*bucket)
        else:
            for start, reports, reporters, categories, linked in wire["b"]:
                state.buckets[start] = Bucket.from_sets(
                    reports,
                    reporters={r: bool(n) for r, n in reporters},
                    categories=dict(categories),
                    linked=dict(linked),
                )
        # Buckets without links are archived (their links' time unknown here: none to drop).
        latest = state.latest
        old = sorted(s for s, b in state.buckets.items() if s != latest and not b.link_count)
        state.archive.put_all([(s, state.buckets.pop(s)) for s in old])
        for key, kind, count, reporters in wire["e"]:
            state.emitted[key] = Emitted(kind, count, reporters)
        parts = wire.get("p")
        state.parts = None if parts is None else (parts[0], parts[1], parts[2])
        return state


def _window_end(key: str) -> int:
    size, _, start = key.partition(":")
    return int(start) + int(size)


def reports_in(by_start: list[tuple[int, int]], start: int, end: int) -> int:
    """Reports in ``[start, end)`` from :meth:`SubjectState.reports_by_start`."""
    return ReportCounts(by_start)(start, end)


class ReportCounts:
    """Reports in any span of a subject's buckets, from :meth:`SubjectState.reports_by_start`.

    Prefix sums over the buckets in start order: a subject's evaluation asks for every window
    a batch touched (twenty or more), each a sum over up to an hour of buckets otherwise.
    """

    def __init__(self, by_start: list[tuple[int, int]]) -> None:
        pairs = sorted(by_start)
        self._starts = [s for s, _n in pairs]
        self._sums = list(accumulate((n for _s, n in pairs), initial=0))

    def __call__(self, start: int, end: int) -> int:
        """Reports in ``[start, end)``."""
        starts = self._starts
        return self._sums[bisect_left(starts, end)] - self._sums[bisect_left(starts, start)]


def windows_touched(specs: Iterable[WindowSpec], times: Iterable[int]) -> set[tuple[int, int]]:
    """(spec index, window start) of every window containing one of ``times``."""
    touched: set[tuple[int, int]] = set()
    specs = tuple(specs)
    for at in set(times):
        for i, spec in enumerate(specs):
            touched.update((i, start) for start in spec.starts(at))
    return touched
