"""The surge detector (faust) on the real broker: bursts, campaigns, a SIGKILL, poison input."""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import faust
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition
from prometheus_client import REGISTRY

from services.surge.adapters import sweeps
from services.surge.adapters.intake import INTAKE_GROUP, Intake
from services.surge.adapters.stores import MemoryStore, RocksStore
from services.surge.adapters.tables import subject_codec
from services.surge.adapters.topology import GROUP
from services.surge.config import SurgeSettings
from services.surge.core.records import fingerprint, partition_for, unpack_annotated
from services.surge.core.stages import reporter_key
from services.surge.service import EX_SOFTWARE, SPEC
from shared.config import Settings
from shared.events.surge import SurgeKind, SurgeSignal
from shared.kafka import make_admin, make_plain_consumer, make_producer, messages_written
from shared.topics import (
    REPORTS_ACCEPTED,
    SURGE_BY_REPORTER,
    SURGE_BY_SUBJECT,
    SURGE_REPORTERS,
    SURGE_SIGNALS,
    SURGE_SUBJECTS,
    wire_name,
)
from tests.integration.conftest import committed, eventually, read_topic, running
from tests.integration.processes import descendants, left_alive
from tests.integration.shared.test_supervisor import free_port
from tests.integration.surge.conftest import start_surge, surge_env

pytestmark = pytest.mark.integration

STAGES = (REPORTS_ACCEPTED.name, SURGE_BY_REPORTER.name, SURGE_BY_SUBJECT.name)
NOW = datetime(2026, 11, 28, 10, 0, 30, tzinfo=UTC)


def accepted(
    report_id: str, *, reporter: str, subject: str, at: datetime = NOW, repeat: bool = False
) -> bytes:
    return orjson.dumps(
        {
            "schema_version": 1,
            "report": {
                "schema_version": 1,
                "report_id": report_id,
                "reported_at": at.isoformat(),
                "reporter_id": reporter,
                "reporter_language": "fr",
                "subject": {"kind": "channel", "id": subject},
                "category": "spam",
            },
            "case_id": str(uuid.uuid4()),
            "case_revision": 1,
            "repeat": repeat,
            "accepted_at": datetime.now(UTC).isoformat(),
        }
    )


async def publish(
    producer: AIOKafkaProducer, settings: Settings, subject: str, values: list[bytes]
) -> None:
    """As ingest does: keyed by the subject."""
    topic = wire_name(REPORTS_ACCEPTED.name, settings.topic_prefix)
    for value in values:
        await producer.send(topic, value, key=f"channel:{subject}".encode())
    await producer.flush()


def burst(subject: str, reporters: list[str], *, at: datetime = NOW) -> list[bytes]:
    return [
        accepted(f"{subject}-{r}", reporter=r, subject=subject, at=at + timedelta(seconds=i))
        for i, r in enumerate(reporters)
    ]


def signals(records: list[ConsumerRecord[bytes, bytes]]) -> list[SurgeSignal]:
    return [SurgeSignal.model_validate_json(r.value or b"") for r in records]


async def read_signals(settings: Settings, until: Any, *, timeout: float = 90) -> list[SurgeSignal]:
    records = await read_topic(
        settings, SURGE_SIGNALS.name, until=lambda rs: until(signals(rs)), timeout=timeout
    )
    return signals(records)


def largest(found: list[SurgeSignal], subject: str) -> dict[tuple[datetime, datetime], int]:
    """The largest count per window of ``subject``."""
    best: dict[tuple[datetime, datetime], int] = defaultdict(int)
    for s in found:
        if s.subject.id == subject:
            key = (s.window_start, s.window_end)
            best[key] = max(best[key], s.count)
    return best


def _most_reporters(found: list[SurgeSignal], subject: str) -> int:
    return max((s.distinct_reporters for s in found if s.subject.id == subject), default=0)


def recorded(stage: str) -> float:
    return REGISTRY.get_sample_value("crible_surge_stage_records_total", {"stage": stage}) or 0.0


