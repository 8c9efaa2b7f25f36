"""``crible bench ingest``: ingestion throughput on the real stack, against raw aiokafka.

1. Publishes N generated reports to a fresh, prefixed ``reports.submitted``.
2. Raw passthrough: a plain aiokafka consumer/producer pair (separate process) copies the
   same N messages to another topic, committing each batch after the acknowledgement.
3. Ingest: the real service (``crible run ingest``, separate process) processes the same
   N messages end to end: validation, PostgreSQL transaction, outbox, case events and
   accepted reports acknowledged by Kafka, offsets committed.

Both are timed the same way, from outside (:func:`shared.cli.bench.observe`). The ratio
ingest/passthrough is printed with both rates, and medians when there are several rounds.
``--workers 1,2,4`` runs the rounds for each number of processes in turn and ends with a
table of the medians beside the topic's partition count (a group's ceiling), the brokers
and the replication factor.
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
    make_admin,
    make_plain_producer,
    messages_written,
)
from shared.runtime.parent import stop_with_me
from shared.topics import CASES, REPORTS_ACCEPTED, REPORTS_SUBMITTED, wire_name


def run(settings: Settings, options: Sequence[str]) -> int:
    """Parse the benchmark's options and run it; exit status 0 if every round checked out."""
    parser = argparse.ArgumentParser(prog="crible bench ingest", description=__doc__)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument(
        "--workers",
        type=_counts,
        default=[1],
        help="processes for the passthrough and, then, for ingest (the same number on each "
        "side); several (1,2,4) are run one after the other",
    )
    parser.add_argument("--repeat", type=int, default=1, help="rounds; medians are printed")
    args = parser.parse_args(options)
    return uvloop.run(
        _each(settings, reports=args.reports, workers=args.workers, repeat=args.repeat)
    )


def _counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("worker counts are positive integers, e.g. 1,2,4")
    return counts


async def _each(settings: Settings, *, reports: int, workers: list[int], repeat: int) -> int:
    """The benchmark for each worker count; a summary table when there are several."""
    results = []
    for count in workers:
        started = os.getloadavg()[0]
        status, medians = await _bench(settings, reports=reports, workers=count, repeat=repeat)
        results.append((count, medians, started, os.getloadavg()[0], status))
    if len(workers) > 1:
        brokers = await _brokers(settings)
        print(
            f"=== reports.submitted has {REPORTS_SUBMITTED.partitions} partitions (at most "
            f"{REPORTS_SUBMITTED.partitions} busy workers); {brokers} broker(s), replication "
            f"{settings.kafka_replication_factor}, min.insync {settings.kafka_min_insync_replicas}"
        )
        print("workers  passthrough msg/s  ingest reports/s  ratio  load average (1 min)")
        for count, (raw, ingest), before, after, _ in results:
            print(
                f"{count:>7}  {raw:>17,.0f}  {ingest:>16,.0f}  {ingest / raw:>5.2f}  "
                f"{before:.1f} -> {after:.1f}"
            )
    return max(r[4] for r in results)


async def _brokers(settings: Settings) -> int:
    admin = make_admin(settings)
    await admin.start()
    try:
        return len((await admin.describe_cluster()).get("brokers", ()))
    finally:
        await admin.close()


async def bench_ingest(
    settings: Settings, *, reports: int, workers: int = 1, repeat: int = 1
) -> int:
    """Run the benchmark ``repeat`` times and print the figures, then their medians.

    Exit status 0 if ingest stored and announced every distinct report in every round.
    """
    return (await _bench(settings, reports=reports, workers=workers, repeat=repeat))[0]


async def _bench(
    settings: Settings, *, reports: int, workers: int, repeat: int
) -> tuple[int, tuple[float, float]]:
    """The rounds of one worker count: exit status and the medians (passthrough, ingest)."""
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
    medians = (statistics.median(r[0] for r in rounds), statistics.median(r[1] for r in rounds))
    return (0 if all(r[2] for r in rounds) else 1), medians


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

    env = dict(
        os.environ,
        **stop_with_me(),
        CRIBLE_TOPIC_PREFIX=bench.topic_prefix,
        CRIBLE_METRICS_PORT="0",
    )
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
