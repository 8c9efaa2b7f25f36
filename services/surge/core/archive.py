"""A subject's older buckets, packed end to end in one array of words.

Past its links' time a bucket keeps only its reports, reporters and categories: a few words
in a sparse subject (most hold a report or two), beside ~140 bytes of its own as an array
in a dict. Packed here, an old bucket costs one word more than its words.

Layout: the reports of every bucket (read for each subject at each message), then per
bucket, in order of start, ``start << 32 | n`` and its ``n`` words (a
:class:`~services.surge.core.bucket.Bucket` without links).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

from services.surge.core.bucket import Bucket

if TYPE_CHECKING:
    _Words = array[int]
else:
    _Words = array  # not subscriptable at run time before Python 3.12

_SIZE = 0xFFFFFFFF


class Archive(_Words):
    """Buckets by start, oldest first, each behind a word of its start and length."""

    __slots__ = ()

    def __new__(cls) -> Archive:
        """An empty archive."""
        return cast(Archive, super().__new__(cls, "Q", (0,)))

    def spans(self) -> Iterator[tuple[int, int, int]]:
        """(start, offset of its words, their number) of every bucket, oldest first."""
        at = 1
        while at < len(self):
            word = self[at]
            yield word >> 32, at + 1, word & _SIZE
            at += 1 + (word & _SIZE)

    def starts(self) -> list[int]:
        """The start of every bucket."""
        return [start for start, _at, _n in self.spans()]

    @property
    def total(self) -> int:
        """Reports of every bucket."""
        return self[0]

    def reports_by_start(self) -> list[tuple[int, int]]:
        """(start, reports) of every bucket, oldest first."""
        out = []
        at = 1
        while at < len(self):
            word = self[at]
            out.append((word >> 32, self[at + 1]))
            at += 1 + (word & _SIZE)
        return out

    def buckets(self) -> Iterator[tuple[int, Bucket]]:
        """(start, a copy of the bucket) of every bucket, oldest first."""
        for start, at, n in self.spans():
            yield start, Bucket(self[at : at + n])

    def put(self, start: int, bucket: Bucket) -> None:
        """Keep ``bucket`` (its links dropped) as the bucket of ``start``."""
        words = bucket.without_links()
        where = len(self)
        for s, at, _n in self.spans():
            if s > start:
                where = at - 1
                break
        self[where:where] = array("Q", [start << 32 | len(words)])
        self[where + 1 : where + 1] = words
        self[0] += words.reports

    def put_all(self, buckets: list[tuple[int, Bucket]]) -> None:
        """Keep ``buckets`` (start, bucket), sorted by start: appended when all are newer."""
        if not buckets:
            return
        last = max((s for s, _at, _n in self.spans()), default=None)
        if last is not None and buckets[0][0] <= last:
            for start, bucket in buckets:
                self.put(start, bucket)
            return
        for start, bucket in buckets:
            words = bucket.without_links()
            self.append(start << 32 | len(words))
            self.extend(words)
            self[0] += words.reports

    def take(self, start: int) -> Bucket | None:
        """Remove and return the bucket of ``start``, if kept here."""
        for s, at, n in self.spans():
            if s == start:
                bucket = Bucket(self[at : at + n])
                del self[at - 1 : at + n]
                self[0] -= bucket.reports
                return bucket
        return None

    def drop_before(self, before: int) -> None:
        """Forget the buckets that start before ``before``."""
        end = 1
        dropped = 0
        for s, at, n in self.spans():
            if s >= before:
                break
            end = at + n
            dropped += self[at]
        del self[1:end]
        self[0] -= dropped