async def test_a_burst_yields_one_signal_id_per_window_whose_figures_only_grow(
    surge: Settings, producer: AIOKafkaProducer
) -> None:
    async with running(SPEC, surge):
        await publish(producer, surge, "hot", burst("hot", [f"u{n}" for n in range(25)]))

        found = await read_signals(
            surge,
            lambda s: len(largest(s, "hot")) == 10 and set(largest(s, "hot").values()) == {25},
        )

    ids: dict[tuple[datetime, datetime], set[uuid.UUID]] = defaultdict(set)
    for s in found:
        ids[(s.window_start, s.window_end)].add(s.signal_id)
    assert len(ids) == 10
    assert all(len(one) == 1 for one in ids.values())
    by_id: dict[uuid.UUID, list[SurgeSignal]] = defaultdict(list)
    for s in found:
        by_id[s.signal_id].append(s)
    for published in by_id.values():
        counts = [s.count for s in published]
        assert counts == sorted(counts)
        assert counts[0] >= 10
        assert published[-1].distinct_reporters == 25
    assert {s.kind for s in found} == {SurgeKind.VIRAL}
    # faust's bookkeeping went to the temporary directory, not to the working directory.
    assert not _data_dirs(Path.cwd(), surge.topic_prefix)
    assert _data_dirs(Path(tempfile.gettempdir()), surge.topic_prefix)


async def test_a_subject_swept_away_before_its_flush_still_publishes_its_last_figures(
    surge: Settings, producer: AIOKafkaProducer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A late burst grows by less than the republish step, so its last figures wait for a
    flush; a newer report on its partition ends its windows first, and the sweep drops the
    subject: the figures it grew to go out then (no flush runs in this test)."""
    monkeypatch.setenv("CRIBLE_SURGE_SWEEP_SECONDS", "0.2")
    no_flush = surge.model_copy(update={"housekeeping_seconds": 600.0})
    late = NOW - timedelta(days=2)
    where = partition_for("channel:late", SURGE_BY_SUBJECT.partitions)
    partner = next(
        f"now{n}"
        for n in itertools.count()
        if partition_for(f"channel:now{n}", SURGE_BY_SUBJECT.partitions) == where
    )
    async with running(SPEC, no_flush):
        await publish(producer, surge, "late", burst("late", [f"l{n}" for n in range(20)], at=late))
        await read_signals(no_flush, lambda s: set(largest(s, "late").values()) == {20})
        more = burst("late", [f"m{n}" for n in range(3)], at=late + timedelta(seconds=20))
        await publish(producer, surge, "late", more)  # 23 < 20 x 1.25: held for a flush
        await asyncio.sleep(2)
        await publish(producer, surge, partner, burst(partner, ["p0"]))
        found = await read_signals(no_flush, lambda s: set(largest(s, "late").values()) == {23})

    assert set(largest(found, "late").values()) == {23}
    assert len(largest(found, "late")) == 10  # every 10-minute window holding the minute


def _databases(where: Path) -> set[str]:
    """faust's RocksDB databases of the reporters table: one per partition, "<table>-<p>.db"."""
    return {p.name for p in where.rglob("surge.reporters.changelog-*.db")}


def _data_dirs(where: Path, prefix: str) -> list[Path]:
    return list(where.glob(f"{prefix}*-data"))


async def test_a_campaign_by_fresh_accounts_is_flagged_coordinated_and_a_genuine_burst_is_not(
    surge: Settings, producer: AIOKafkaProducer
) -> None:
    # Seasoned reporters, placed on every partition of the reporter stage: the detector has
    # watched every partition for weeks, so that an account first seen now counts as new.
    seasoned = _covering(surge, 40)
    async with running(SPEC, surge):
        before = recorded("subjects")
        weeks_ago = NOW - timedelta(days=20)
        await publish(producer, surge, "old", burst("old", seasoned, at=weeks_ago))
        await eventually(lambda: _true(recorded("subjects") >= before + len(seasoned)))

        await publish(producer, surge, "genuine", burst("genuine", seasoned[:15]))
        await publish(producer, surge, "target", burst("target", [f"fresh{n}" for n in range(15)]))

        found = await read_signals(
            surge,
            lambda s: (
                set(largest(s, "genuine").values()) == {15}
                and set(largest(s, "target").values()) == {15}
            ),
        )

    kinds = {
        name: {s.kind for s in found if s.subject.id == name} for name in ("genuine", "target")
    }
    assert kinds == {"genuine": {SurgeKind.VIRAL}, "target": {SurgeKind.COORDINATED}}
    assert all(s.new_reporter_share == 1.0 for s in found if s.subject.id == "target")
    assert all(s.new_reporter_share == 0.0 for s in found if s.subject.id == "genuine")


@pytest.mark.parametrize("store", ["rocksdb", "memory"])
async def test_a_sigkilled_app_still_knows_its_reporters_in_either_store(
    surge: Settings, producer: AIOKafkaProducer, store: str, tmp_path: Path
) -> None:
    """Seasoned reporters seen weeks ago, then a SIGKILL and a restart: the reporters table
    comes back (RocksDB: from the databases it left on disk; memory: from its changelog),
    so a burst by them is viral and one by fresh accounts coordinated, counted once."""
    env = surge_env(
        surge,
        CRIBLE_SURGE_REPORTERS_STORE=store,
        # Not there yet, nor its parent: the process makes them.
        CRIBLE_SURGE_DATA_DIR=str(tmp_path / "surge" / "0"),
    )
    seasoned = _covering(surge, 40)
    first = await start_surge(env)
    try:
        await publish(producer, surge, "old", burst("old", seasoned, at=NOW - timedelta(days=20)))
        for name in STAGES:
            await eventually(functools.partial(_all_committed, surge, name), timeout=90)
    finally:
        first.send_signal(signal.SIGKILL)
        assert await first.wait() == -signal.SIGKILL
    assert len(_databases(tmp_path)) == (SURGE_BY_REPORTER.partitions if store == "rocksdb" else 0)

    second = await start_surge(env)
    try:
        await publish(producer, surge, "genuine", burst("genuine", seasoned[:15]))
        await publish(producer, surge, "target", burst("target", [f"fresh{n}" for n in range(15)]))
        found = await read_signals(
            surge,
            lambda s: (
                set(largest(s, "genuine").values()) == {15}
                and set(largest(s, "target").values()) == {15}
                # The first process may have died before its flush of the last figures: the
                # second looks through its subjects once recovered and publishes them.
                and _most_reporters(s, "old") >= len(seasoned)
            ),
        )
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=60) == 0

    kinds = {
        name: {s.kind for s in found if s.subject.id == name} for name in ("genuine", "target")
    }
    assert kinds == {"genuine": {SurgeKind.VIRAL}, "target": {SurgeKind.COORDINATED}}
    assert _most_reporters(found, "old") == len(seasoned)


