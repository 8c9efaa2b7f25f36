"""Consumer groups seen from the broker: committed offsets, end offsets, lag, and resumption.

A service has *resumed* after a fault once, on every partition of its groups, it has
committed records that arrived after the fault began, or caught up with everything there is
(a partition that got nothing counts as resumed). Offsets are committed only after the
database commit, so this is work done, not work fetched; work a fault interrupted and that
finishes after it does not count.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from shared.config import Settings
from shared.kafka import make_admin, make_plain_consumer

#: (group, topic, partition)
Slot = tuple[str, str, int]


@dataclass(frozen=True, slots=True)
class Offsets:
    """Every group's committed offsets and every topic's end offsets, read at ``at``."""

    committed: dict[Slot, int]
    ends: dict[tuple[str, int], int]
    at: float


def service_of(group: str, prefix: str) -> str:
    """The service a group belongs to (``<prefix>crible-<service>[.<consumer>]``)."""
    return group.removeprefix(prefix).removeprefix("crible-").split(".")[0]


async def read_offsets(settings: Settings) -> Offsets:
    """The groups under ``settings.topic_prefix`` and their topics, as the broker sees them."""
    prefix = settings.topic_prefix
    admin = make_admin(settings)
    consumer = make_plain_consumer(settings, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        groups = [g[0] for g in await admin.list_consumer_groups() if g[0].startswith(prefix)]
        committed: dict[Slot, int] = {}
        for group in groups:
            for tp, meta in (await admin.list_consumer_group_offsets(group)).items():
                if meta.offset >= 0:
                    committed[(group, tp.topic, tp.partition)] = meta.offset
        topics = sorted({topic for _, topic, _ in committed})
        described = await admin.describe_topics(topics) if topics else []
        partitions = [
            TopicPartition(topic["topic"], p["partition"])
            for topic in described
            for p in topic["partitions"]
        ]
        ends = await consumer.end_offsets(partitions) if partitions else {}
        return Offsets(
            committed, {(tp.topic, tp.partition): end for tp, end in ends.items()}, time.monotonic()
        )
    finally:
        await consumer.stop()
        await admin.close()


async def offsets_when_possible(settings: Settings, *, within: float = 60) -> Offsets:
    """:func:`read_offsets`, asked again while a fault keeps the broker from answering."""
    deadline = time.monotonic() + within
    while True:
        try:
            return await read_offsets(settings)
        except (KafkaError, OSError, TimeoutError):
            if time.monotonic() > deadline:
                raise
        await _pause()


async def _pause() -> None:
    await asyncio.sleep(0.5)


@dataclass
class Resumption:
    """When each service moved again after a fault that began at ``before.at``."""

    before: Offsets
    prefix: str
    resumed: dict[str, float] = field(default_factory=dict)

    def services(self) -> set[str]:
        """The services whose groups had committed before the fault."""
        return {service_of(group, self.prefix) for group, _, _ in self.before.committed}

    def observe(self, now: Offsets) -> None:
        """Mark the services whose every partition with work has moved since the fault.

        What could not be read (a group whose coordinator, or a partition whose leader, is
        on the broker just lost) counts as not moved.
        """
        waiting: set[str] = set()
        for slot, then in self.before.committed.items():
            group, topic, partition = slot
            done = now.committed.get(slot, then)
            end = now.ends.get((topic, partition))
            end_then = self.before.ends.get((topic, partition), then)
            idle = end is not None and end <= then
            beyond = done > end_then  # it did work that arrived after the fault began
            caught_up = end is not None and done >= end and done > then
            if not (idle or beyond or caught_up):
                waiting.add(service_of(group, self.prefix))
        for service in self.services() - waiting:
            self.resumed.setdefault(service, now.at - self.before.at)

    @property
    def complete(self) -> bool:
        """Whether every service has resumed."""
        return self.services() <= set(self.resumed)


class Watcher:
    """Reads the groups and partitions of a snapshot again and again, each call bounded.

    Unlike :func:`read_offsets`, which asks every broker, each group is asked of its own
    coordinator and each topic of its partitions' leaders, so a broker that is gone hides
    only what it held.
    """

    def __init__(self, settings: Settings, before: Offsets, *, call_seconds: float = 2.0) -> None:
        self._settings = settings
        self._groups = sorted({group for group, _, _ in before.committed})
        self._all = [TopicPartition(topic, partition) for topic, partition in before.ends]
        self._call = call_seconds
        self._admin: Any = None
        self._consumer: Any = None

    async def read(self) -> Offsets:
        """What could be read now (anything else is left out)."""
        if self._admin is None:
            self._admin = make_admin(self._settings)
            self._consumer = make_plain_consumer(self._settings, enable_auto_commit=False)
            try:
                await asyncio.wait_for(self._admin.start(), self._call)
                await asyncio.wait_for(self._consumer.start(), self._call)
            except (KafkaError, OSError, TimeoutError):
                await self.close()
                return Offsets({}, {}, time.monotonic())
        committed: dict[Slot, int] = {}
        answers = await asyncio.gather(
            *(self._bounded(self._admin.list_consumer_group_offsets(g)) for g in self._groups)
        )
        for group, found in zip(self._groups, answers, strict=True):
            committed.update(
                {(group, tp.topic, tp.partition): m.offset for tp, m in found if m.offset >= 0}
            )
        ends: dict[tuple[str, int], int] = {}
        for found in await asyncio.gather(
            *(self._bounded(self._consumer.end_offsets([tp])) for tp in self._all)
        ):
            ends.update({(tp.topic, tp.partition): end for tp, end in found})
        return Offsets(committed, ends, time.monotonic())

    async def _bounded(self, call: Any) -> list[Any]:
        """A call's answer as items, or none if it failed or took too long."""
        try:
            found = await asyncio.wait_for(call, self._call)
        except (KafkaError, OSError, TimeoutError):
            return []
        return list(found.items())

    async def close(self) -> None:
        """Close the clients (the next read opens new ones)."""
        admin, consumer, self._admin, self._consumer = self._admin, self._consumer, None, None
        with contextlib.suppress(Exception):
            if consumer is not None:
                await consumer.stop()
        with contextlib.suppress(Exception):
            if admin is not None:
                await admin.close()


async def wait_resumed(
    settings: Settings, resumption: Resumption, *, within: float, every: float = 0.25
) -> None:
    """Watch the groups until every service resumed, or ``within`` seconds passed."""
    watcher = Watcher(settings, resumption.before)
    deadline = resumption.before.at + within
    try:
        while not resumption.complete and time.monotonic() < deadline:
            resumption.observe(await watcher.read())
            await asyncio.sleep(every)
    finally:
        await watcher.close()
