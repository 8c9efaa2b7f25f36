"""``crible bench ingest``: ingestion throughput on the real stack, against raw aiokafka.

1. Publishes N generated reports to a fresh, prefixed ``reports.submitted``.
2. Raw passthrough: a plain aiokafka consumer/producer pair (separate process) copies the
   same N messages to another topic, committing each batch after the acknowledgement.
3. Ingest: the real service (``crible run ingest``, separate process) processes the same
   N messages end to end: validation, PostgreSQL transaction, outbox, case events and
   accepted reports acknowledged by Kafka, offsets committed.

Both are timed the same way, from outside (:func:`shared.cli.bench.observe`). The ratio
ingest/passthrough is printed with both rates, and medians when there are several rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Sequence

import asyncpg
import orjson
import uvloop

from shared.cli.bench import PASSTHROUGH, PASSTHROUGH_GROUP, observe
from shared.cli.reportgen import ReportStream
from shared.config import Settings
from shared.kafka import (
    apply_topics,
    delete_topics,
    make_plain_producer,
    messages_written,
)
from shared.topics import CASES, REPORTS_ACCEPTED, REPORTS_SUBMITTED, wire_name


def run(settings: Settings, options: Sequence[str]) -> int:
    """Parse the benchmark's options and run it; exit status 0 if every round checked out."""
    parser = argparse.ArgumentParser(prog="crible bench ingest", description=__doc__)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes for the passthrough and, then, for ingest (the same number on each side)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds; medians are printed")
    args = parser.parse_args(options)
    return uvloop.run(
        bench_ingest(settings, reports=args.reports, workers=args.workers, repeat=args.repeat)
    )


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
    raw = await observe(
        bench,
        [sys.executable, "-m", "shared.cli.bench"],
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
    ingest = await observe(
        bench,
        [sys.executable, "-m", "services", "run", "ingest"],
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
    producer = make_plain_producer(
        settings,
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


async def _stored_reports(settings: Settings, run_id: str) -> int:
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM ingest.reports WHERE report_id LIKE $1", f"{run_id}-%"
        )
        return count
    finally:
        await conn.close()
