"""``crible bench e2e``: latency through the whole pipeline, hop by hop, at steady rates.

It starts `crible run all` under a topic prefix of its own (the demo's hash banks loaded),
waits until every service is ready, then publishes reports as a platform back end would:

1. at ``--rate`` for ``--seconds``: the first minute after start is reported apart from
   the rest (the warm-up: connections, caches, the text model's first batches);
2. at ``--quiet-rate`` for ``--quiet-seconds``: a quiet pipeline must not wait on batch or
   fetch timers;
3. ``--ceiling`` reports at once: the pipeline's throughput with every service on one
   machine, and when each stage had caught up.

Each hop is timed from what the pipeline itself recorded: the report's record timestamp
(set when it is sent), the case event's and the verdict's record timestamps (set by ingest
and prescreen when they publish, after their commit), and the review queue row's
``updated_at`` (set by dispatch's intake in the transaction that stores the verdict). The
queue is read every quarter second; a row rewritten by a newer verdict before it was read
gives no sample for the older one. Every phase waits for every group's lag to reach 0
before the next. ``--soak`` runs ``--soak-minutes`` at ``--rate`` instead and prints every
service's resident memory every minute, then each minute's p99 per hop. The load average is
printed beside every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from prometheus_client.parser import text_string_to_metric_families

from shared.cli.demo import import_banks
from shared.cli.pipeline import (
    LoadSampler,
    Pipeline,
    descendants,
    drained,
    every_group,
    rss_bytes,
    running_pipeline,
)
from shared.cli.registry import Registry
from shared.cli.reportgen import ReportStream, demo_banks, subject_key
from shared.config import Settings
from shared.kafka import apply_topics, delete_topics, make_plain_consumer, make_plain_producer
from shared.runtime.lag import WatchedGroup
from shared.topics import CASES, REPORTS_SUBMITTED, SCREENING_VERDICTS, all_topics, wire_name

#: Hops, in order, as printed.
HOPS = (
    "publish → case event",
    "case event → verdict",
    "verdict → queue row",
    "publish → queue row",
)
#: The target of the issue: the whole path's p99 under one second.
TARGET_SECONDS = 1.0


@dataclass
class Timeline:
    """What each report went through, in seconds since the epoch (all on one machine)."""

    published: dict[str, float] = field(default_factory=dict)
    phase: dict[str, str] = field(default_factory=dict)
    #: report id -> (case event id, when the case event was published)
    event_of: dict[str, tuple[str, float]] = field(default_factory=dict)
    #: case event id -> (verdict id, when the verdict was published)
    verdict_of: dict[str, tuple[str, float]] = field(default_factory=dict)
    #: verdict id -> when its queue row was written
    row_of: dict[str, float] = field(default_factory=dict)

    def samples(self, phase: str) -> dict[str, list[float]]:
        """Each hop's latencies (s) for the reports published during ``phase``."""
        hops: dict[str, list[float]] = {hop: [] for hop in HOPS}
        events: set[str] = set()
        verdicts: set[str] = set()
        for report, sent in self.published.items():
            if self.phase.get(report) != phase or report not in self.event_of:
                continue
            event, event_at = self.event_of[report]
            hops[HOPS[0]].append(event_at - sent)
            verdict = self.verdict_of.get(event)
            if verdict is None:
                continue  # prescreen publishes a verdict only when what it says changes
            if event not in events:
                events.add(event)
                hops[HOPS[1]].append(verdict[1] - event_at)
            row_at = self.row_of.get(verdict[0])
            if row_at is None:
                continue
            if verdict[0] not in verdicts:
                verdicts.add(verdict[0])
                hops[HOPS[2]].append(row_at - verdict[1])
            hops[HOPS[3]].append(row_at - sent)
        return hops


