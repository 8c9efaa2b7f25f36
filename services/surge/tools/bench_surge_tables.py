"""``crible bench surge_tables``: what surge's tables cost in memory, and to restore.

1. Bytes per reporter and per subject, as the stages build them (the pure core, measured
   with tracemalloc): a reporter seen on one subject and on five, a subject with three
   reports in a minute, and each further report of a subject; a subject's hour of reports
   at a few rates (bytes per report kept: what the subjects table holds is the longest
   window's reports); beside each, the bytes of its changelog record.
2. Restore: ``--reporters`` reporter records (one subject each, as the stages write them)
   on a fresh, prefixed ``surge.reporters.changelog``; then ``crible run surge`` is started
   and timed until its ``/readyz`` answers 200 (its tables recovered), and its resident
   memory (VmRSS) is read then, beside a process started on empty tables. With ``--store
   rocksdb`` (the reporters table on disk, in a fresh state directory) the disk it takes
   is measured too, and the process is started a second time on the state it left: a
   restart restores only what its database lacks.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import socket
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import uvloop

from services.surge.adapters.tables import reporter_codec, subject_codec
from services.surge.core.records import Annotated, fingerprint, partition_for
from services.surge.core.reporters import ReporterState, observe
from services.surge.core.stages import reporter_key
from services.surge.core.windows import SubjectState
from shared.config import Settings
from shared.kafka import apply_topics, delete_topics, make_plain_producer
from shared.runtime.parent import stop_with_me
from shared.topics import SURGE_APP, SURGE_REPORTERS, wire_name

DAY = 86400
NOW = 1_800_000_000


def run(settings: Settings, options: Sequence[str]) -> int:
    """Parse the benchmark's options and run it."""
    parser = argparse.ArgumentParser(prog="crible bench surge_tables", description=__doc__)
    parser.add_argument("--reporters", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=100_000, help="entries measured in memory")
    parser.add_argument(
        "--store", choices=("rocksdb", "memory"), default="rocksdb", help="the reporters' store"
    )
    args = parser.parse_args(options)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per probe otherwise
    _memory(args.sample)
    with tempfile.TemporaryDirectory(prefix="crible-surge-state-") as state:
        env = {"CRIBLE_SURGE_REPORTERS_STORE": args.store, "CRIBLE_SURGE_DATA_DIR": state}
        return uvloop.run(_restore(settings, args.reporters, env=env))