async def test_no_state_reaches_a_changelog_while_a_signal_it_records_is_undelivered(
    surge: Settings, producer: AIOKafkaProducer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A subject's state records the windows it published; read again after a crash, its
    messages publish nothing more. So every signal sent before the held states are read
    must be on the broker before those states reach the disk or a changelog: one still in
    the producer then would be lost by a crash before it leaves."""
    monkeypatch.setenv("CRIBLE_SURGE_COMMIT_INTERVAL_SECONDS", "0.1")
    signals_topic = wire_name(SURGE_SIGNALS.name, surge.topic_prefix)
    sent: list[asyncio.Future[Any]] = []  # aiokafka's future of each signal, in order
    read = [0]  # signals sent when the subjects were last read out
    checks: list[tuple[str, int, int]] = []  # (where, signals sent before, undelivered)

    def check(where: str) -> None:
        before = read[0]
        checks.append((where, before, sum(1 for f in sent[:before] if not f.done())))

    def sending(original: Any) -> Any:
        async def send(self: faust.Topic, *args: Any, **kwargs: Any) -> Any:
            future = await original(self, *args, **kwargs)
            if self.get_topic_name() == signals_topic:
                sent.append(future)
            return future

        return send

    def reading(original: Any) -> Any:
        def write_out(self: Any, partition: int, keys: list[bytes]) -> Any:
            if "subjects" in self.table.name:
                read[0] = len(sent)
            return original(self, partition, keys)

        return write_out

    def persisting(original: Any) -> Any:
        def persist(self: Any) -> None:
            check("disk")
            original(self)

        return persist

    def changelog(original: Any) -> Any:
        async def send_batch(self: AIOKafkaProducer, batch: Any, topic: str, **kw: Any) -> Any:
            if "changelog" in topic:
                check("changelog")
            return await original(self, batch, topic, **kw)

        return send_batch

    monkeypatch.setattr(faust.Topic, "send", sending(faust.Topic.send))
    monkeypatch.setattr(AIOKafkaProducer, "send_batch", changelog(AIOKafkaProducer.send_batch))
    for store in (RocksStore, MemoryStore):
        monkeypatch.setattr(store, "write_out", reading(store.write_out))
        monkeypatch.setattr(store, "persist", persisting(store.persist))
    async with running(SPEC, surge):
        for n in range(40):  # bursts over seconds: signals go out across many commits
            await publish(producer, surge, f"s{n}", burst(f"s{n}", [f"u{i}" for i in range(12)]))
            await asyncio.sleep(0.2)
        await eventually(lambda: _true(len(sent) >= 40 * 10), timeout=90)
    busy = [c for c in checks if c[1]]
    assert len({c[1] for c in busy if c[0] == "changelog"}) >= 10, checks
    assert {c[0] for c in busy} == {"disk", "changelog"}
    assert [c for c in busy if c[2]] == []


def _sent_signals() -> list[float]:
    return [
        REGISTRY.get_sample_value("crible_surge_signals_total", {"kind": kind.value}) or 0.0
        for kind in SurgeKind
    ]


@pytest.mark.parametrize("store", ["rocksdb", "memory"])
async def test_reporters_inactive_past_the_retention_are_forgotten_in_either_store(
    surge: Settings,
    producer: AIOKafkaProducer,
    store: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every reporter last seen more than the retention before its partition's newest report
    is forgotten (a tombstone on its changelog), and no active one. On disk the sweep reads a
    slice of each partition at a time (here 5 reporters): it has to go round several times."""
    monkeypatch.setenv("CRIBLE_SURGE_REPORTERS_STORE", store)
    monkeypatch.setenv("CRIBLE_SURGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CRIBLE_SURGE_REPORTER_RETENTION_SECONDS", str(86400))
    monkeypatch.setenv("CRIBLE_SURGE_SWEEP_SECONDS", "0.2")
    monkeypatch.setattr(sweeps, "SWEEP_SLICE", 5)
    gone = _covering(surge, 80)
    active = _covering(surge, 20, prefix="active")
    keys = {r: reporter_key(fingerprint(r)) for r in (*gone, *active)}

    def swept(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        latest = {r.key: r.value for r in records}
        return all(latest.get(keys[r], b"") is None for r in gone) and all(
            latest.get(keys[r]) for r in active
        )

    async def keep_reporting() -> None:
        # Each batch of the reporter stage may start a sweep (one per period).
        for n in itertools.count():
            await publish(producer, surge, f"now{n}", burst(f"now{n}", active))
            await asyncio.sleep(0.3)

    async with running(SPEC, surge):
        await publish(producer, surge, "old", burst("old", gone, at=NOW - timedelta(days=3)))
        reporting = asyncio.create_task(keep_reporting())
        try:
            records = await read_topic(surge, SURGE_REPORTERS.name, until=swept, timeout=120)
        finally:
            reporting.cancel()
    assert swept(records)


@pytest.mark.parametrize("rewound", [False, True], ids=["from-changelog", "replayed"])
async def test_a_sigkilled_app_resumes_its_tables_without_losing_or_doubling_counts(
    surge: Settings, producer: AIOKafkaProducer, rewound: bool
) -> None:
    """Killed once its first reports are committed, the app knows them from its changelog
    only; with the group's offsets then rewound to the start (as a redelivery after a
    rebalance would do), it reads them all again and must not count them twice."""
    env = surge_env(surge)
    reporters = [f"u{n}" for n in range(12)]
    first = await start_surge(env)
    try:
        await publish(producer, surge, "chan", burst("chan", reporters[:6]))
        await _wait_for_changelog_count(surge, "channel:chan", 6)
        for name in STAGES:
            await eventually(functools.partial(_all_committed, surge, name))
    finally:
        first.send_signal(signal.SIGKILL)
        assert await first.wait() == -signal.SIGKILL
    if rewound:
        await eventually(functools.partial(_rewind, surge), timeout=60, every=1)

    second = await start_surge(env)
    try:
        await publish(producer, surge, "chan", burst("chan", reporters)[6:])
        # Every window reaches 12 (its final figures go out a little after its last growth).
        await read_signals(surge, lambda s: set(largest(s, "chan").values()) == {12})
        await asyncio.sleep(3)  # time for a doubled count to show, were there one
        # Then the whole topic, however slow the machine: every signal written so far.
        topic = wire_name(SURGE_SIGNALS.name, surge.topic_prefix)
        written = await messages_written(surge, topic)
        found = await read_signals(surge, lambda s: len(s) >= written)
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), timeout=60) == 0

    assert set(largest(found, "chan").values()) == {12}
    assert max(s.distinct_reporters for s in found) == 12


