"""What travels between the app's stages: compact records, packed per partition.

The intake repartitions accepted reports by reporter, the reporter stage by subject. One
Kafka message per report would cost faust's per-message overhead twice more; instead each
stage sends one message per destination partition holding every record for it. The
partition is chosen by the same murmur2 hash as Kafka's keyed producers, so a packed message
only ever holds records whose key belongs to the partition it is written to, and the tables
updated from it stay co-partitioned with it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import orjson

from shared.events.reports import Subject, SubjectKind
from shared.murmur2 import partition_for_key


class Accepted(NamedTuple):
    """An accepted report as the detector needs it (intake to the reporter stage)."""

    report: int
    #: The reporter's fingerprint: no platform id of a reporter leaves the intake.
    reporter: int
    #: ``Subject.key()``: the key of the subject's state and of its signals.
    subject: str
    #: The subject's kind, id and chat id (a signal names the subject by them).
    parts: tuple[str, str, str | None]
    category: str
    #: When it was reported (epoch seconds): event time, so that a replay lands in the
    #: same windows as the first delivery.
    at: int


class Annotated(NamedTuple):
    """An accepted report with what the reporter stage knows of its reporter."""

    report: int
    reporter: int
    subject: str
    parts: tuple[str, str, str | None]
    category: str
    at: int
    #: The reporter was first seen recently.
    new: bool
    #: Fingerprints of other subjects the reporter reported before, recently.
    others: tuple[int, ...] = ()


def fingerprint(text: str) -> int:
    """A stable 63-bit fingerprint (ids in state and on the wire; fits a JSON integer)."""
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


@functools.lru_cache(maxsize=1 << 16)
def subject_fingerprint(subject: str) -> int:
    """:func:`fingerprint` of a subject's key, cached: subjects come back often."""
    return fingerprint(subject)


@functools.lru_cache(maxsize=1 << 16)
def partition_for(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives ``key``.

    Cached: subjects and active reporters come back often, and murmur2 is pure Python.
    """
    return partition_for_key(key.encode(), partitions)


def pack(records: Iterable[tuple[object, ...]]) -> bytes:
    """One message holding ``records`` (a JSON array of arrays)."""
    return orjson.dumps(list(records))


#: Room left in a packed message for the record's framing and headers.
_FRAMING_BYTES = 64 * 1024


def packs(records: Sequence[tuple[object, ...]], *, limit: int) -> list[bytes]:
    """``records`` packed in messages that each fit a topic taking ``limit`` bytes.

    A stage's batch for one partition can hold more than one message takes: it is halved
    until each half fits.
    """
    packed = pack(records)
    if len(packed) <= limit - _FRAMING_BYTES or len(records) <= 1:
        return [packed]
    half = len(records) // 2
    return packs(records[:half], limit=limit) + packs(records[half:], limit=limit)


def unpack_accepted(value: bytes) -> list[Accepted]:
    """The records of a message :func:`pack` made from :class:`Accepted` records."""
    return [Accepted(r[0], r[1], r[2], tuple(r[3]), r[4], r[5]) for r in orjson.loads(value)]


def unpack_annotated(value: bytes) -> list[Annotated]:
    """The records of a message :func:`pack` made from :class:`Annotated` records."""
    return [
        Annotated(r[0], r[1], r[2], tuple(r[3]), r[4], r[5], r[6], tuple(r[7]))
        for r in orjson.loads(value)
    ]


@functools.lru_cache(maxsize=1 << 14)
def subject_of(parts: tuple[str, str, str | None]) -> Subject:
    """The subject a record names.

    Cached: a busy subject's signals name it again and again, and the event is frozen.
    """
    kind, id_, chat_id = parts
    return Subject(kind=SubjectKind(kind), id=id_, chat_id=chat_id)