def _memory(sample: int) -> None:
    """Bytes per table entry as the core builds them, and per changelog record."""
    reporters = reporter_codec()
    subjects = subject_codec()
    for others in (1, 5):

        def reporter(n: int, others: int = others) -> tuple[bytes, ReporterState]:
            state = None
            for k in range(others):
                state, _seen = observe(
                    state,
                    subject=fingerprint(f"s{n}-{k}"),
                    at=NOW + k,
                    watched_since=NOW - 30 * DAY,
                    new_seconds=7 * DAY,
                    coreport_seconds=7 * DAY,
                )
            assert state is not None  # noqa: S101 - at least one subject
            return reporter_key(fingerprint(f"u{n}")), state

        held, wire = _per_entry(sample, reporter, reporters.dumps)
        print(
            f"reporter seen on {others} subject(s): {held:,.0f} bytes in memory, "
            f"{wire:,.0f} bytes per changelog record"
        )
    for reports in (3, 100):

        def subject(n: int, reports: int = reports) -> tuple[bytes, SubjectState]:
            state = SubjectState()
            for r in range(reports):
                state.add(_report(n, r), bucket_seconds=60)
            return f"channel:s{n}".encode(), state

        held, wire = _per_entry(max(1, sample // reports), subject, subjects.dumps)
        print(
            f"subject with {reports} reports in its last hour: {held:,.0f} bytes in memory "
            f"({held / reports:,.0f} per report), {wire:,.0f} bytes per changelog record"
        )
    for per_minute, links in HOURS:

        def hour(n: int, per_minute: int = per_minute, links: int = links) -> tuple[bytes, Any]:
            state = SubjectState()
            for r in range(per_minute * 60):
                report = _report(n, r, reporter=r % 50, links=links)
                state.add(report._replace(at=NOW + r // per_minute * 60), bucket_seconds=60)
            return f"channel:s{n}".encode(), state

        kept = per_minute * 60
        held, wire = _per_entry(max(1, sample // kept), hour, subjects.dumps)
        print(
            f"subject with {per_minute} report(s) a minute for an hour, {links} link(s) per "
            f"reporter: {held / kept:,.0f} bytes in memory per report kept; changelog record "
            f"{wire:,.0f} bytes ({wire / kept:,.0f} per report)"
        )


#: A subject's hour of reports: (reports a minute, other subjects each reporter had reported).
HOURS = ((1, 0), (1, 5), (10, 0), (50, 0), (50, 5))


def _report(subject: int, n: int, *, reporter: int | None = None, links: int = 0) -> Annotated:
    return Annotated(
        report=fingerprint(f"r{subject}-{n}"),
        reporter=fingerprint(f"u{subject}-{n if reporter is None else reporter}"),
        subject=f"channel:s{subject}",
        parts=("channel", f"s{subject}", None),
        category="spam",
        at=NOW + n % 3600,
        new=False,
        others=tuple(fingerprint(f"o{subject}-{k}") for k in range(links)),
    )


def _per_entry(
    count: int, make: Callable[[int], tuple[bytes, Any]], encode: Callable[[Any], bytes]
) -> tuple[float, float]:
    """(bytes held per entry of a dict like a table's store, bytes per encoded value)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    table = dict(make(n) for n in range(count))
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    wire = sum(len(k) + len(encode(v)) for k, v in list(table.items())[:1000]) / min(1000, count)
    return held / count, wire


async def _restore(settings: Settings, count: int, *, env: dict[str, str]) -> int:
    bench = settings.model_copy(update={"topic_prefix": f"bench{time.time_ns()}."})
    await apply_topics(bench, SURGE_APP)
    state = Path(env["CRIBLE_SURGE_DATA_DIR"])
    print(f"reporters store: {env['CRIBLE_SURGE_REPORTERS_STORE']}")
    try:
        empty_seconds, empty_rss = await _start_and_wait(bench, env)
        empty_disk = _disk(state)
        print(
            f"surge on empty tables: ready in {empty_seconds:.1f} s, {empty_rss / 2**20:,.0f} MiB"
            f" resident, {empty_disk / 2**20:,.1f} MiB on disk"
        )
        seconds = await _fill_reporters(bench, count)
        print(f"wrote {count:,} reporter records to the changelog in {seconds:.1f} s")
        for start in ("restore", "restart on the state left"):
            ready, rss = await _start_and_wait(bench, env)
            disk = _disk(state)
            print(
                f"{start}, {count:,} reporters: ready in {ready:.1f} s, "
                f"{rss / 2**20:,.0f} MiB resident ({(rss - empty_rss) / count:,.0f} bytes per "
                f"reporter beside the empty process), {disk / 2**20:,.1f} MiB on disk "
                f"({(disk - empty_disk) / count:,.0f} bytes per reporter)"
            )
            print(f"load average (1 min): {os.getloadavg()[0]:.2f}")
        return 0
    finally:
        await delete_topics(bench)


def _disk(path: Path) -> int:
    """Bytes of the files under ``path``."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


async def _fill_reporters(settings: Settings, count: int) -> float:
    producer = make_plain_producer(settings, linger_ms=20, max_batch_size=512 * 1024)
    await producer.start()
    codec = reporter_codec()
    topic = wire_name(SURGE_REPORTERS.name, settings.topic_prefix)
    started = time.perf_counter()
    try:
        futures = []
        for n in range(count):
            key = reporter_key(fingerprint(f"u{n}"))
            state = ReporterState(first_seen=NOW - n % DAY, subjects={fingerprint(f"s{n}"): NOW})
            where = partition_for(key.decode(), SURGE_REPORTERS.partitions)
            futures.append(await producer.send(topic, codec.dumps(state), key=key, partition=where))
            if len(futures) >= 50_000:
                await asyncio.gather(*futures)
                futures.clear()
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def _start_and_wait(settings: Settings, extra: dict[str, str]) -> tuple[float, int]:
    """Start ``crible run surge``; (seconds until /readyz answers 200, VmRSS then)."""
    assert settings.metrics_token is not None  # noqa: S101 - the stack's settings have one
    port = _free_port()
    env = dict(
        os.environ,
        **extra,
        **stop_with_me(),
        CRIBLE_TOPIC_PREFIX=settings.topic_prefix,
        CRIBLE_METRICS_PORT=str(port),
    )
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services", "run", "surge", env=env, stderr=asyncio.subprocess.DEVNULL
    )
    headers = {"Authorization": f"Bearer {settings.metrics_token.get_secret_value()}"}
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            while True:
                if process.returncode is not None:
                    raise RuntimeError("surge stopped before it was ready")
                if time.perf_counter() - started > 1800:
                    raise RuntimeError("surge not ready in 30 minutes")
                try:
                    answer = await client.get(f"http://127.0.0.1:{port}/readyz", headers=headers)
                except httpx.TransportError:
                    answer = None
                if answer is not None and answer.status_code == 200:
                    return time.perf_counter() - started, _rss(process.pid)
                await asyncio.sleep(0.2)
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