class Watch:
    """Follows the case events, the verdicts and the review queue while the bench runs."""

    def __init__(self, settings: Settings, timeline: Timeline) -> None:
        self._settings = settings
        self._timeline = timeline
        self._tasks: list[asyncio.Task[None]] = []
        #: Queue rows to look up: (case id, revision) -> verdicts published with no row seen
        #: yet, and since when (a verdict dispatch ignores, an older one, is given up).
        self._awaited: dict[tuple[str, int], tuple[set[str], float]] = {}

    async def start(self) -> None:
        """Start following."""
        self._tasks = [
            asyncio.create_task(self._tail(CASES.name, self._case_event)),
            asyncio.create_task(self._tail(SCREENING_VERDICTS.name, self._verdict)),
            asyncio.create_task(self._queue()),
        ]

    async def stop(self) -> None:
        """Stop following."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _case_event(self, value: bytes, at: float) -> None:
        event = orjson.loads(value)
        for report in event.get("new_reports", ()):
            self._timeline.event_of.setdefault(report["report_id"], (event["event_id"], at))

    def _verdict(self, value: bytes, at: float) -> None:
        verdict = orjson.loads(value)
        self._timeline.verdict_of.setdefault(verdict["case_event_id"], (verdict["verdict_id"], at))
        key = (verdict["case_id"], verdict["case_revision"])
        self._awaited.setdefault(key, (set(), time.monotonic()))[0].add(verdict["verdict_id"])

    async def _tail(self, name: str, seen: Callable[[bytes, float], None]) -> None:
        topic = wire_name(name, self._settings.topic_prefix)
        consumer = make_plain_consumer(
            self._settings, topic, auto_offset_reset="earliest", enable_auto_commit=False
        )
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                for records in batches.values():
                    for record in records:
                        if record.value is not None:
                            seen(record.value, record.timestamp / 1000)
        finally:
            await consumer.stop()

    async def _queue(self) -> None:
        """The queue rows of the verdicts seen, by primary key (a scan would load the server).

        A row shows its latest verdict only: an older one it replaced before it was read
        gives no sample.
        """
        conn = await asyncpg.connect(self._settings.database_url.get_secret_value())
        try:
            while True:
                awaited, self._awaited = self._awaited, {}
                keys = list(awaited)
                rows = await conn.fetch(
                    "SELECT case_id::text AS case_id, revision, verdict_id::text AS verdict_id, "
                    "extract(epoch FROM updated_at) AS at FROM dispatch.cases "
                    "WHERE (case_id, revision) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))",
                    [k[0] for k in keys],
                    [k[1] for k in keys],
                )
                for row in rows:
                    verdict = row["verdict_id"]
                    waiting = awaited.get((row["case_id"], row["revision"]), (set(), 0.0))[0]
                    if verdict in waiting:
                        self._timeline.row_of.setdefault(verdict, float(row["at"]))
                        waiting.clear()  # older verdicts of the revision were replaced
                given_up = time.monotonic() - 60
                for key, (waiting, since) in awaited.items():
                    if waiting and since > given_up:  # its row is not written yet
                        self._awaited.setdefault(key, (set(), since))[0].update(waiting)
                await asyncio.sleep(0.25)
        finally:
            await conn.close()


class Publisher:
    """Publishes generated reports at a steady rate, each stamped with its send time."""

    def __init__(self, settings: Settings, producer: AIOKafkaProducer, timeline: Timeline) -> None:
        self._topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
        self._producer = producer
        self._timeline = timeline
        self._stream = ReportStream(
            seed=uuid.uuid4().int % 10_000,
            subjects=20_000,
            reporters=20_000,
            namespace=settings.topic_prefix,
            known_media=demo_banks(),
        )

    async def steady(self, phase: str, *, rate: float, seconds: float) -> int:
        """``rate`` reports per second for ``seconds``; how many were sent."""
        started = time.monotonic()
        sent = 0
        while (elapsed := time.monotonic() - started) < seconds:
            due = int(elapsed * rate) + 1
            while sent < due:
                await self._send(phase)
                sent += 1
            await asyncio.sleep(min(0.01, 1 / rate))
        await self._producer.flush()
        return sent

    async def burst(self, phase: str, count: int) -> int:
        """``count`` reports as fast as they can be sent."""
        for _ in range(count):
            await self._send(phase)
        await self._producer.flush()
        return count

    async def _send(self, phase: str) -> None:
        report = self._stream.report()
        now = time.time()
        report_id = report["report_id"]
        self._timeline.published[report_id] = now
        self._timeline.phase[report_id] = phase
        key = subject_key(report["subject"]).encode()
        await self._producer.send(
            self._topic, orjson.dumps(report), key=key, timestamp_ms=int(now * 1000)
        )


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def render(title: str, hops: dict[str, list[float]], *, load: LoadSampler) -> str:
    """A phase's table: each hop's p50 / p95 / p99 / max in milliseconds."""
    lines = [f"{title}  (load average 1 min, min / mean / max: {load.summary()})"]
    lines.append(f"  {'hop':<24} {'n':>8} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  ms")
    for hop in HOPS:
        values = hops[hop]
        if not values:
            lines.append(f"  {hop:<24} {0:>8}")
            continue
        figures = [percentile(values, q) * 1000 for q in (0.5, 0.95, 0.99)] + [max(values) * 1000]
        lines.append(f"  {hop:<24} {len(values):>8} " + " ".join(f"{f:>8.0f}" for f in figures))
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Batches:
    """A service's batches as its metrics count them: how many, how big, how long."""

    count: float = 0.0
    records: float = 0.0
    seconds: float = 0.0
    #: summed time from each batch's oldest record's publication to its processing start
    waited: float = 0.0
    #: cumulative count of batches per duration bucket's upper bound
    buckets: tuple[tuple[float, float], ...] = ()

    @classmethod
    def parse(cls, exposition: str) -> Batches:
        """From a process's exposition (all zero if it has no consumer batches)."""
        count = records = seconds = waited = 0.0
        buckets: dict[float, float] = {}
        for family in text_string_to_metric_families(exposition):
            for sample in family.samples:
                if sample.name == "crible_handler_duration_seconds_count":
                    count += sample.value
                elif sample.name == "crible_handler_duration_seconds_sum":
                    seconds += sample.value
                elif sample.name == "crible_batch_size_messages_sum":
                    records += sample.value
                elif sample.name == "crible_batch_wait_seconds_sum":
                    waited += sample.value
                elif sample.name == "crible_handler_duration_seconds_bucket":
                    bound = float(sample.labels["le"])
                    buckets[bound] = buckets.get(bound, 0.0) + sample.value
        return cls(count, records, seconds, waited, tuple(sorted(buckets.items())))

    def since(self, before: Batches) -> Batches:
        """What happened between ``before`` and this."""
        earlier = dict(before.buckets)
        return Batches(
            self.count - before.count,
            self.records - before.records,
            self.seconds - before.seconds,
            self.waited - before.waited,
            tuple((b, n - earlier.get(b, 0.0)) for b, n in self.buckets),
        )

    def describe(self) -> str:
        """Batches, their mean size, mean time and the bucket holding the 99th percentile."""
        if self.count <= 0:
            return "no batches"
        p99 = next((b for b, n in self.buckets if n >= 0.99 * self.count), float("inf"))
        return (
            f"{self.count:.0f} batches of {self.records / self.count:.1f} records, "
            f"{self.seconds / self.count * 1000:.0f} ms each on average, "
            f"p99 ≤ {p99 * 1000:.0f} ms; oldest record published "
            f"{self.waited / self.count * 1000:.0f} ms before on average"
        )


