"""One step of one subject's reports, held in a single array of 64-bit words.

A subject keeps a bucket per step for the longest window (an hour by default), so the
buckets hold every report of the last hour. As Python sets and dicts of ints a report cost
about 500 bytes kept (an int object and a hash slot per fingerprint, a dict per bucket);
here it costs two words (its fingerprint, its reporter's) and a word per other subject its
reporter had reported, beside a bucket's fixed ~140 bytes.

Layout: ``[R, P, L | R reports | P reporters | L links | categories]``

- reports: fingerprints, sorted (a report delivered twice is found by bisection);
- reporters: ``fingerprint << 1 | new``, sorted (fingerprints are 63-bit);
- links: the other subjects each reporter had reported before, once per reporter (a
  multiset: a subject's count is how often it appears), at most
  :data:`~services.surge.core.reporters.MAX_SUBJECTS` words per reporter;
- categories: ``index << 32 | reports``, the index into a table of names kept per process.
"""

from __future__ import annotations

import base64
import sys
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain, repeat
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    _Words = array[int]
else:
    _Words = array  # not subscriptable at run time before Python 3.12

_HEADER = 3
#: The low half of a category's word: its reports.
_COUNT = 0xFFFFFFFF
#: Category names by index, and their indexes: process-local (the wire form has names).
_NAMES: list[str] = []
_INDEXES: dict[str, int] = {}


def category_index(name: str) -> int:
    """The index standing for category ``name`` in this process's buckets."""
    index = _INDEXES.get(name)
    if index is None:
        index = _INDEXES[name] = len(_NAMES)
        _NAMES.append(name)
    return index


def reporters_in(buckets: Iterable[Bucket]) -> tuple[int, int]:
    """(distinct reporters, those of them new when reporting in any) over ``buckets``."""
    words: set[int] = set()
    for bucket in buckets:
        words.update(bucket.reporter_words())
    return len({w >> 1 for w in words}), len({w >> 1 for w in words if w & 1})


def linked_in(buckets: Iterable[Bucket]) -> int:
    """The most reporters of ``buckets`` who had reported one same other subject."""
    links: array[int] = array("Q")
    for bucket in buckets:
        links.extend(bucket.links())
    return max(Counter(links).values(), default=0)


