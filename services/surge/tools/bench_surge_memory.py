"""``crible bench surge_memory``: what surge's state holds over time under a steady mix.

Feeds the pure stages (:func:`annotate`, :func:`count` and the sweeps' expiry rules) the
report mix of ``crible bench e2e --soak`` without Kafka: ``--subjects`` subjects of skewed
popularity (the soak's generator: most draw a report or two an hour, a few many),
``--reporters`` reporters drawn evenly, ``--rate`` reports per second of event time (the
soak's generator spaces reports 3 ms apart: 500 reports/s sent is 333 per event-second).
Every ``--every`` event-minutes it prints what the tables hold (subjects, reports and links
kept, reporters) and the memory Python traces for them (tracemalloc, by the module that
allocated it), with the process's resident memory. ``--windows`` (JSON, as
``CRIBLE_SURGE_WINDOWS``) shortens the longest window to show the level in minutes, and
``--coreport-seconds`` how far back a reporter's other subjects are linked (a report keeps
a word per such subject, up to 32).

With ``--live``, the same mix is published instead as ``ReportAccepted`` events, at
``--rate`` per second of wall time, to a fresh, prefixed ``reports.accepted`` read by a
``crible run surge`` started with those settings (on the running stack), and each minute
prints that process's resident memory and how far its intake got.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import linecache
import os
import random
import shutil
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import uvloop

from services.surge.adapters.intake import INTAKE_GROUP
from services.surge.config import SurgeSettings
from services.surge.core.baseline import CategoryStats
from services.surge.core.policy import Policy
from services.surge.core.records import Accepted, fingerprint, partition_for
from services.surge.core.reporters import ReporterState
from services.surge.core.stages import annotate, count
from services.surge.core.windows import SubjectState
from services.surge.tools.bench import accepted_event, committed, surge_process, surge_state
from services.surge.tools.bench_surge_tables import NOW
from shared.cli.reportgen import ReportStream, subject_key
from shared.config import Settings
from shared.events.reports import Category
from shared.kafka import apply_topics, delete_topics, make_admin, make_plain_producer
from shared.runtime.parent import stop_with_me
from shared.topics import REPORTS_ACCEPTED, SURGE_APP, wire_name

PARTITIONS = REPORTS_ACCEPTED.partitions
#: How often the app's sweeps run (``CRIBLE_SURGE_SWEEP_SECONDS``), here in event time.
SWEEP_SECONDS = 30
#: Where the tables' memory is allocated (tracemalloc's attribution): module -> table.
#: The stages allocate the tables' keys and new states (by the line: see :func:`_table_of`).
ROOMS = {
    "bucket.py": "subjects",
    "archive.py": "subjects",
    "windows.py": "subjects",
    "reporters.py": "reporters",
}
#: The stages' lines that allocate a table's keys, new states and its dict's slots.
STAGE_LINES = {
    "reporters": ("reporter_key(", "reporters[key] ="),
    "subjects": ("subject.encode()", "SubjectState()", "subjects[key] ="),
    "baselines": ("category_key(", "CategoryStats()", "categories[ckey] ="),
}
TABLES = ("subjects", "reporters", "baselines", "caches and harness")


@dataclass
class Tables:
    """The three tables as the memory store holds them: one dict each."""

    reporters: dict[bytes, ReporterState] = field(default_factory=dict)
    subjects: dict[bytes, SubjectState] = field(default_factory=dict)
    categories: dict[bytes, CategoryStats] = field(default_factory=dict)
    since: dict[int, int] = field(default_factory=dict)


def run(settings: Settings, options: Sequence[str]) -> int:
    """Parse the benchmark's options and run it."""
    parser = argparse.ArgumentParser(prog="crible bench surge_memory", description=__doc__)
    parser.add_argument(
        "--minutes", type=int, default=75, help="event minutes to feed (minutes, --live)"
    )
    parser.add_argument(
        "--rate", type=int, default=333, help="reports per event-second (per second, --live)"
    )
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--reporters", type=int, default=20_000)
    parser.add_argument("--every", type=int, default=5, help="event minutes between samples")
    parser.add_argument("--windows", default=None, help="JSON, as CRIBLE_SURGE_WINDOWS")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--top", type=int, default=0, help="allocating lines shown per sample")
    parser.add_argument("--coreport-seconds", type=int, default=None)
    parser.add_argument("--live", action="store_true", help="a real surge process, fed")
    args = parser.parse_args(options)
    overrides = {
        name: value
        for name, value in (("windows", args.windows), ("coreport_seconds", args.coreport_seconds))
        if value is not None
    }
    if args.live:
        return uvloop.run(_live(settings, args, overrides))
    policy = _policy(overrides)
    print(
        f"surge_memory: {args.minutes} event minutes at {args.rate} reports/s, "
        f"{args.subjects:,} subjects, {args.reporters:,} reporters; windows "
        + ", ".join(f"{w.size}s/{w.step}s" for w in policy.windows)
    )
    print(
        "minute | traced MiB | "
        + " | ".join(f"{t} MiB" for t in TABLES)
        + " | subjects | reports kept | links kept | reporters | bytes/report kept"
        " | bytes/subject | bytes/reporter | RSS MiB | wall s"
    )
    tracemalloc.start(2)  # a dataclass's __init__ ("<string>") is named by its caller
    _feed(args, policy)
    tracemalloc.stop()
    return 0


