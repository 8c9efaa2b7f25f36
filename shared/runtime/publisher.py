"""Publishing many records at once: placed as the Java client places them, sent in batches.

The runtime publishes a batch's events only after its transaction committed, so a publish
that fails part-way is retried for the records Kafka did not acknowledge, never for the
whole batch again (a record acknowledged once is not sent twice by a retry).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from shared.murmur2 import partition_for_key
from shared.runtime.contract import Outbound
from shared.runtime.errors import (
    KAFKA_RECORD_ERRORS,
    ConfigurationError,
    PublishError,
    RecordTooLargeError,
)

#: How many keys the process remembers the partition of, the most recently used: memory
#: stays bounded however many keys (cases, subjects) pass, and the keys that recur keep theirs.
PLACED_KEYS = 1 << 14

# murmur2 is pure Python; keys (case ids, subjects) recur batch after batch. A key's partition
# depends on the partition count alone, so a topic that gains partitions places keys anew.
_partition_for_key = functools.lru_cache(maxsize=PLACED_KEYS)(partition_for_key)


def partition_of(key: bytes, partitions: Sequence[int]) -> int:
    """The partition among ``partitions`` (a topic's, sorted) where the Java client puts ``key``."""
    return partitions[_partition_for_key(key, len(partitions))]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record the broker refused for its size or contents, with the reason."""

    record: Outbound
    error: BaseException


class Publisher:
    """Publishes many records at once and returns when Kafka acknowledged every one.

    Records are grouped per partition, placed by murmur2 of their key over the topic's
    partitions as the Java client does (so a key lands where any producer would put it, and
    moves with it when ``topics apply`` adds partitions), and sent as whole batches, which
    costs far less per message than one ``send`` each.
    """

    def __init__(
        self,
        producer: AIOKafkaProducer,
        *,
        prefix: str = "",
        limit: Callable[[str], int],
        metadata_refresh_seconds: float = 30.0,
    ) -> None:
        self._producer = producer
        self._prefix = prefix
        self._limit = limit
        self._refresh_seconds = metadata_refresh_seconds
        self._partitions: dict[str, tuple[list[int], float]] = {}
        self._round_robin = itertools.count()

    def limit(self, topic: str) -> int:
        """The most bytes a record of logical ``topic`` may weigh."""
        return self._limit(topic)

    def check_size(self, record: Outbound) -> None:
        """Raise :class:`RecordTooLargeError` if ``record`` cannot fit its topic."""
        limit = self._limit(record.topic)
        if len(record.value) < limit // 2 and not record.headers:
            return  # by far the common case: no need to add it all up
        if record.size > limit:
            raise RecordTooLargeError(topic=record.topic, size=record.size, limit=limit)

    async def publish(self, records: Sequence[Outbound]) -> tuple[Counter[str], list[Rejected]]:
        """Send ``records``; return the count acknowledged per logical topic and the rejected.

        A record the broker refuses for its size or contents is returned as rejected (the
        caller dead-letters it) instead of failing the others. Any other failure raises
        :class:`PublishError` naming the records still to send.
        """
        partitions = {
            topic: await self._partitions_of(topic) for topic in {r.topic for r in records}
        }
        groups: dict[tuple[str, int], list[Outbound]] = {}
        for record in records:
            partition = self._place(record, partitions[record.topic])
            groups.setdefault((record.topic, partition), []).append(record)

        sends: list[tuple[list[Outbound], asyncio.Future[Any]]] = []
        for (logical, partition), group in groups.items():
            topic = self._prefix + logical
            batch = self._producer.create_batch()
            members: list[Outbound] = []
            for record in group:
                if not _append(batch, record):
                    sends.append((members, await self._send(batch, topic, partition)))
                    batch, members = self._producer.create_batch(), []
                    _append(batch, record)  # the first record of a batch always fits
                members.append(record)
            sends.append((members, await self._send(batch, topic, partition)))
        outcomes = await asyncio.gather(*(f for _, f in sends), return_exceptions=True)

        acknowledged: Counter[str] = Counter()
        rejected: list[Rejected] = []
        remaining: list[Outbound] = []
        cause: BaseException | None = None
        for (members, _), outcome in zip(sends, outcomes, strict=True):
            if not isinstance(outcome, BaseException):
                acknowledged.update(record.topic for record in members)
            elif isinstance(outcome, KAFKA_RECORD_ERRORS) and len(members) == 1:
                rejected.append(Rejected(members[0], outcome))
            else:
                # A refused batch of several records is sent again one record a batch, so
                # that only the record at fault is rejected next time.
                remaining.extend(members)
                cause = cause or outcome
        if remaining:
            if cause is not None and isinstance(cause, KAFKA_RECORD_ERRORS):
                more, more_rejected = await self._one_by_one(remaining)
                acknowledged.update(more)
                rejected.extend(more_rejected)
            else:
                raise PublishError(remaining, cause or RuntimeError("no acknowledgement"))
        return acknowledged, rejected

    async def _one_by_one(self, records: list[Outbound]) -> tuple[Counter[str], list[Rejected]]:
        acknowledged: Counter[str] = Counter()
        rejected: list[Rejected] = []
        for record in records:
            counts, refused = await self.publish([record])
            acknowledged.update(counts)
            rejected.extend(refused)
        return acknowledged, rejected

    async def _send(self, batch: Any, topic: str, partition: int) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = await self._producer.send_batch(
            batch, topic, partition=partition
        )
        return future

    def _place(self, record: Outbound, partitions: list[int]) -> int:
        if record.key is None:
            return partitions[next(self._round_robin) % len(partitions)]
        return partition_of(record.key, partitions)

    async def _partitions_of(self, logical: str) -> list[int]:
        """The topic's partitions, looked up again every ``metadata_refresh_seconds``."""
        known = self._partitions.get(logical)
        now = time.monotonic()
        if known is not None and now - known[1] < self._refresh_seconds:
            return known[0]
        topic = self._prefix + logical
        if known is not None:
            # Ask the broker, not the client's cache: a partition added since must count.
            await self._producer.client.force_metadata_update()
        found = await self._producer.partitions_for(topic)
        if not found:
            raise ConfigurationError(f"topic {topic} does not exist; run `crible topics apply`")
        partitions = sorted(found)
        self._partitions[logical] = (partitions, now)
        return partitions


def _append(batch: Any, record: Outbound) -> bool:
    """Add ``record`` to a producer batch; False if the batch is full."""
    appended = batch.append(
        key=record.key, value=record.value, timestamp=None, headers=list(record.headers)
    )
    return appended is not None
