"""``crible bench ingest``: ingestion throughput on the real stack, against raw aiokafka.

1. Publishes N generated reports to a fresh, prefixed ``reports.submitted``.
2. Raw passthrough: a plain aiokafka consumer/producer pair (separate process) copies the
   same N messages to another topic, committing each batch after the acknowledgement.
3. Ingest: the real service (``crible run ingest``, separate process) processes the same
   N messages end to end: validation, PostgreSQL transaction, outbox, case events and
   accepted reports acknowledged by Kafka, offsets committed.

Both are timed the same way, from outside: an observer polls the group's committed offsets;
the rate is the messages committed between the first and the last observed commit divided
by the time between them. The ratio ingest/passthrough is printed with both rates.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import CommitFailedError, IllegalStateError

from shared.config import Settings
from shared.kafka import (
    apply_topics,
    delete_topics,
    make_consumer,
    make_producer,
    messages_written,
)
from shared.reportgen import ReportStream
from shared.topics import CASES, REPORTS_ACCEPTED, REPORTS_SUBMITTED, TopicSpec, wire_name

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


async def bench_ingest(
    settings: Settings, *, reports: int, workers: int = 1, repeat: int = 1
) -> int:
    """Run the benchmark ``repeat`` times and print the figures, then their medians.

    Exit status 0 if ingest stored and announced every distinct report in every round.
    """
    rounds = []
    for round_no in range(1, repeat + 1):
        print(f"--- round {round_no} of {repeat}")
        rounds.append(await _round(settings, reports=reports, workers=workers))
    if repeat > 1:
        raw = statistics.median(r[0] for r in rounds)
        ingest = statistics.median(r[1] for r in rounds)
        ratio = statistics.median(r[1] / r[0] for r in rounds)
        print(
            f"=== medians over {repeat} rounds, {workers} process(es) per side: passthrough "
            f"{raw:,.0f} messages/s, ingest {ingest:,.0f} reports/s, ratio {ratio:.2f}"
        )
    return 0 if all(r[2] for r in rounds) else 1


async def _round(settings: Settings, *, reports: int, workers: int) -> tuple[float, float, bool]:
    """One publication, passthrough and ingest run: (passthrough rate, ingest rate, all ok)."""
    run_id = f"bench{time.time_ns()}"
    bench = settings.model_copy(update={"topic_prefix": f"{run_id}."})
    topics = [REPORTS_SUBMITTED, REPORTS_SUBMITTED.dlq(), REPORTS_ACCEPTED, CASES, PASSTHROUGH]
    await apply_topics(bench, topics)
    source = wire_name(REPORTS_SUBMITTED.name, bench.topic_prefix)

    published, unique, publish_seconds = await _publish(bench, source, reports, run_id)
    print(
        f"published {published} reports ({unique} distinct ids) in {publish_seconds:.1f} s "
        f"({published / publish_seconds:,.0f}/s)"
    )

    env = dict(os.environ, CRIBLE_TOPIC_PREFIX=bench.topic_prefix, CRIBLE_METRICS_PORT="0")
    raw = await _observe(
        bench,
        [sys.executable, "-m", "shared.bench"],
        env=env,
        group=bench.topic_prefix + PASSTHROUGH_GROUP,
        topic=source,
        total=published,
        workers=workers,
    )
    print(
        f"raw aiokafka passthrough: {raw.rate:,.0f} messages/s "
        f"({raw.messages} in {raw.seconds:.2f} s)"
    )
    ingest = await _observe(
        bench,
        [sys.executable, "-m", "shared.cli", "run", "ingest"],
        env=env,
        group=bench.topic_prefix + "crible-ingest",
        topic=source,
        total=published,
        workers=workers,
    )
    print(f"ingest: {ingest.rate:,.0f} reports/s ({ingest.messages} in {ingest.seconds:.2f} s)")
    print(f"processes on each side: {workers}")
    print(f"ratio ingest / passthrough: {ingest.rate / raw.rate:.2f}")

    stored = await _stored_reports(bench, run_id)
    accepted = await messages_written(bench, wire_name(REPORTS_ACCEPTED.name, bench.topic_prefix))
    case_events = await messages_written(bench, wire_name(CASES.name, bench.topic_prefix))
    await delete_topics(bench)
    print(
        f"check: {stored} reports stored, {accepted} reports.accepted and {case_events} "
        f"case events published, for {unique} distinct report ids"
    )
    return raw.rate, ingest.rate, stored == unique == accepted


async def _publish(
    settings: Settings, topic: str, count: int, run_id: str
) -> tuple[int, int, float]:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        linger_ms=20,
        max_batch_size=512 * 1024,
        acks="all",
        enable_idempotence=True,
    )
    await producer.start()
    ids: set[str] = set()
    started = time.perf_counter()
    try:
        futures = []
        stream = ReportStream(seed=11, subjects=20_000, reporters=200_000, namespace=f"{run_id}-")
        for key, value in stream.payloads(count):
            ids.add(orjson.loads(value)["report_id"])
            futures.append(await producer.send(topic, value, key=key))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return count, len(ids), time.perf_counter() - started


async def _observe(
    settings: Settings,
    command: list[str],
    *,
    env: dict[str, str],
    group: str,
    topic: str,
    total: int,
    workers: int,
) -> Measure:
    processes = [
        await asyncio.create_subprocess_exec(*command, env=env, stderr=asyncio.subprocess.DEVNULL)
        for _ in range(workers)
    ]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    first: tuple[float, int] | None = None
    last: tuple[float, int] = (0.0, 0)
    try:
        deadline = time.monotonic() + 600
        while last[1] < total:
            if time.monotonic() > deadline or any(p.returncode is not None for p in processes):
                raise RuntimeError(f"{command} stopped at {last[1]} of {total} messages")
            offsets = await admin.list_consumer_group_offsets(group)
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


async def _stored_reports(settings: Settings, run_id: str) -> int:
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM ingest.reports WHERE report_id LIKE $1", f"{run_id}-%"
        )
        return count
    finally:
        await conn.close()


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