async def test_sigkilled_and_restarted_in_a_stream_the_app_loses_nothing_and_commits_it_all(
    surge: Settings, producer: AIOKafkaProducer
) -> None:
    """The chaos run's crawl: a restarted app processes every report and commits it.

    faust had committed offsets advance one per second for minutes after restarts (lag
    alerts blind, a crash replaying thousands of reports), and records delivered while a
    restarted app sought its committed offsets (a race) were committed unprocessed. After
    each of three SIGKILLs and restarts under a steady stream, every report reaches the
    last stage, and the group's lag as the broker sees it reaches 0 within 30 s of that.
    The crawl was one offset per commit, one per record of the race: a commit every 5 s
    makes a dozen show."""
    env = surge_env(
        surge, CRIBLE_SURGE_COMMIT_INTERVAL_SECONDS="5", CRIBLE_SURGE_SESSION_TIMEOUT_SECONDS="6"
    )
    sent = 0

    async def stream(seconds: float) -> None:
        # Reports keep coming through the kill and the restart, 500 a second, as in the chaos
        # run: the restarted app's first fetches race its seek to the committed offsets.
        nonlocal sent
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            await _publish_spread(producer, surge, range(sent, sent + 50))
            sent += 50
            await asyncio.sleep(0.1)

    process = await start_surge(env)
    lags = []
    try:
        await stream(6)
        for _ in range(3):
            process.send_signal(signal.SIGKILL)
            assert await process.wait() == -signal.SIGKILL
            process = await start_surge(env)
            await stream(12)  # beyond the dead member's session and the tables' recovery
            await _through_both_stages(surge, {fingerprint(f"k{n}") for n in range(sent)})
            lags.append(await _lag_after(surge, seconds=30))
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=60) == 0

    assert lags == [0, 0, 0]