def _policy(overrides: dict[str, object]) -> Policy:
    """The policy of ``CRIBLE_SURGE_`` settings with ``overrides`` (their JSON forms)."""
    fields: dict[str, Any] = {name: orjson.loads(str(value)) for name, value in overrides.items()}
    return SurgeSettings(**fields).policy()


def _feed(args: argparse.Namespace, policy: Policy) -> None:
    rng = random.Random(args.seed)  # noqa: S311 - test data
    categories = [c.value for c in Category]
    subjects = [
        (f"channel:s{n}", ("channel", f"s{n}", None), categories[n % len(categories)])
        for n in range(args.subjects)
    ]
    reporters = [fingerprint(f"u{n}") for n in range(args.reporters)]
    tables = Tables()
    started = time.monotonic()
    serial = 0
    for second in range(args.minutes * 60):
        at = NOW + second
        batch = []
        for _ in range(args.rate):
            serial += 1
            key, parts, category = subjects[int(args.subjects * rng.random() ** 3)]
            if rng.random() < 0.15:
                category = rng.choice(categories)
            reporter = reporters[rng.randrange(args.reporters)]
            batch.append(Accepted(serial, reporter, key, parts, category, at))
        _one_second(batch, tables, policy)
        if second % SWEEP_SECONDS == SWEEP_SECONDS - 1:
            _sweep(tables, before=at - policy.horizon_seconds)
        if second % (args.every * 60) == args.every * 60 - 1:
            _sample((second + 1) // 60, tables, wall=time.monotonic() - started, top=args.top)


def _one_second(batch: list[Accepted], tables: Tables, policy: Policy) -> None:
    """One event-second's reports through both stages, partition by partition."""
    by_reporter: dict[int, list[Accepted]] = {}
    for record in batch:
        by_reporter.setdefault(partition_for(str(record.reporter), PARTITIONS), []).append(record)
    annotated = []
    for partition, records in by_reporter.items():
        since = tables.since.setdefault(partition, records[0].at)
        annotated += annotate(
            records, reporters=tables.reporters, watched_since=since, policy=policy
        )
    by_subject: dict[int, list[object]] = {}
    for note in annotated:
        by_subject.setdefault(partition_for(note.subject, PARTITIONS), []).append(note)
    for partition, notes in by_subject.items():
        count(
            notes,  # type: ignore[arg-type]
            partition=partition,
            subjects=tables.subjects,
            categories=tables.categories,
            policy=policy,
        )


def _sweep(tables: Tables, *, before: int) -> None:
    """The app's sweeps (``adapters/sweeps.py``): subjects and baselines whose windows ended."""
    for key in [k for k, s in tables.subjects.items() if s.ended(before)]:
        del tables.subjects[key]
    for key in [k for k, s in tables.categories.items() if s.ended(before)]:
        del tables.categories[key]


def _sample(minute: int, tables: Tables, *, wall: float, top: int) -> None:
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0]
    sizes = dict.fromkeys(TABLES, 0)
    stats = tracemalloc.take_snapshot().statistics("traceback")
    for stat in stats[:top]:
        frame = _frame(stat.traceback)
        print(f"    {frame.filename}:{frame.lineno}: {stat.size / 2**20:,.1f} MiB, {stat.count:,}")
    for stat in stats:
        frame = _frame(stat.traceback)
        sizes[_table_of(frame.filename, frame.lineno)] += stat.size
    subjects = tables.subjects.values()
    kept = sum(s.total() for s in subjects)
    links = sum(b[2] for s in subjects for b in s.buckets.values())
    print(
        f"{minute} | {traced / 2**20:,.1f} | "
        + " | ".join(f"{size / 2**20:,.1f}" for size in sizes.values())
        + f" | {len(tables.subjects):,} | {kept:,} | {links:,} | {len(tables.reporters):,}"
        f" | {sizes['subjects'] / max(kept, 1):,.0f}"
        f" | {sizes['subjects'] / max(len(tables.subjects), 1):,.0f}"
        f" | {sizes['reporters'] / max(len(tables.reporters), 1):,.0f}"
        f" | {_rss() / 2**20:,.0f} | {wall:,.0f}",
        flush=True,
    )


