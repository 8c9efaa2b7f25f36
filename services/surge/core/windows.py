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


#: The changelog form of a subject's state: 3 since it is a head and a record per bucket
#: (2 was the whole subject in one record, buckets as words; 1 had no "v").
WIRE_VERSION = 3
#: The whole-subject form changelogs written before version 3 hold (read, never written).
WHOLE_VERSION = 2
#: A bucket as its record holds it (:meth:`Bucket.to_wire`).
BucketWire = tuple[int, str, dict[str, int], str, list[int]]


@dataclass(frozen=True, slots=True)
class Changes:
    """What a subject's next write carries: its head, and the buckets changed or gone.

    A busy subject holds an hour of reports, of which a commit interval changes one bucket
    or two: written whole at every commit, the hour was most of what surge wrote and
    encoded under load. The head (starts, published windows, parts) is written each time.
    """

    head: dict[str, Any]
    buckets: list[tuple[int, BucketWire]]
    gone: list[int]


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
    #: Starts of the buckets changed since the last write (:meth:`changes`), and of those
    #: dropped since: what the next write carries.
    changed: set[int] = field(default_factory=set, repr=False, compare=False)
    gone: set[int] = field(default_factory=set, repr=False, compare=False)
    #: The size of each bucket's record as last written or read, by start: what the
    #: subject weighs among those kept decoded (links are written counted, far smaller).
    sizes: dict[int, int] = field(default_factory=dict, repr=False, compare=False)

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
        first = bucket.add(
            report.report,
            reporter=report.reporter,
            new=report.new,
            others=report.others,
            category=report.category,
        )
        # A replay changes nothing here, yet its bucket is written again: a replayed report's
        # offset was not committed, so the write that carried its bucket may have failed
        # after the local database had it (a restart on that database would then never
        # write the bucket to the changelog, and a process restoring from it would lack it).
        self.changed.add(start)
        self.gone.discard(start)
        return first

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
        dropped = [s for s in self.buckets if s < before]
        for start in dropped:
            del self.buckets[start]
        dropped += [s for s in self.archive.starts() if s < before]
        self.archive.drop_before(before)
        self.gone.update(dropped)
        self.changed.difference_update(dropped)
        for key in [k for k in self.emitted if _window_end(k) < before]:
            del self.emitted[key]

    def drop_links(self, before: int) -> None:
        """Archive the buckets (but the newest) that start before ``before``, without links."""
        latest = self.latest
        old = sorted(s for s in self.buckets if s < before and s != latest)
        # Written again without their links (those that had none read the same).
        self.changed.update(s for s in old if self.buckets[s].link_count)
        self.archive.put_all([(s, self.buckets.pop(s)) for s in old])

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

    def changes(self) -> Changes:
        """What changed since the last write, in the changelog's form; forgotten here."""
        buckets: list[tuple[int, BucketWire]] = []
        if self.changed:
            changed = self.changed
            buckets += [(s, self.buckets[s].to_wire()) for s in changed & self.buckets.keys()]
            if len(buckets) < len(changed):
                buckets += [(s, b.to_wire()) for s, b in self.archive.buckets() if s in changed]
        gone = sorted(self.gone)
        self.changed, self.gone = set(), set()
        return Changes(self.head(), buckets, gone)

    def head(self) -> dict[str, Any]:
        """The head record: the buckets' starts, the published windows, the parts."""
        return {
            "v": WIRE_VERSION,
            "s": self.starts(),
            "e": [[k, e.kind, e.count, e.reporters] for k, e in self.emitted.items()],
            "p": self.parts,
        }

    def rewrite_all(self) -> None:
        """Have the next write carry every bucket (a subject read from an older form)."""
        self.changed.update(self.starts())

    def records(self) -> list[int]:
        """The starts of every bucket record the subject has, or had since its last write."""
        return [*self.starts(), *self.gone]

    @staticmethod
    def head_starts(head: dict[str, Any]) -> list[int]:
        """The bucket starts a head names (none in the whole-subject form of version 2)."""
        return list(head["s"]) if head.get("v") == WIRE_VERSION else []

    @staticmethod
    def wire_ended(head: dict[str, Any], before: int) -> bool:
        """:meth:`ended` of the subject ``head`` heads, read without building its buckets."""
        if head.get("v") == WIRE_VERSION:
            latest = max(head["s"], default=None)
        else:
            latest = max((bucket[0] for bucket in head["b"]), default=None)
        return latest is None or latest < before

    @staticmethod
    def wire_emitted(head: dict[str, Any]) -> bool:
        """Whether the subject ``head`` heads has published windows (without building it)."""
        return bool(head.get("e"))

    @classmethod
    def from_parts(cls, head: dict[str, Any], buckets: dict[int, Any]) -> SubjectState:
        """The subject a head and its bucket records hold (by start, as :meth:`changes` wrote).

        A start whose record is missing (a crash between a write's records) is left out:
        the reports in it are read again, since their offsets were not committed.
        """
        if head.get("v") != WIRE_VERSION:
            return cls.from_wire(head)
        found = {s: Bucket.from_wire(*buckets[s]) for s in head["s"] if s in buckets}
        return cls._built(found, head)

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> SubjectState:
        """The subject a whole-subject record of version 2 or 1 holds (sets and dicts as lists).

        Changelogs written before an upgrade hold them until compacted away: the next write
        of such a subject carries all its buckets (:meth:`rewrite_all`).
        """
        found: dict[int, Bucket] = {}
        if wire.get("v") == WHOLE_VERSION:
            for start, *bucket in wire["b"]:
                found[start] = Bucket.from_wire(*bucket)
        else:
            for start, reports, reporters, categories, linked in wire["b"]:
                found[start] = Bucket.from_sets(
                    reports,
                    reporters={r: bool(n) for r, n in reporters},
                    categories=dict(categories),
                    linked=dict(linked),
                )
        state = cls._built(found, wire)
        state.rewrite_all()
        return state

    @classmethod
    def _built(cls, buckets: dict[int, Bucket], wire: dict[str, Any]) -> SubjectState:
        """A subject of ``buckets``, with the published windows and parts ``wire`` holds."""
        state = cls()
        state.buckets = buckets
        # Buckets without links are archived (their links' time unknown here: none to drop).
        latest = state.latest
        old = sorted(s for s, b in buckets.items() if s != latest and not b.link_count)
        state.archive.put_all([(s, buckets.pop(s)) for s in old])
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
