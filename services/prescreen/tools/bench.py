"""``crible bench prescreen``: screening throughput and latency on the real stack.

1. PDQ lookups: a bank of ``--bank-size`` random PDQ hashes, queries planted at distance 30
   of bank entries; Crible's index and faiss's exhaustive ``IndexBinaryFlat`` answer the same
   queries in the same run (ms per query, agreement with an exact brute force).
2. The same number of PDQ hashes is stored as a bank in PostgreSQL, as ``crible banks``
   would leave it; every worker loads it at start-up.
3. Throughput: N case events (French and English texts, each generated and practically
   never repeated, links, media hashes, some near the bank) are published, then
   ``crible run prescreen`` (one process, then two) screens them with every local screener
   on; the group's commits are timed from outside.
4. Latency: with one worker running, case events are published at ``--rate`` per second and
   the p50/p99 time from a case event's write to its verdict's write is read from Kafka's
   record timestamps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg
import numpy as np
import uvloop

from services.prescreen.core.banks import BankSet
from services.prescreen.core.pdq_index import Hashes
from services.prescreen.tools.bench_texts import SENTENCES, generated_text
from services.prescreen.tools.pdq_bench import measure
from shared.cli.bench import observe
from shared.config import Settings
from shared.events import Category
from shared.events.screening import BankDefined, BankKind
from shared.kafka import (
    apply_topics,
    delete_topics,
    make_plain_consumer,
    make_plain_producer,
)
from shared.runtime.parent import stop_with_me
from shared.topics import CASES, HASHBANKS_UPDATES, SCREENING_VERDICTS, wire_name

LANGUAGES = tuple(SENTENCES)
URLS = (
    "https://www.lemonde.fr/international/article/2026/11/28/x.html",
    "https://login.secure-bank-verify.example/account",
    "https://streaming-gratuit.example/film",
    "https://en.wikipedia.org/wiki/Content_moderation",
)


def run(settings: Settings, options: Sequence[str]) -> int:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(prog="crible bench prescreen", description=__doc__)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--bank-size", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2048, help="PDQ lookups timed")
    parser.add_argument("--rate", type=float, default=1000.0, help="latency phase, cases/s")
    parser.add_argument("--seconds", type=float, default=15.0, help="latency phase length")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument(
        "--reported-category",
        default="other",
        help="the category the generated reports name (a policy-prompted model is asked "
        "about a case only when its category has a written policy)",
    )
    parser.add_argument(
        "--memory-bank",
        type=int,
        default=10_000_000,
        help="PDQ hashes of the bank whose load time and peak memory are measured (0: skip)",
    )
    args = parser.parse_args(options)
    return uvloop.run(_bench(settings, args))


async def _bench(settings: Settings, args: argparse.Namespace) -> int:
    run_id = f"bench{time.time_ns()}"
    lookups = await asyncio.to_thread(measure, args.bank_size, args.queries)
    print(
        f"PDQ lookup, {args.bank_size:,} hashes, {args.queries} queries in batches of 256: "
        f"crible index {lookups['pdq_index_ms_per_query']:.3f} ms/query, faiss IndexBinaryFlat "
        f"{lookups['faiss_flat_ms_per_query']:.3f} ms/query "
        f"(ratio {lookups['faiss_flat_ms_per_query'] / lookups['pdq_index_ms_per_query']:.1f}x); "
        f"recall of planted distance-30 hashes {lookups['planted_recall']:.3f}, agreement "
        f"with brute force {lookups['brute_force_agreement']:.3f}, with faiss "
        f"{lookups['faiss_agreement']:.3f}"
    )
    if args.memory_bank:
        seconds, peak = await asyncio.to_thread(_memory, args.memory_bank)
        print(
            f"bank of {args.memory_bank:,} PDQ hashes: loaded and indexed in {seconds:.1f} s, "
            f"peak memory of the process {peak / 2**30:.2f} GiB (the hashes as read included)"
        )
    bank = f"{run_id}-pdq"
    bank_hashes = np.random.default_rng(7).integers(0, 256, (args.bank_size, 32), dtype=np.uint8)
    started = time.perf_counter()
    await _store_bank(settings, bank, bank_hashes)
    print(
        f"stored bank {bank} ({args.bank_size:,} PDQ hashes) "
        f"in {time.perf_counter() - started:.1f} s"
    )
    try:
        for workers in args.workers:
            rate = await _throughput(
                settings,
                args.cases,
                workers,
                bank_hashes,
                f"{run_id}w{workers}",
                category=args.reported_category,
            )
            print(f"prescreen, {workers} worker(s): {rate:,.0f} cases/s")
        p50, p99, count = await _latency(settings, args, bank_hashes, f"{run_id}lat")
        print(
            f"case event to verdict at {args.rate:,.0f} cases/s for {args.seconds:.0f} s, one "
            f"worker: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({count} verdicts)"
        )
    finally:
        await _drop_bank(settings, bank)
    return 0


def _memory(size: int) -> tuple[float, int]:
    """Load a bank of ``size`` PDQ hashes in a fresh process: (seconds, peak bytes)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        result: tuple[float, int] = pool.apply(_load_bank_measured, (size,))
    return result