def _frame(traceback: tracemalloc.Traceback) -> tracemalloc.Frame:
    """The newest frame of ``traceback`` in a file (a dataclass's ``__init__`` is not)."""
    for frame in reversed(traceback):
        if not frame.filename.startswith("<"):
            return frame
    return traceback[-1]


def _table_of(filename: str, lineno: int) -> str:
    """The table an allocation belongs to, by the module and line that made it."""
    name = Path(filename).name
    if name in ROOMS:
        return ROOMS[name]
    if name == "baseline.py":
        return "baselines"
    if name == "stages.py":
        line = linecache.getline(filename, lineno)
        for table, markers in STAGE_LINES.items():
            if any(marker in line for marker in markers):
                return table
    return "caches and harness"


def _rss(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def _live(settings: Settings, args: argparse.Namespace, overrides: dict[str, object]) -> int:
    """The mix through a real ``crible run surge``: its resident memory each minute."""
    bench = settings.model_copy(update={"topic_prefix": f"bench{time.time_ns()}."})
    await apply_topics(bench, SURGE_APP)
    env = dict(
        os.environ,
        **stop_with_me(),
        CRIBLE_TOPIC_PREFIX=bench.topic_prefix,
        CRIBLE_METRICS_PORT="0",
    )
    env.update({f"CRIBLE_SURGE_{name.upper()}": str(value) for name, value in overrides.items()})
    process = await surge_process(env)
    producer = make_plain_producer(bench, linger_ms=5)
    admin = make_admin(bench)
    await producer.start()
    await admin.start()
    topic = wire_name(REPORTS_ACCEPTED.name, bench.topic_prefix)
    stream = ReportStream(seed=args.seed, subjects=args.subjects, reporters=args.reporters)
    print("minute | surge RSS MiB | reports sent | taken in by surge | load (1 min)")
    try:
        sent = 0
        started = time.monotonic()
        for minute in range(args.minutes + 1):
            if process.returncode is not None:
                raise RuntimeError(f"surge exited ({process.returncode})")
            done = await committed(admin, (bench.topic_prefix + INTAKE_GROUP,), [topic])
            print(
                f"{minute} | {_rss(process.pid) / 2**20:,.0f} | {sent:,} | {done[topic]:,}"
                f" | {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            while sent < args.rate * 60 * (minute + 1):
                due = int((time.monotonic() - started) * args.rate)
                for _ in range(due - sent):
                    report = stream.report()
                    now = datetime.now(UTC).isoformat()
                    key = subject_key(report["subject"]).encode()
                    await producer.send(topic, accepted_event(report, now), key=key)
                sent = max(sent, due)
                await asyncio.sleep(0.05)
    finally:
        await producer.stop()
        await admin.close()
        if process.returncode is None:
            process.terminate()
        await process.wait()
        await delete_topics(bench)
        shutil.rmtree(surge_state(env), ignore_errors=True)
    return 0