async def batches(pipeline: Pipeline) -> dict[str, Batches]:
    """Each service's batch counters now."""
    return {name: Batches.parse(text) for name, text in (await pipeline.scrape()).items()}


def render_batches(before: dict[str, Batches], after: dict[str, Batches]) -> str:
    """Where the time went, per service: its batches during a phase."""
    lines = ["  batches (decode → stage → transaction → publish → commit), per service:"]
    for name, now in after.items():
        lines.append(f"    {name:<10} {now.since(before.get(name, Batches())).describe()}")
    return "\n".join(lines)


def verdict_line(hops: dict[str, list[float]]) -> str:
    """Whether the whole path met the target."""
    whole = hops[HOPS[3]]
    if not whole:
        return "  whole path: no sample"
    p99 = percentile(whole, 0.99)
    met = "met" if p99 < TARGET_SECONDS else "NOT met"
    return f"  whole path p99 {p99 * 1000:.0f} ms: target (< {TARGET_SECONDS:.0f} s) {met}"


@dataclass
class Options:
    """What to run."""

    rate: float
    seconds: float
    quiet_rate: float
    quiet_seconds: float
    ceiling: int
    soak: bool
    soak_minutes: float
    metrics_base_port: int
    http_base_port: int


@dataclass
class _Run:
    """What the phases share."""

    settings: Settings
    groups: Sequence[WatchedGroup]
    timeline: Timeline
    publisher: Publisher
    options: Options
    pipeline: Pipeline

    async def drained(self, *, within: float) -> dict[str, float]:
        """Wait for every group's lag to be 0; when each group got there."""
        return (await drained(self.settings, self.groups, within=within))[1]