def _load_bank_measured(size: int) -> tuple[float, int]:
    """In the child: the hashes as a loader reads them (n x 32 bytes), then the bank set."""
    hashes = np.random.default_rng(11).integers(0, 256, (size, 32), dtype=np.uint8)
    started = time.perf_counter()
    banks = BankSet()
    banks.apply([
        BankDefined(schema_version=1, type="bank.defined", bank="memory",
                    kind=BankKind.BLOCK, category=Category.CHILD_SEXUAL_ABUSE)
    ])  # fmt: skip
    banks.load_pdq("memory", hashes)
    seconds = time.perf_counter() - started
    del hashes
    # ru_maxrss is in KiB on Linux
    return seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


async def _store_bank(settings: Settings, bank: str, hashes: Hashes) -> None:
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        await conn.execute(
            "INSERT INTO prescreen.banks (name, kind, category, description) "
            "VALUES ($1, 'block', 'child_sexual_abuse', 'benchmark')",
            bank,
        )
        rows = ((bank, "pdq", bytes(row), 100) for row in hashes)
        await conn.copy_records_to_table(
            "bank_hashes",
            schema_name="prescreen",
            columns=["bank", "algorithm", "hash", "quality"],
            records=rows,
        )
    finally:
        await conn.close()


async def _drop_bank(settings: Settings, bank: str) -> None:
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        await conn.execute("DELETE FROM prescreen.bank_hashes WHERE bank = $1", bank)
        await conn.execute("DELETE FROM prescreen.banks WHERE name = $1", bank)
    finally:
        await conn.close()


def _case_event(rng: random.Random, bank: Hashes, category: str = "other") -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    case_id = str(uuid.uuid4())
    # Every text and link differs, as real ones do: nothing is screened from a cache.
    language = rng.choice(LANGUAGES)
    text = generated_text(rng, language)
    media: list[dict[str, Any]] = []
    if rng.random() < 0.3:
        row = bank[rng.randrange(len(bank))].copy() if rng.random() < 0.3 else None
        value = int.from_bytes(bytes(row), "big") if row is not None else rng.getrandbits(256)
        for bit in rng.sample(range(256), rng.randrange(0, 40)):
            value ^= 1 << bit
        media.append({"pdq": f"{value:064x}", "pdq_quality": 90})
    if rng.random() < 0.2:
        media.append({"sha256": f"{rng.getrandbits(256):064x}"})
    evidence = {
        "message_excerpt": generated_text(rng, rng.choice(LANGUAGES)),
        "media": media,
        "urls": [f"{rng.choice(URLS)}?ref={rng.getrandbits(32):x}"] if rng.random() < 0.4 else [],
    }
    subject = {"kind": "user", "id": f"u{rng.getrandbits(40)}"}
    report = {
        "schema_version": 1, "report_id": uuid.uuid4().hex, "reported_at": now,
        "reporter_id": f"r{rng.getrandbits(30)}", "reporter_language": language,
        "subject": subject, "category": category, "text": text, "evidence": evidence,
    }  # fmt: skip
    return {
        "schema_version": 1, "event_id": str(uuid.uuid4()), "event_type": "case.opened",
        "case_id": case_id, "revision": 1, "subject": subject, "category": category,
        "report_count": 1, "reporter_count": 1, "first_reported_at": now,
        "last_reported_at": now, "reporter_languages": [language], "new_report_count": 1,
        "new_reports": [report], "occurred_at": now,
    }  # fmt: skip