class Bucket(_Words):
    """One step of one subject: reports, reporters, links and categories as words."""

    __slots__ = ()

    def __new__(cls, words: Iterable[int] = (0, 0, 0)) -> Bucket:
        """A bucket from its words (an empty one by default)."""
        return cast(Bucket, super().__new__(cls, "Q", words))

    @property
    def reports(self) -> int:
        """How many distinct reports the bucket holds."""
        return self[0]

    @property
    def link_count(self) -> int:
        """How many link words the bucket holds."""
        return self[2]

    def add(
        self, report: int, *, reporter: int, new: bool, others: Sequence[int], category: str
    ) -> bool | None:
        """Count ``report``; None if it was counted before.

        Otherwise whether it is the first of its category in the bucket. ``others``: the
        subjects its reporter had reported before, linked once per reporter.
        """
        reports = self[0]
        end = _HEADER + reports
        at = bisect_left(self, report, _HEADER, end)
        if at < end and self[at] == report:
            return None
        self.insert(at, report)
        self[0] = reports + 1
        if self._see(reporter, new=new, start=end + 1) and others:
            links = _HEADER + self[0] + self[1] + self[2]
            self[links:links] = array("Q", others)
            self[2] += len(others)
        return self._count(category_index(category))

    def reporter_words(self) -> array[int]:
        """The reporters' words (``fingerprint << 1 | new``): see :func:`reporters_in`."""
        start = _HEADER + self[0]
        return self[start : start + self[1]]

    def links(self) -> array[int]:
        """The links: one word per (reporter, other subject it had reported)."""
        start = _HEADER + self[0] + self[1]
        return self[start : start + self[2]]

    def without_links(self) -> Bucket:
        """A copy of the bucket without its links, no larger than its words."""
        links = _HEADER + self[0] + self[1]
        bucket = Bucket((self[0], self[1], 0))
        bucket.extend(self[_HEADER:links])
        bucket.extend(self[links + self[2] :])
        return bucket

    def category_words(self) -> array[int]:
        """The categories' words (``index << 32 | reports``)."""
        return self[_HEADER + self[0] + self[1] + self[2] :]

    def categories(self) -> dict[str, int]:
        """Reports per category name (a bucket has one word per category)."""
        return {_NAMES[word >> 32]: word & _COUNT for word in self.category_words()}

    def category_reports(self, name: str) -> int:
        """Reports of category ``name`` (0 if none)."""
        index = _INDEXES.get(name)
        start = _HEADER + self[0] + self[1] + self[2]
        for word in self[start:]:
            if word >> 32 == index:
                return word & _COUNT
        return 0

    def _see(self, reporter: int, *, new: bool, start: int) -> bool:
        """Note ``reporter`` (new or not), kept sorted from word ``start``; whether unseen."""
        end = start + self[1]
        word = reporter << 1
        at = bisect_left(self, word, start, end)
        if at < end and self[at] >> 1 == reporter:
            if new:
                self[at] = word | 1
            return False
        self.insert(at, word | new)
        self[1] += 1
        return True

    def _count(self, index: int) -> bool:
        """Count a report of category ``index``; whether it is the category's first here."""
        start = _HEADER + self[0] + self[1] + self[2]
        for at in range(start, len(self)):
            if self[at] >> 32 == index:
                self[at] += 1
                return False
        self.append(index << 32 | 1)
        return True

    def to_wire(self) -> tuple[int, str, dict[str, int], str, list[int]]:
        """The changelog's form: (reports, their and the reporters' words, categories, links).

        Words are little-endian in base64; the links are each other subject once (in base64)
        with how many reporters had reported it (:meth:`links_wire`).
        """
        words = _base64(self[_HEADER : _HEADER + self[0] + self[1]])
        if not self[2]:  # most buckets past their links' time, and every archived one
            return self[0], words, self.categories(), "", []
        others, counts = self.links_wire()
        return self[0], words, self.categories(), others, counts

    def links_wire(self) -> tuple[str, list[int]]:
        """The links as written: each other subject once, and how many had reported it.

        Many reporters of a burst share theirs.
        """
        if self[1] == 1:  # one reporter: each other subject once (most buckets)
            return _base64(self.links()), [1] * self[2]
        links = Counter(self.links())
        return _base64(array("Q", links)), list(links.values())

    @classmethod
    def from_wire(
        cls, reports: int, words: str, categories: dict[str, int], others: str, counts: list[int]
    ) -> Bucket:
        """The bucket :meth:`to_wire` wrote.

        Its words were written as the bucket holds them (reports, then reporters, sorted):
        copied as they are, only the links expanded. Rebuilt from sets (sorted again) it
        was most of reading a subject from disk.
        """
        body = _words(words)
        link_words = _words(others)
        bucket = cls((reports, len(body) - reports, sum(counts)))
        bucket.extend(body)
        if len(link_words) == bucket[2]:  # each once (one reporter: most buckets)
            bucket.extend(link_words)
        else:
            bucket.extend(chain.from_iterable(map(repeat, link_words, counts)))
        bucket.extend(category_index(name) << 32 | n for name, n in categories.items())
        return bucket

    @classmethod
    def from_sets(
        cls,
        reports: Iterable[int],
        *,
        reporters: dict[int, bool],
        categories: dict[str, int],
        linked: dict[int, int],
    ) -> Bucket:
        """A bucket from sets and dicts (the changelog's form before buckets were words)."""
        report_words = sorted(reports)
        reporter_words = sorted(r << 1 | n for r, n in reporters.items())
        link_words = list(Counter(linked).elements())
        bucket = cls((len(report_words), len(reporter_words), len(link_words)))
        bucket.extend(report_words)
        bucket.extend(reporter_words)
        bucket.extend(link_words)
        bucket.extend(category_index(name) << 32 | n for name, n in categories.items())
        return bucket


def _base64(words: array[int]) -> str:
    """``words`` as little-endian 64-bit words in base64."""
    if sys.byteorder == "big":
        words = array("Q", words)
        words.byteswap()
    return base64.b64encode(words.tobytes()).decode()


def _words(text: str) -> array[int]:
    """The words :func:`_base64` wrote."""
    words = array("Q", base64.b64decode(text))
    if sys.byteorder == "big":
        words.byteswap()
    return words
