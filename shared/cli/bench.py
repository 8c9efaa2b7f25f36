"""What every service's benchmark uses: timing a group from outside, and a raw passthrough.

A group is timed from outside: an observer polls its committed offsets; the rate is the
messages committed between the first and the last observed commit divided by the time
between them. The passthrough (``python -m shared.cli.bench``) copies a topic with plain
aiokafka calls, committing each batch after the acknowledgement.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiokafka.errors import (
    CommitFailedError,
    GroupCoordinatorNotAvailableError,
    GroupLoadInProgressError,
    IllegalStateError,
    NotCoordinatorForGroupError,
)

from shared.config import Settings
from shared.kafka import make_admin, make_consumer, make_producer
from shared.runtime.parent import stop_with_me
from shared.topics import REPORTS_SUBMITTED, TopicSpec, wire_name

PASSTHROUGH = TopicSpec("bench.passthrough", REPORTS_SUBMITTED.partitions, 3600 * 1000)
PASSTHROUGH_GROUP = "crible-bench-passthrough"


@dataclass(frozen=True, slots=True)
class Measure:
    """Messages committed by a group over an observed interval."""

    messages: int
    seconds: float

    @property
    def rate(self) -> float:
        """Messages per second."""
        return self.messages / self.seconds if self.seconds > 0 else 0.0


async def observe(
    settings: Settings,
    command: list[str],
    *,
    env: dict[str, str],
    group: str,
    topic: str,
    total: int,
    workers: int,
) -> Measure:
    """Start ``workers`` copies of ``command`` and time their group until ``total`` committed."""
    processes = [
        await asyncio.create_subprocess_exec(
            *command, env={**env, **stop_with_me()}, stderr=asyncio.subprocess.DEVNULL
        )
        for _ in range(workers)
    ]
    admin = make_admin(settings)
    await admin.start()
    first: tuple[float, int] | None = None
    last: tuple[float, int] = (0.0, 0)
    try:
        deadline = time.monotonic() + 600
        while last[1] < total:
            if time.monotonic() > deadline or any(p.returncode is not None for p in processes):
                raise RuntimeError(f"{command} stopped at {last[1]} of {total} messages")
            try:
                offsets = await admin.list_consumer_group_offsets(group)
            except (
                GroupCoordinatorNotAvailableError,
                GroupLoadInProgressError,
                NotCoordinatorForGroupError,
            ):
                # A new group's coordinator is still being chosen (on a cluster, the first
                # group also creates __consumer_offsets, replicated 3 times): ask again.
                await asyncio.sleep(0.1)
                continue
            committed = sum(
                o.offset for tp, o in offsets.items() if tp.topic == topic and o.offset > 0
            )
            now = time.perf_counter()
            if committed and first is None:
                first = (now, committed)
            if committed != last[1]:
                last = (now, committed)
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
        for process in processes:
            if process.returncode is None:
                process.terminate()
            await process.wait()
    if first is None:
        raise RuntimeError(f"{command} committed nothing")
    return Measure(last[1] - first[1], last[0] - first[0])


async def passthrough(settings: Settings) -> None:
    """The baseline: copy every message with plain aiokafka calls, commit after the acks."""
    source = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    target = wire_name(PASSTHROUGH.name, settings.topic_prefix)
    consumer = make_consumer(settings, group_id=settings.topic_prefix + PASSTHROUGH_GROUP)
    producer = make_producer(settings)
    consumer.subscribe([source])
    await consumer.start()
    await producer.start()
    try:
        while True:
            batches = await consumer.getmany(
                timeout_ms=settings.consumer_poll_timeout_ms,
                max_records=settings.consumer_max_batch,
            )
            futures = [
                await producer.send(target, record.value, key=record.key)
                for records in batches.values()
                for record in records
            ]
            await asyncio.gather(*futures)
            if batches:
                try:
                    await consumer.commit()
                except (CommitFailedError, IllegalStateError):
                    # A rebalance moved these partitions to the other worker (--workers 2):
                    # it copies them again, as any at-least-once consumer would.
                    continue
    finally:
        await consumer.stop()
        await producer.stop()


if __name__ == "__main__":
    import uvloop

    from shared.config import get_settings

    uvloop.run(passthrough(get_settings()))
