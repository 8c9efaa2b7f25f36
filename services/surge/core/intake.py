"""The intake's work on a batch of ``reports.accepted`` values: read, placed, packed.

A pure function of the values, so that it can run in a process of its own (the intake's
worker: :mod:`services.surge.adapters.intake`) beside the faust stages' event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from services.surge.core.records import Accepted, packs
from services.surge.core.stages import accepted_of, reporter_key
from shared.murmur2 import partitions_for_keys


class Placed(NamedTuple):
    """A batch as the intake hands it on."""

    #: (partition of ``surge.by_reporter``, packed records), each within the topic's limit.
    messages: list[tuple[int, bytes]]
    #: The values refused (a field surge uses is invalid), by position, and why: dead letters.
    refused: list[tuple[int, ValueError]]


def place(values: Sequence[bytes | None], *, partitions: int, limit: int) -> Placed:
    """Read each value, place its record by its reporter, pack each partition's records.

    Repeats are dropped (their reporter was counted). Records keep their order within a
    partition. A reporter's partition is that of the reporters table's key, so the table
    stays co-partitioned with the topic; hashed as a batch (reporters are mostly new ones,
    which a cache of placements would miss).
    """
    taken: list[Accepted] = []
    refused: list[tuple[int, ValueError]] = []
    for position, value in enumerate(values):
        try:
            accepted = accepted_of(value)
        except ValueError as error:  # pydantic's ValidationError is one
            refused.append((position, error))
            continue
        if accepted is not None:
            taken.append(accepted)
    keys = [reporter_key(accepted.reporter) for accepted in taken]
    by_partition: dict[int, list[tuple[object, ...]]] = {}
    for where, accepted in zip(partitions_for_keys(keys, partitions), taken, strict=True):
        by_partition.setdefault(where, []).append(tuple(accepted))
    messages = [
        (partition, value)
        for partition, records in by_partition.items()
        for value in packs(records, limit=limit)
    ]
    return Placed(messages, refused)
