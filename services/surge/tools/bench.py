"""``crible bench surge``: the faust app's throughput and signal latency on the real broker.

1. Throughput: N generated reports are published to a fresh, prefixed
   ``reports.submitted``; the raw aiokafka passthrough (:mod:`shared.cli.bench`) copies
   them, then ``crible run ingest`` processes them, each timed from outside as ``crible
   bench ingest`` times them; then ``crible run surge`` (W processes with ``--workers``)
   reads the ``reports.accepted`` ingest wrote and is timed the same way: the reports that
   went through all three stages (every offset of ``reports.accepted``,
   ``surge.by_reporter`` and ``surge.by_subject`` committed) between the first observed
   commit and the moment all are. Surge's rate is printed beside ingest's and their ratio:
   the stage must keep up with the one before it. With ``--no-ingest`` (no PostgreSQL),
   ``reports.accepted`` events are published directly instead.
2. Latency: a fresh app under a steady background load (``--rate`` reports/s over many
   subjects) meets bursts on fresh subjects; for each, the time from sending the report that
   crosses the threshold to reading its first signal on ``surge.signals``: p50, p99, max.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import uvloop
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from services.surge.adapters.intake import INTAKE_GROUP
from services.surge.adapters.topology import GROUP
from services.surge.config import SurgeSettings
from shared.cli.bench import PASSTHROUGH, PASSTHROUGH_GROUP, Measure, observe
from shared.cli.reportgen import ReportStream
from shared.config import Settings
from shared.kafka import (
    apply_topics,
    delete_topics,
    make_admin,
    make_plain_consumer,
    make_plain_producer,
    messages_written,
)
from shared.runtime.parent import stop_with_me
from shared.topics import (
    CASES,
    REPORTS_ACCEPTED,
    REPORTS_SUBMITTED,
    SURGE_APP,
    SURGE_BY_REPORTER,
    SURGE_BY_SUBJECT,
    SURGE_SIGNALS,
    wire_name,
)

TOPICS = SURGE_APP
#: What ingest reads and writes when it is timed first.
INGEST_TOPICS = (REPORTS_SUBMITTED, REPORTS_SUBMITTED.dlq(), CASES)


def run(settings: Settings, options: Sequence[str]) -> int:
    """Parse the benchmark's options and run it; exit status 0 if every report went through."""
    parser = argparse.ArgumentParser(prog="crible bench surge", description=__doc__)
    parser.add_argument("--reports", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=1, help="surge processes (one group)")
    parser.add_argument("--no-passthrough", action="store_true", help="skip the raw baseline")
    parser.add_argument(
        "--no-ingest",
        action="store_true",
        help="publish reports.accepted directly instead of timing ingest first (no PostgreSQL)",
    )
    parser.add_argument("--rate", type=float, default=2000.0, help="background reports/s")
    parser.add_argument("--bursts", type=int, default=100, help="bursts timed for latency")
    parser.add_argument("--repeat", type=int, default=1, help="throughput rounds (medians)")
    args = parser.parse_args(options)
    return uvloop.run(_bench(settings, args))


async def _bench(settings: Settings, args: argparse.Namespace) -> int:
    ok = True
    rates = []
    ratios = []
    for round_no in range(1, args.repeat + 1):
        print(f"--- throughput round {round_no} of {args.repeat}")
        rate, upstream, through = await _throughput(
            settings,
            reports=args.reports,
            workers=args.workers,
            baseline=not args.no_passthrough,
            ingest=not args.no_ingest,
        )
        rates.append(rate)
        if upstream:
            ratios.append(rate / upstream)
        ok = ok and through
    if args.repeat > 1:
        print(
            f"=== median over {args.repeat} rounds: surge {statistics.median(rates):,.0f} "
            "reports/s" + (f", surge / ingest {statistics.median(ratios):.2f}" if ratios else "")
        )
    print("--- latency")
    await _latency(settings, rate=args.rate, bursts=args.bursts)
    return 0 if ok else 1