async def test_a_sigkilled_app_leaves_no_process_behind(
    surge: Settings, producer: AIOKafkaProducer
) -> None:
    """The intake's worker process (and multiprocessing's resource tracker) end with it."""
    process = await start_surge(surge_env(surge))
    try:
        await publish(producer, surge, "t", burst("t", [f"u{n}" for n in range(10)]))
        await read_signals(surge, lambda s: 10 in largest(s, "t").values())
        tree = descendants(process.pid)
        assert len(tree) >= 2, "expected the intake's worker and the resource tracker"
    finally:
        process.kill()
        await process.wait()
    await asyncio.sleep(5)
    assert left_alive(tree) == []


async def _publish_spread(producer: AIOKafkaProducer, settings: Settings, ns: range) -> None:
    """Reports ``k<n>`` on 2,000 subjects by 5,000 reporters, keyed by subject as ingest does."""
    topic = wire_name(REPORTS_ACCEPTED.name, settings.topic_prefix)
    for n in ns:
        subject = f"s{n % 2_000}"
        value = accepted(f"k{n}", reporter=f"u{n % 5_000}", subject=subject)
        await producer.send(topic, value, key=f"channel:{subject}".encode())
    await producer.flush()


async def _through_both_stages(settings: Settings, reports: set[int]) -> None:
    """Wait until every report reached the subject stage's topic (repartitioned twice)."""

    def all_there(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        seen = {r.report for record in records for r in unpack_annotated(record.value or b"[]")}
        return reports <= seen

    records = await read_topic(settings, SURGE_BY_SUBJECT.name, until=all_there, timeout=120)
    assert all_there(records)


async def _lag_after(settings: Settings, *, seconds: float) -> int:
    """The group's lag once it is 0 or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    lag = await _group_lag(settings)
    while lag and time.monotonic() < deadline:
        await asyncio.sleep(1)
        lag = await _group_lag(settings)
        print("LAG", time.monotonic(), lag, flush=True)
    return lag


async def _group_lag(settings: Settings) -> int:
    """The group's lag on the app's three topics, from the broker: end minus committed offsets."""
    admin = make_admin(settings)
    consumer = make_plain_consumer(settings)
    await admin.start()
    await consumer.start()
    try:
        committed = {}
        for group in {_group(name) for name in STAGES}:
            committed.update(await admin.list_consumer_group_offsets(settings.topic_prefix + group))
        partitions = [
            TopicPartition(wire_name(name, settings.topic_prefix), p)
            for name in STAGES
            for p in range(REPORTS_ACCEPTED.partitions)
        ]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
        await admin.close()
    lag = 0
    for tp in partitions:
        at = committed.get(tp)
        lag += ends[tp] - (at.offset if at is not None and at.offset >= 0 else 0)
    return lag


async def test_a_malformed_event_goes_to_the_dlq_and_the_app_goes_on(
    surge: Settings, producer: AIOKafkaProducer
) -> None:
    served = surge.model_copy(update={"metrics_port": free_port()})
    assert served.metrics_token is not None
    headers = {"Authorization": f"Bearer {served.metrics_token.get_secret_value()}"}
    url = f"http://127.0.0.1:{served.metrics_port}"
    async with running(SPEC, served):
        await publish(
            producer, served, "x", [b"{not json", accepted("r0", reporter="u", subject="")]
        )
        await publish(producer, served, "ok", burst("ok", [f"u{n}" for n in range(10)]))

        found = await read_signals(served, lambda s: 10 in largest(s, "ok").values())
        dead = await read_topic(served, REPORTS_ACCEPTED.dlq().name, until=lambda rs: len(rs) >= 2)
        async with httpx.AsyncClient() as client:
            await eventually(lambda: _answers(client, f"{url}/readyz", headers))
            page = (await client.get(f"{url}/metrics", headers=headers)).text
            anonymous = await client.get(f"{url}/metrics")

    assert found
    assert len(dead) == 2
    assert {r.value for r in dead} == {b"{not json", accepted_value_of(dead)}
    first = dict(dead[0].headers)
    assert first["crible.error.class"] == b"ValidationError"
    assert first["crible.service"] == b"surge"
    assert (
        first["crible.source.topic"]
        == wire_name(REPORTS_ACCEPTED.name, served.topic_prefix).encode()
    )
    assert {"crible.source.partition", "crible.source.offset", "crible.failed_at"} <= set(first)
    assert 'crible_messages_consumed_total{outcome="dead_lettered",service="surge"' in page
    assert "crible_surge_signals_total" in page
    assert "crible_surge_table_keys" in page
    assert (
        'crible_consumer_lag_messages{partition="0",service="surge",topic="reports.accepted"}'
        in page
    )
    assert anonymous.status_code == 401


async def test_readyz_answers_503_with_a_reason_while_the_app_starts_and_stops(
    surge: Settings,
) -> None:
    """A probe is answered from the moment the endpoint listens until it closes: faust's
    consumer raised ``ConsumerNotStarted`` inside the metrics server, dropping the probe."""
    served = surge.model_copy(update={"metrics_port": free_port()})
    assert served.metrics_token is not None
    headers = {"Authorization": f"Bearer {served.metrics_token.get_secret_value()}"}
    url = f"http://127.0.0.1:{served.metrics_port}/readyz"
    env = dict(
        os.environ,
        CRIBLE_TOPIC_PREFIX=served.topic_prefix,
        CRIBLE_METRICS_PORT=str(served.metrics_port),
    )
    process = await start_surge(env)
    answers: list[tuple[str, int, str]] = []
    async with httpx.AsyncClient(timeout=10) as client:
        try:
            await _probe(client, url, headers, answers, "starting", until_ready=True)
        finally:
            process.send_signal(signal.SIGTERM)
        await _probe(client, url, headers, answers, "stopping", until_ready=False)
    assert await asyncio.wait_for(process.wait(), timeout=60) == 0

    starting = [(status, body) for phase, status, body in answers if phase == "starting"]
    assert starting[-1] == (200, "ready")
    assert [a for a in starting[:-1] if a[0] != 503 or not a[1]] == []
    assert any(body == "starting" for _status, body in starting)
    stopping = [(status, body) for phase, status, body in answers if phase == "stopping"]
    assert [a for a in stopping if a not in {(200, "ready"), (503, "stopping")}] == []


async def _probe(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    answers: list[tuple[str, int, str]],
    phase: str,
    *,
    until_ready: bool,
) -> None:
    """Call ``url`` every 20 ms; note each answer, or a dropped connection (status 0).

    Until the first 200 with ``until_ready``, else until the endpoint stops listening.
    """
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            response = await client.get(url, headers=headers)
        except httpx.ConnectError:
            if not until_ready:
                return  # closed: the process is ending
            await asyncio.sleep(0.02)  # not listening yet
            continue
        except httpx.TransportError as error:  # accepted, then dropped unanswered
            answers.append((phase, 0, type(error).__name__))
            continue
        answers.append((phase, response.status_code, response.text.strip()))
        if until_ready and response.status_code == 200:
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"/readyz still answering after 90 s ({phase}): {answers[-3:]}")


async def test_an_agent_that_stops_consuming_with_lag_ends_the_process(
    surge: Settings, producer: AIOKafkaProducer
) -> None:
    """The faust pitfall of an agent that dies silently: the watchdog ends the process (for
    its supervisor to restart), instead of letting it hold its partitions doing nothing."""
    env = dict(
        os.environ,
        CRIBLE_TOPIC_PREFIX=surge.topic_prefix,
        CRIBLE_METRICS_PORT="0",
        CRIBLE_HOUSEKEEPING_SECONDS="0.5",
        CRIBLE_SURGE_STALL_SECONDS="3",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WEDGED, env=env, stderr=asyncio.subprocess.PIPE
    )
    await publish(producer, surge, "s", burst("s", ["a", "b", "c"]))

    _out, err = await asyncio.wait_for(process.communicate(), timeout=90)

    assert process.returncode == EX_SOFTWARE
    assert b"agent stopped consuming with lag" in err


async def test_a_subject_stage_slower_than_the_watchdog_delays_is_not_read_again_nor_ended(
    surge: Settings, producer: AIOKafkaProducer
) -> None:
    """Behind a backlog one batch of the subject stage can outlast the watchdog's delays: a
    stage still working through its records is left to finish, not read again nor ended."""
    await _publish_spread(producer, surge, range(800))  # read as one batch of every partition
    env = dict(
        os.environ,
        CRIBLE_TOPIC_PREFIX=surge.topic_prefix,
        CRIBLE_METRICS_PORT="0",
        CRIBLE_HOUSEKEEPING_SECONDS="0.5",
        CRIBLE_SURGE_STALL_SECONDS="6",  # read again after 2 s without progress
    )
    with tempfile.TemporaryFile() as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", SLOW, env=env, stderr=log
        )
        try:
            await eventually(
                functools.partial(_all_committed, surge, SURGE_BY_SUBJECT.name), timeout=120
            )
            assert process.returncode is None  # still running: not ended for a stall
        finally:
            if process.returncode is None:
                process.terminate()
            await process.wait()
        log.seek(0)
        err = log.read()

    assert b"slice counted" in err  # the slow stage ran: 16 slices of 0.8 s, one batch
    assert b"partition stopped with lag" not in err
    assert b"agent stopped consuming with lag" not in err


#: `crible run surge` whose subject stage takes 0.8 s per slice of 50 records.
SLOW = """
import asyncio, logging, sys
from services import main
from services.surge.adapters import agents

agents.COUNT_SLICE = 50
count = agents.Agents._count

async def slow(self, partition, records):
    await asyncio.sleep(0.8)
    logging.getLogger("slow").warning("slice counted")
    await count(self, partition, records)

agents.Agents._count = slow
sys.exit(main(["run", "surge"]))
"""


async def test_a_rebalance_waits_for_the_intakes_batch_in_hand_as_its_loop_does(
    settings: Settings,
) -> None:
    """The loop waits for the batch in hand before handing on the next; a rebalance waits for
    it before partitions move. Whichever waits second must not pass while it is in hand."""
    intake = Intake(
        settings, SurgeSettings(), producer=make_producer(settings), progress=lambda *_: None
    )
    release = asyncio.Event()

    async def acknowledged() -> None:  # a batch waiting for the broker
        await release.wait()

    intake._handing = asyncio.create_task(acknowledged())
    by_loop = asyncio.create_task(intake.finish_handing())
    await asyncio.sleep(0.05)
    by_rebalance = asyncio.create_task(intake.finish_handing())
    await asyncio.sleep(0.05)

    assert not by_loop.done()
    assert not by_rebalance.done()
    release.set()
    await asyncio.wait_for(asyncio.gather(by_loop, by_rebalance), timeout=5)
    assert intake._handing is None


#: `crible run surge` whose intake agent hangs on its first batch.
WEDGED = """
import asyncio, sys
from services import main
from services.surge.adapters.intake import Intake

async def hang(self, *_args):
    await asyncio.Event().wait()

Intake.take_in = hang
sys.exit(main(["run", "surge"]))
"""


def accepted_value_of(dead: list[ConsumerRecord[bytes, bytes]]) -> bytes:
    return next(r.value for r in dead if r.value != b"{not json") or b""


def _covering(settings: Settings, at_least: int, *, prefix: str = "seasoned") -> list[str]:
    """Reporter ids that land on every partition of the reporter stage."""
    chosen: list[str] = []
    hit: set[int] = set()
    n = 0
    while len(chosen) < at_least or len(hit) < SURGE_BY_REPORTER.partitions:
        reporter = f"{prefix}{n}"
        where = partition_for(
            reporter_key(fingerprint(reporter)).decode(), SURGE_BY_REPORTER.partitions
        )
        if where not in hit or len(chosen) < at_least:
            chosen.append(reporter)
            hit.add(where)
        n += 1
    return chosen


async def _wait_for_changelog_count(settings: Settings, subject: str, expected: int) -> None:
    key = subject.encode()
    codec = subject_codec()

    def counted(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
        latest: dict[bytes, bytes | None] = {}  # the subject's records as compaction keeps them
        for record in records:
            if record.key is not None and codec.head_of(record.key) == key:
                latest[record.key] = record.value
                head = latest.get(key)
                if record.key == key and head is not None:  # a write ends with its head
                    state = codec.assemble(key, head, latest.get)
                    if state.count(0, 2**40) == expected:
                        return True
        return False

    records = await read_topic(settings, SURGE_SUBJECTS.name, until=counted, timeout=90)
    assert counted(records)


async def _answers(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> bool:
    return (await client.get(url, headers=headers)).status_code == 200


async def _rewind(settings: Settings) -> bool:
    """Commit offset 0 on every partition of the app's topics (once its groups are empty)."""
    for name in STAGES:
        consumer = make_plain_consumer(
            settings, group_id=settings.topic_prefix + _group(name), enable_auto_commit=False
        )
        await consumer.start()
        try:
            partitions = [
                TopicPartition(wire_name(name, settings.topic_prefix), p)
                for p in range(REPORTS_ACCEPTED.partitions)
            ]
            consumer.assign(partitions)
            await consumer.commit(dict.fromkeys(partitions, 0))
        except KafkaError:
            return False  # the killed member still holds the group: its session has to expire
        finally:
            await consumer.stop()
    return True


def _group(topic: str) -> str:
    """The consumer group reading ``topic``: the intake's, or the faust stages'."""
    return INTAKE_GROUP if topic == REPORTS_ACCEPTED.name else GROUP


async def _all_committed(settings: Settings, topic: str) -> bool:
    done, written = await committed(settings, _group(topic), topic)
    return done == written > 0


async def _true(value: bool) -> bool:
    return value