async def bench(registry: Registry, settings: Settings, *, options: Options) -> int:
    """Run the phases; print what each measured."""
    settings = settings.model_copy(update={"topic_prefix": f"e2e{uuid.uuid4().hex[:8]}."})
    await apply_topics(settings, all_topics())
    groups = every_group(registry, settings.topic_prefix)
    timeline = Timeline()
    try:
        hashes = await import_banks(settings, demo_banks())
        async with running_pipeline(
            registry,
            settings,
            metrics_base_port=options.metrics_base_port,
            http_base_port=options.http_base_port,
        ) as pipeline:
            ready = await pipeline.wait_ready()
            print(
                f"every service ready {ready:.1f} s after `crible run all` started "
                f"({hashes} bank hashes loaded)",
                flush=True,
            )
            await drained(settings, groups, within=120)  # the banks are in
            watch = Watch(settings, timeline)
            await watch.start()
            producer = make_plain_producer(settings, linger_ms=0)
            await producer.start()
            try:
                publisher = Publisher(settings, producer, timeline)
                run = _Run(settings, groups, timeline, publisher, options, pipeline)
                if options.soak:
                    await _soak(run, pipeline)
                else:
                    await _phases(run)
            finally:
                await producer.stop()
                await watch.stop()
                # A restart replays and recovers: figures measured across one say so.
                restarts = pipeline.restarts()
                print(
                    f"services restarted during the run: {restarts or 'none'} "
                    f"(exit statuses; the pipeline's log: {pipeline.log})",
                    flush=True,
                )
    finally:
        await delete_topics(settings)
    return 0


async def _phases(run: _Run) -> None:
    options, publisher, timeline = run.options, run.publisher, run.timeline
    warmup = min(60.0, options.seconds)
    start = await batches(run.pipeline)
    with LoadSampler() as first_load:
        await publisher.steady("first minute", rate=options.rate, seconds=warmup)
    warm = await batches(run.pipeline)
    with LoadSampler() as steady_load:
        sent = await publisher.steady(
            "steady", rate=options.rate, seconds=max(0.0, options.seconds - warmup)
        )
        await run.drained(within=600)
    end = await batches(run.pipeline)
    await asyncio.sleep(1)
    first = timeline.samples("first minute")
    print(render(f"first minute at {options.rate:.0f} reports/s", first, load=first_load))
    print(render_batches(start, warm))
    steady = timeline.samples("steady")
    title = f"after the first minute, {sent} reports at {options.rate:.0f} reports/s"
    print(render(title, steady, load=steady_load))
    print(render_batches(warm, end))
    print(verdict_line(steady), flush=True)
    if options.quiet_seconds > 0:
        with LoadSampler() as quiet_load:
            sent = await publisher.steady(
                "quiet", rate=options.quiet_rate, seconds=options.quiet_seconds
            )
            await run.drained(within=300)
        await asyncio.sleep(1)
        quiet = timeline.samples("quiet")
        title = f"{sent} reports at {options.quiet_rate:.0f} reports/s"
        print(render(title, quiet, load=quiet_load))
        print(render_batches(end, await batches(run.pipeline)))
        print(verdict_line(quiet), flush=True)
    if options.ceiling > 0:
        await _ceiling(run, options.ceiling)


async def _ceiling(run: _Run, count: int) -> None:
    with LoadSampler() as load:
        started = time.monotonic()
        await run.publisher.burst("ceiling", count)
        published = time.monotonic() - started
        caught_up = await run.drained(within=1800)
        total = time.monotonic() - started
    stages = ", ".join(
        f"{group} {published + seconds:.1f} s"
        for group, seconds in sorted(caught_up.items(), key=lambda item: item[1])
    )
    print(
        f"ceiling: {count} reports published in {published:.1f} s went through every stage "
        f"in {total:.1f} s: {count / total:.0f} reports/s (load average {load.summary()})\n"
        f"  each group caught up after: {stages}",
        flush=True,
    )