async def _throughput(
    settings: Settings, *, reports: int, workers: int, baseline: bool, ingest: bool
) -> tuple[float, float | None, bool]:
    """One round: (surge's rate, ingest's when timed, whether every report went through)."""
    bench = settings.model_copy(update={"topic_prefix": f"bench{time.time_ns()}."})
    await apply_topics(bench, (*TOPICS, *INGEST_TOPICS, PASSTHROUGH))
    env = dict(
        os.environ,
        **stop_with_me(),
        CRIBLE_TOPIC_PREFIX=bench.topic_prefix,
        CRIBLE_METRICS_PORT="0",
    )
    try:
        before = _load()
        await _publish(bench, reports=reports, baseline=baseline, ingest=ingest)
        raw = await _passthrough(bench, env, reports=reports) if baseline else None
        upstream = await _ingest(bench, env, reports=reports, workers=workers) if ingest else None
        accepted = await messages_written(
            bench, wire_name(REPORTS_ACCEPTED.name, bench.topic_prefix)
        )
        processes = [await surge_process(env, slot=i) for i in range(workers)]
        try:
            messages, elapsed = await _through_all_stages(bench, accepted, processes, env)
        finally:
            for process in processes:
                if process.returncode is None:
                    process.terminate()
                await process.wait()
        rate = messages / elapsed if elapsed > 0 else 0.0
        print(
            f"surge ({workers} process(es), 3 stages, reporters in "
            f"{SurgeSettings().reporters_store}, subjects on disk): {rate:,.0f} reports/s "
            f"({messages:,} in {elapsed:.2f} s, first commit to last stage done)"
        )
        if raw is not None:
            print(f"ratio surge / passthrough: {rate / raw.rate:.2f}")
        if upstream is not None:
            print(f"ratio surge / ingest: {rate / upstream.rate:.2f}")
        print(f"load average (1 min) at the start and the end: {before:.2f}, {_load():.2f}")
        print(f"surge's log: {_overlapping(env)} 'Timer commit is overlapping'")
        signals = await messages_written(bench, wire_name(SURGE_SIGNALS.name, bench.topic_prefix))
        print(f"check: {signals:,} signals published on the way")
        return rate, None if upstream is None else upstream.rate, messages > 0
    finally:
        await delete_topics(bench)
        shutil.rmtree(surge_state(env), ignore_errors=True)


async def _publish(bench: Settings, *, reports: int, baseline: bool, ingest: bool) -> None:
    """The round's reports: submitted for ingest to accept, else accepted directly."""
    if ingest:
        seconds = await _publish_submitted(bench, reports)
        print(f"published {reports:,} reports.submitted in {seconds:.1f} s")
    else:
        seconds = await _publish_accepted(bench, reports, also_submitted=baseline)
        print(f"published {reports:,} reports.accepted in {seconds:.1f} s")


async def _passthrough(bench: Settings, env: dict[str, str], *, reports: int) -> Measure:
    """The raw aiokafka passthrough over ``reports.submitted``, in one process."""
    raw = await observe(
        bench,
        [sys.executable, "-m", "shared.cli.bench"],
        env=env,
        group=bench.topic_prefix + PASSTHROUGH_GROUP,
        topic=wire_name(REPORTS_SUBMITTED.name, bench.topic_prefix),
        total=reports,
        workers=1,
    )
    print(
        f"raw aiokafka passthrough (1 process): {raw.rate:,.0f} messages/s "
        f"({raw.messages:,} in {raw.seconds:.2f} s)"
    )
    return raw


async def _ingest(bench: Settings, env: dict[str, str], *, reports: int, workers: int) -> Measure:
    """Ingest as `crible bench ingest` times it; surge then reads what ingest accepted."""
    upstream = await observe(
        bench,
        [sys.executable, "-m", "services", "run", "ingest"],
        env=env,
        group=bench.topic_prefix + "crible-ingest",
        topic=wire_name(REPORTS_SUBMITTED.name, bench.topic_prefix),
        total=reports,
        workers=workers,
    )
    print(
        f"ingest ({workers} process(es)): {upstream.rate:,.0f} reports/s "
        f"({upstream.messages:,} in {upstream.seconds:.2f} s)"
    )
    return upstream


def _load() -> float:
    return os.getloadavg()[0]


async def _publish_submitted(settings: Settings, count: int) -> float:
    """N generated reports on ``reports.submitted``, as `crible bench ingest` publishes them."""
    producer = make_plain_producer(
        settings, linger_ms=20, max_batch_size=512 * 1024, acks="all", enable_idempotence=True
    )
    await producer.start()
    topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    run_id = settings.topic_prefix.rstrip(".")
    stream = ReportStream(seed=11, subjects=20_000, reporters=200_000, namespace=f"{run_id}-")
    started = time.perf_counter()
    try:
        futures = [await producer.send(topic, v, key=k) for k, v in stream.payloads(count)]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def _publish_accepted(settings: Settings, count: int, *, also_submitted: bool) -> float:
    """N ``ReportAccepted`` payloads, keyed by subject; the same bytes to reports.submitted."""
    producer = make_plain_producer(
        settings, linger_ms=20, max_batch_size=512 * 1024, acks="all", enable_idempotence=True
    )
    await producer.start()
    accepted = wire_name(REPORTS_ACCEPTED.name, settings.topic_prefix)
    submitted = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    stream = ReportStream(seed=11, subjects=20_000, reporters=200_000, namespace="b-")
    now = datetime.now(UTC).isoformat()
    started = time.perf_counter()
    try:
        futures = []
        for _ in range(count):
            report = stream.report()
            value = accepted_event(report, now)
            key = _subject_key(report["subject"])
            futures.append(await producer.send(accepted, value, key=key))
            if also_submitted:
                futures.append(await producer.send(submitted, value, key=key))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


