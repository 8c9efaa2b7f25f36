"""The runtime's followers, on the real broker: every process reads the whole topic."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiokafka import AIOKafkaProducer
from pydantic import BaseModel

from shared.config import Settings
from shared.kafka import apply_topics
from shared.runtime import ServiceContext
from shared.runtime.follower import Follower, follow
from shared.topics import TopicSpec, wire_name
from tests.integration.conftest import eventually

pytestmark = pytest.mark.integration

NOTES = TopicSpec("follower.notes", 2, 3_600_000)


class Note(BaseModel):
    n: int


class Applied:
    """What one process's follower applied, batch by batch."""

    def __init__(self) -> None:
        self.notes: list[int] = []

    async def apply(self, ctx: ServiceContext, batch: list[Note]) -> None:
        self.notes.extend(note.n for note in batch)


@contextlib.asynccontextmanager
async def following(
    settings: Settings, start: dict[int, int], applied: Applied
) -> AsyncIterator[asyncio.Task[None]]:
    """A follower as one process of a service runs it; stopped (and awaited) on exit."""
    ctx = ServiceContext("probe", settings, None, None, asyncio.Event())
    follower = Follower("notes", NOTES, Note, start=lambda _: start, apply=applied.apply)
    task = asyncio.create_task(follow(follower, ctx))
    try:
        yield task
    finally:
        ctx.stop.set()
        await asyncio.wait_for(task, timeout=30)


async def send(
    producer: AIOKafkaProducer, settings: Settings, partition: int, *values: bytes
) -> None:
    topic = wire_name(NOTES.name, settings.topic_prefix)
    for value in values:
        await producer.send_and_wait(topic, value, partition=partition)


async def test_every_process_reads_every_partition_from_where_it_starts(
    settings: Settings, producer: AIOKafkaProducer
) -> None:
    await apply_topics(settings, [NOTES])
    await send(producer, settings, 0, *(b'{"n": %d}' % n for n in range(5)))
    # A record the model refuses is skipped (the service's group dead-letters it).
    await send(producer, settings, 1, b'{"n": 10}', b"not json", b'{"n": 11}')
    whole, resumed = Applied(), Applied()
    # Two processes: one from the beginning, one resuming partition 0 at offset 3.
    async with following(settings, {}, whole), following(settings, {0: 3}, resumed):
        await eventually(reached(whole, 7, resumed, 4))
        assert sorted(whole.notes) == [0, 1, 2, 3, 4, 10, 11]
        assert sorted(resumed.notes) == [3, 4, 10, 11]
        # Written while they run: each process applies it, in partition order.
        await send(producer, settings, 0, b'{"n": 5}')
        await eventually(reached(whole, 8, resumed, 5))
        assert [n for n in whole.notes if n < 10] == [0, 1, 2, 3, 4, 5]
        assert [n for n in resumed.notes if n < 10] == [3, 4, 5]


async def test_a_follower_waits_for_an_unreachable_broker_and_stops_when_asked(
    settings: Settings,
) -> None:
    nowhere = settings.model_copy(update={"kafka_bootstrap_servers": "127.0.0.1:1"})
    applied = Applied()
    async with following(nowhere, {}, applied) as task:
        await asyncio.sleep(3)
        # Still retrying its start: neither failed nor given up.
        assert not task.done()
    assert task.exception() is None
    assert applied.notes == []


def reached(
    first: Applied, first_count: int, second: Applied, second_count: int
) -> Callable[[], Awaitable[bool]]:
    """A check that both followers applied at least so many notes."""

    async def check() -> bool:
        return len(first.notes) >= first_count and len(second.notes) >= second_count

    return check