async def _soak(run: _Run, pipeline: Pipeline) -> None:
    options = run.options
    minutes = int(options.soak_minutes)
    names = sorted(pipeline.services())
    print(
        f"soak: {minutes} minutes at {options.rate:.0f} reports/s; resident memory, MB "
        "(each service with its child processes):",
        flush=True,
    )
    print("  minute " + " ".join(f"{n:>10}" for n in names) + "   load", flush=True)
    history: dict[str, list[float]] = {n: [] for n in names}
    loads: list[float] = []
    with LoadSampler() as load:
        for minute in range(minutes + 1):
            services = pipeline.services()
            row = []
            for name in names:
                pid = services.get(name)
                size = 0 if pid is None else sum(rss_bytes(p) for p in [pid, *descendants(pid)])
                history[name].append(size / 1e6)
                row.append(f"{size / 1e6:>10.0f}")
            loads.append(load.latest())
            print(f"  {minute:>6} " + " ".join(row) + f"   {loads[-1]:.2f}", flush=True)
            if minute < minutes:
                await run.publisher.steady(f"soak {minute}", rate=options.rate, seconds=60)
        await run.drained(within=600)
    for name, sizes in history.items():
        half = sizes[len(sizes) // 2 :]
        growth = (half[-1] - half[0]) / half[0] if half and half[0] else 0.0
        print(
            f"  {name}: {sizes[0]:.0f} → {sizes[-1]:.0f} MB, second half {growth:+.1%}",
            flush=True,
        )
    await asyncio.sleep(1)
    merged: dict[str, list[float]] = {hop: [] for hop in HOPS}
    for minute in range(1, minutes):
        for hop, values in run.timeline.samples(f"soak {minute}").items():
            merged[hop].extend(values)
    print(render("soak after its first minute", merged, load=load))
    print(verdict_line(merged), flush=True)
    print(render_minutes(run.timeline, minutes, loads), flush=True)


def render_minutes(timeline: Timeline, minutes: int, loads: Sequence[float]) -> str:
    """Each soak minute's hop p99s, to see whether a hop grows with the run's length."""
    lines = ["soak by minute: p99 ms per hop (n of the last hop), load at the minute's start"]
    lines.append("  minute " + " ".join(f"{hop.split(' → ')[-1]:>12}" for hop in HOPS) + "   load")
    for minute in range(minutes):
        hops = timeline.samples(f"soak {minute}")
        cells = [
            f"{percentile(hops[hop], 0.99) * 1000:>12.0f}" if hops[hop] else f"{'-':>12}"
            for hop in HOPS
        ]
        load = f"{loads[minute]:.2f}" if minute < len(loads) else "n/a"
        lines.append(f"  {minute:>6} " + " ".join(cells) + f"   {load} (n {len(hops[HOPS[2]])})")
    return "\n".join(lines)


def parse(argv: Sequence[str]) -> Options:
    """``crible bench e2e`` options."""
    parser = argparse.ArgumentParser(prog="crible bench e2e", description=__doc__)
    parser.add_argument("--rate", type=float, default=500.0, help="reports per second")
    parser.add_argument(
        "--seconds", type=float, default=180.0, help="at --rate, first minute included"
    )
    parser.add_argument("--quiet-rate", type=float, default=20.0)
    parser.add_argument("--quiet-seconds", type=float, default=60.0, help="0: skip")
    parser.add_argument("--ceiling", type=int, default=30_000, help="reports at once; 0: skip")
    parser.add_argument("--soak", action="store_true", help="run --soak-minutes at --rate instead")
    parser.add_argument("--soak-minutes", type=float, default=30.0)
    parser.add_argument("--metrics-base-port", type=int, default=9101)
    parser.add_argument("--http-base-port", type=int, default=8101)
    args = parser.parse_args(argv)
    return Options(
        rate=args.rate,
        seconds=args.seconds,
        quiet_rate=args.quiet_rate,
        quiet_seconds=args.quiet_seconds,
        ceiling=args.ceiling,
        soak=args.soak,
        soak_minutes=args.soak_minutes,
        metrics_base_port=args.metrics_base_port,
        http_base_port=args.http_base_port,
    )


def run(registry: Registry, settings: Settings, *, argv: Sequence[str]) -> int:
    """``crible bench e2e``."""
    import uvloop  # noqa: PLC0415

    return uvloop.run(bench(registry, settings, options=parse(argv)))