def accepted_event(report: dict[str, object], now: str) -> bytes:
    """``report`` as the ``ReportAccepted`` event ingest writes for it (accepted ``now``)."""
    return orjson.dumps(
        {
            "schema_version": 1,
            "report": report,
            "case_id": str(uuid.uuid4()),
            "case_revision": 1,
            "repeat": False,
            "accepted_at": now,
        }
    )


def _subject_key(subject: object) -> bytes:
    assert isinstance(subject, dict)  # noqa: S101 - built just above
    if subject.get("chat_id"):
        return f"{subject['kind']}:{subject['chat_id']}:{subject['id']}".encode()
    return f"{subject['kind']}:{subject['id']}".encode()


def surge_state(env: dict[str, str]) -> Path:
    """The round's surge state: one directory per process, and their logs."""
    return Path(tempfile.gettempdir()) / f"{env['CRIBLE_TOPIC_PREFIX']}surge-state"


async def surge_process(env: dict[str, str], *, slot: int = 0) -> asyncio.subprocess.Process:
    """``crible run surge``; each ``slot`` its own state directory (RocksDB locks its own).

    Its log (stderr) is appended to ``surge-<slot>.log`` beside them (:func:`_overlapping`).
    """
    state = surge_state(env)
    state.mkdir(parents=True, exist_ok=True)
    with (state / f"surge-{slot}.log").open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services",
            "run",
            "surge",
            env={**env, "CRIBLE_SURGE_DATA_DIR": str(state / str(slot))},
            stderr=log,
        )


#: What faust logs when a commit outlasts its interval (the next one is due already).
OVERLAPPING = b"Timer commit is overlapping"


def _overlapping(env: dict[str, str]) -> int:
    """How often the round's surge processes logged :data:`OVERLAPPING`."""
    return sum(log.read_bytes().count(OVERLAPPING) for log in surge_state(env).glob("surge-*.log"))


async def _through_all_stages(
    settings: Settings,
    total: int,
    processes: list[asyncio.subprocess.Process],
    env: dict[str, str],
) -> tuple[int, float]:
    """(reports, seconds) from the first observed commit until every stage is done.

    A process that exits (its watchdog found a stalled partition) is started again, as
    ``crible run all`` would: the time it costs is in the figure, and the restart is printed.
    """
    group = settings.topic_prefix + GROUP
    intake = settings.topic_prefix + INTAKE_GROUP
    source = wire_name(REPORTS_ACCEPTED.name, settings.topic_prefix)
    internal = [
        wire_name(t.name, settings.topic_prefix) for t in (SURGE_BY_REPORTER, SURGE_BY_SUBJECT)
    ]
    admin = make_admin(settings)
    await admin.start()
    first: tuple[float, int] | None = None
    deadline = time.monotonic() + 900
    try:
        while True:
            if time.monotonic() > deadline:
                raise RuntimeError("surge did not get through the stream in 15 minutes")
            await _restart_exited(processes, env)
            done = await committed(admin, (group, intake), [source, *internal])
            now = time.perf_counter()
            if done[source] and first is None:
                first = (now, done[source])
            finished = first is not None and done[source] >= total
            if first is not None and finished and await _stages_done(settings, done, internal):
                return total - first[1], now - first[0]
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def _restart_exited(processes: list[asyncio.subprocess.Process], env: dict[str, str]) -> None:
    """Start again each surge process that exited, as ``crible run all`` would."""
    for i, process in enumerate(processes):
        if process.returncode is not None:
            print(f"a surge process exited ({process.returncode}); started again")
            processes[i] = await surge_process(env, slot=i)


async def committed(
    admin: AIOKafkaAdminClient, groups: tuple[str, ...], topics: list[str]
) -> dict[str, int]:
    """The offsets ``groups`` committed, summed per topic of ``topics``."""
    done = dict.fromkeys(topics, 0)
    for group in groups:
        for tp, o in (await admin.list_consumer_group_offsets(group)).items():
            if tp.topic in done and o.offset > 0:
                done[tp.topic] += o.offset
    return done


async def _stages_done(settings: Settings, done: dict[str, int], internal: list[str]) -> bool:
    """Whether the groups committed everything written on the internal topics."""
    written = [await messages_written(settings, t) for t in internal]
    return all(done[t] >= w for t, w in zip(internal, written, strict=True))