async def _topics(settings: Settings, prefix: str) -> Settings:
    bench = settings.model_copy(update={"topic_prefix": f"{prefix}."})
    await apply_topics(
        bench, [CASES, CASES.dlq(), SCREENING_VERDICTS, HASHBANKS_UPDATES, HASHBANKS_UPDATES.dlq()]
    )
    return bench


def _env(bench: Settings) -> dict[str, str]:
    return dict(
        os.environ,
        **stop_with_me(),
        CRIBLE_TOPIC_PREFIX=bench.topic_prefix,
        CRIBLE_METRICS_PORT="0",
    )


async def _throughput(
    settings: Settings,
    cases: int,
    workers: int,
    bank: Hashes,
    prefix: str,
    *,
    category: str = "other",
) -> float:
    bench = await _topics(settings, prefix)
    topic = wire_name(CASES.name, bench.topic_prefix)
    producer = make_plain_producer(bench, linger_ms=20, max_batch_size=512 * 1024, acks="all")
    await producer.start()
    rng = random.Random(3)  # noqa: S311 - test data
    try:
        futures = [
            await producer.send(topic, json.dumps(e).encode(), key=e["case_id"].encode())
            for e in (_case_event(rng, bank, category) for _ in range(cases))
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    measured = await observe(
        bench,
        [sys.executable, "-m", "services", "run", "prescreen"],
        env=_env(bench),
        group=bench.topic_prefix + "crible-prescreen",
        topic=topic,
        total=cases,
        workers=workers,
    )
    await delete_topics(bench)
    return measured.rate


async def _latency(
    settings: Settings,
    args: argparse.Namespace,
    bank: Hashes,
    prefix: str,
) -> tuple[float, float, int]:
    bench = await _topics(settings, prefix)
    cases_topic = wire_name(CASES.name, bench.topic_prefix)
    verdicts_topic = wire_name(SCREENING_VERDICTS.name, bench.topic_prefix)
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services", "run", "prescreen", env=_env(bench),
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    consumer = make_plain_consumer(bench, verdicts_topic, auto_offset_reset="earliest")
    producer = make_plain_producer(bench, linger_ms=0, acks="all")
    await consumer.start()
    await producer.start()
    rng = random.Random(5)  # noqa: S311 - test data
    written: dict[bytes, int] = {}
    latencies: list[float] = []
    try:
        # Warm up: wait until the worker (banks loaded) answers.
        warm = _case_event(rng, bank)
        await producer.send_and_wait(
            cases_topic, json.dumps(warm).encode(), key=warm["case_id"].encode()
        )
        deadline = time.monotonic() + 300
        while not await consumer.getmany(timeout_ms=500):
            if time.monotonic() > deadline or worker.returncode is not None:
                raise RuntimeError("the prescreen worker did not answer")
        total = int(args.rate * args.seconds)
        interval = 1 / args.rate
        next_at = time.monotonic()
        for _ in range(total):
            event = _case_event(rng, bank)
            key = event["case_id"].encode()
            meta = await producer.send_and_wait(cases_topic, json.dumps(event).encode(), key=key)
            written[key] = meta.timestamp
            next_at += interval
            if (delay := next_at - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            for records in (await consumer.getmany(timeout_ms=0)).values():
                latencies += [r.timestamp - written[r.key] for r in records if r.key in written]
        deadline = time.monotonic() + 60
        while len(latencies) < total and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                latencies += [r.timestamp - written[r.key] for r in records if r.key in written]
    finally:
        await producer.stop()
        await consumer.stop()
        worker.terminate()
        await worker.wait()
        await delete_topics(bench)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return statistics.median(latencies), p99, len(latencies)