async def _latency(settings: Settings, *, rate: float, bursts: int) -> None:
    """Bursts under background load: send of the threshold-crossing report to its signal."""
    bench = settings.model_copy(update={"topic_prefix": f"bench{time.time_ns()}."})
    await apply_topics(bench, TOPICS)
    env = dict(
        os.environ,
        **stop_with_me(),
        CRIBLE_TOPIC_PREFIX=bench.topic_prefix,
        CRIBLE_METRICS_PORT="0",
    )
    process = await surge_process(env)
    threshold = SurgeSettings().specs()[0].threshold
    producer = make_plain_producer(bench, linger_ms=1)
    consumer = make_plain_consumer(
        bench, wire_name(SURGE_SIGNALS.name, bench.topic_prefix), auto_offset_reset="latest"
    )
    await producer.start()
    await consumer.start()
    crossed: dict[str, float] = {}
    seen: dict[str, float] = {}
    topic = wire_name(REPORTS_ACCEPTED.name, bench.topic_prefix)
    try:
        await _warm_up(producer, consumer, topic, threshold, process)
        all_seen = asyncio.Event()
        reader = asyncio.create_task(_read_signals(consumer, seen, crossed, all_seen))
        rng = random.Random(5)  # noqa: S311 - test data, not secrets
        per_burst = max(1, int(rate * 0.4))
        serial = 0
        for b in range(bursts):
            now = datetime.now(UTC)
            for _ in range(per_burst):  # background: spread over many subjects, below thresholds
                serial += 1
                subject = f"bg{rng.randrange(100_000)}"
                value = _burst_report(subject, serial, now, reporter=f"bg-u{rng.randrange(10**6)}")
                await producer.send(topic, value, key=f"channel:{subject}".encode())
            subject = f"burst{b}"
            for n in range(threshold):
                value = _burst_report(subject, n, now)
                if n == threshold - 1:
                    await producer.flush()
                    crossed[subject] = time.perf_counter()
                await producer.send(topic, value, key=f"channel:{subject}".encode())
            await producer.flush()
            await asyncio.sleep(0.4)
        # The reader sets ``all_seen`` once every burst has its signal; a minute at most.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_seen.wait(), timeout=60)
        reader.cancel()
    finally:
        await consumer.stop()
        await producer.stop()
        if process.returncode is None:
            process.terminate()
        await process.wait()
        await delete_topics(bench)
        shutil.rmtree(surge_state(env), ignore_errors=True)
    delays = sorted(seen[s] - crossed[s] for s in crossed if s in seen)
    if not delays:
        print("no signal seen")
        return
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(
        f"threshold-crossing report to signal, {len(delays)} of {len(crossed)} bursts seen, "
        f"background {rate:,.0f} reports/s: p50 {statistics.median(delays) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms"
    )


def _burst_report(subject: str, n: int, now: datetime, *, reporter: str | None = None) -> bytes:
    report = {
        "schema_version": 1,
        "report_id": f"{subject}-{n}",
        "reported_at": (now + timedelta(milliseconds=n % 1000)).isoformat(),
        "reporter_id": reporter or f"{subject}-u{n}",
        "reporter_language": "en",
        "subject": {"kind": "channel", "id": subject},
        "category": "spam",
    }
    return accepted_event(report, now.isoformat())


async def _warm_up(
    producer: AIOKafkaProducer,
    consumer: AIOKafkaConsumer,
    topic: str,
    threshold: int,
    process: asyncio.subprocess.Process,
) -> None:
    """One burst, waited for: the app has its partitions and its tables before timing."""
    now = datetime.now(UTC)
    for n in range(threshold):
        await producer.send(topic, _burst_report("warm-up", n, now), key=b"channel:warm-up")
    await producer.flush()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError("surge stopped during the warm-up")
        batches = await consumer.getmany(timeout_ms=500)
        if any(batches.values()):
            return
    raise RuntimeError("no signal for the warm-up burst in 120 s")


async def _read_signals(
    consumer: AIOKafkaConsumer,
    seen: dict[str, float],
    crossed: dict[str, float],
    all_seen: asyncio.Event,
) -> None:
    """Note when each subject's first signal is read; set ``all_seen`` when every burst's is."""
    while True:
        batches = await consumer.getmany(timeout_ms=100)
        now = time.perf_counter()
        for records in batches.values():
            for record in records:
                subject = orjson.loads(record.value or b"{}")["subject"]["id"]
                seen.setdefault(subject, now)
        if crossed and all(s in seen for s in crossed):
            all_seen.set()
