"""``crible chaos``: the whole pipeline under load and faults, then its invariants.

It starts `crible run all` under a topic prefix of its own (the demo's hash banks loaded)
and publishes reports at a steady rate, with malformed inputs and identity events among
them, while it injects faults one after the other:

- every worker SIGKILLed, one service after the other (``--kills`` rounds), and 5 s
  later no process of its tree may be left;
- every PostgreSQL backend of the services terminated;
- the broker frozen (SIGSTOP) for ``--freeze-seconds``, then thawed;
- the broker killed with SIGKILL and started again;
- PostgreSQL stopped in immediate mode (a crash: recovery at start) and started again.

The broker and database faults need the local stack (``crible local``). Once every group's
lag is 0 from the broker's view, it checks what must hold whatever happened and prints
them as a table with the counts; it exits 1 if any does not hold.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from shared.cli.chaos_plan import Plan, plan_from
from shared.cli.demo import import_banks
from shared.cli.dlq import read_all
from shared.cli.local.kafka import LocalKafka
from shared.cli.local.postgres import LocalPostgres
from shared.cli.pipeline import (
    Pipeline,
    descendants,
    drained,
    every_group,
    lags,
    running_pipeline,
)
from shared.cli.registry import Registry
from shared.cli.reportgen import ReportStream, demo_banks, subject_key
from shared.config import Settings
from shared.kafka import apply_topics, delete_topics, make_plain_producer
from shared.topics import (
    ENFORCEMENT_ACTIONS,
    IDENTITY_EVENTS,
    REPORTS_SUBMITTED,
    SCREENING_VERDICTS,
    all_topics,
    wire_name,
)

#: Schemas whose outbox must end empty.
OUTBOXES = ("ingest", "prescreen", "dispatch", "legal")


@dataclass
class Sent:
    """What the chaos run published, by what it can be recognised."""

    reports: set[str] = field(default_factory=set)
    malformed_reports: set[bytes] = field(default_factory=set)
    identities: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)
    malformed_identities: set[bytes] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Check:
    """One invariant: what it expects, what was found."""

    name: str
    expected: object
    found: object

    @property
    def holds(self) -> bool:
        """Whether what was found is what was expected."""
        return self.expected == self.found


class Load:
    """Publishes reports, malformed inputs and identity events; resends what a fault lost."""

    def __init__(self, settings: Settings, producer: AIOKafkaProducer, sent: Sent) -> None:
        self._producer = producer
        self._sent = sent
        self._reports = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
        self._identity = wire_name(IDENTITY_EVENTS.name, settings.topic_prefix)
        self._ns = settings.topic_prefix
        self._stream = ReportStream(
            seed=uuid.uuid4().int % 10_000,
            subjects=5_000,
            reporters=20_000,
            namespace=self._ns,
            known_media=demo_banks(),
        )
        self._pending: list[tuple[asyncio.Future[Any], str, bytes, bytes]] = []
        self.resent = 0

    async def run(self, *, count: int, rate: float, until: asyncio.Event) -> None:
        """At least ``count`` reports at ``rate`` a second, and on until ``until`` is set.

        Every 50th message is malformed, every 20th an identity event.
        """
        started = time.monotonic()
        n = -1
        while (n := n + 1) < count or not until.is_set():
            ahead = n / rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
            if n % 50 == 7:
                await self._malformed(n)
            if n % 20 == 3:
                await self._identity_event(n)
            report = self._stream.report()
            self._sent.reports.add(report["report_id"])
            key = subject_key(report["subject"]).encode()
            await self._send(self._reports, key, orjson.dumps(report))
            if n % 100 == 0:
                await self._settle(wait=len(self._pending) > 5_000)
        while self._pending:
            await self._settle(wait=True)

    async def _malformed(self, n: int) -> None:
        variants = (
            b"\xff\xfe not utf-8 %d" % n,
            b'{"schema_version": 1, "report_id": "%d' % n,
            orjson.dumps({"schema_version": 1, "report_id": f"bad{n}", "category": "nope"}),
            orjson.dumps({**self._stream.report(), "text": f"nul\u0000{n}"}),
        )
        key = f"{self._ns}malformed-{n}".encode()
        self._sent.malformed_reports.add(key)
        await self._send(self._reports, key, variants[n % len(variants)])

    async def _identity_event(self, n: int) -> None:
        user = f"{self._ns}user{n % 400}"
        event_id = f"{self._ns}e{n}"
        common = {
            "schema_version": 1,
            "event_id": event_id,
            "platform_user_id": user,
            "occurred_at": "2026-12-01T10:00:00+01:00",
        }
        if user not in self._sent.identities:
            self._sent.identities.add(user)
            event = common | {
                "event_type": "account.registered",
                "phone_number": f"+3361{n % 10**7:07d}",
            }
        elif n % 100 == 3:  # an invalid phone number: dead-lettered without its payload
            key = f"{self._ns}bad-identity-{n}".encode()
            self._sent.malformed_identities.add(key)
            event = common | {"event_type": "account.phone_number_changed", "phone_number": "+1"}
            await self._send(self._identity, key, orjson.dumps(event))
            return
        else:
            self._sent.sessions.add(event_id)
            event = common | {
                "event_type": "session.observed",
                "ip_address": f"192.0.2.{n % 250 + 1}",
                "source_port": 1024 + n % 60_000,
            }
        await self._send(self._identity, user.encode(), orjson.dumps(event))

    async def _send(self, topic: str, key: bytes, value: bytes) -> None:
        while True:
            try:
                future = await self._producer.send(topic, value, key=key)
            except KafkaError:
                await asyncio.sleep(0.5)  # the broker is away: wait, then send again
                continue
            self._pending.append((future, topic, key, value))
            return

    async def _settle(self, *, wait: bool) -> None:
        if wait and self._pending:
            await asyncio.wait([f for f, *_ in self._pending], timeout=1)
        still, failed = [], []
        for entry in self._pending:
            future = entry[0]
            if not future.done():
                still.append(entry)
            elif future.exception() is not None:
                failed.append(entry)
        self._pending = still
        for _, topic, key, value in failed:  # never acknowledged: send again (idempotent ids)
            self.resent += 1
            await self._send(topic, key, value)


@dataclass
class Faults:
    """Injects the plan's faults and keeps a log of them."""

    settings: Settings
    pipeline: Pipeline
    plan: Plan
    log: list[str] = field(default_factory=list)
    orphans: list[int] = field(default_factory=list)
    killed: int = 0
    started: float = field(default_factory=time.monotonic)

    def note(self, what: str) -> None:
        """Log a fault, with the time since the start."""
        line = f"{time.monotonic() - self.started:7.1f} s  {what}"
        self.log.append(line)
        print(line, flush=True)

    async def run(self) -> None:
        """Every fault of the plan, one after the other."""
        steps: list[Callable[[], Awaitable[None]]] = []
        for round_ in range(self.plan.kills):
            steps.append(partial(self._kill_every_worker, round_ + 1))
            if round_ == 0 and self.plan.backends:
                steps.append(self._terminate_backends)
            if round_ == 0 and self.plan.freeze_seconds > 0:
                steps.append(self._freeze_broker)
            if round_ == 1 and self.plan.broker_kill:
                steps.append(self._kill_broker)
            if round_ == 1 and self.plan.database_restart:
                steps.append(self._restart_database)
        for step in steps:
            await asyncio.sleep(self.plan.gap_seconds)
            await step()

    async def _kill_every_worker(self, round_: int) -> None:
        for name in self.pipeline.names:
            pid = self.pipeline.services().get(name)
            if pid is None:
                self.note(f"round {round_}: {name} not running (being restarted)")
                continue
            tree = descendants(pid)
            os.kill(pid, signal.SIGKILL)
            self.killed += 1
            self.note(f"round {round_}: SIGKILL {name} (pid {pid}, {len(tree)} child process(es))")
            await asyncio.sleep(5)
            self.orphans.extend(p for p in tree if _alive(p))

    async def _terminate_backends(self) -> None:
        count = await LocalPostgres().terminate_backends("crible-")
        self.note(f"terminated {count} PostgreSQL backend(s) of the services")

    async def _freeze_broker(self) -> None:
        pid = _local_broker(self.settings)
        if pid is None:
            self.note("broker freeze skipped: not the local stack's broker")
            return
        os.kill(pid, signal.SIGSTOP)
        self.note(f"broker frozen (SIGSTOP) for {self.plan.freeze_seconds:.0f} s")
        try:
            await asyncio.sleep(self.plan.freeze_seconds)
        finally:
            os.kill(pid, signal.SIGCONT)
        self.note("broker thawed (SIGCONT)")

    async def _kill_broker(self) -> None:
        pid = _local_broker(self.settings)
        if pid is None:
            self.note("broker kill skipped: not the local stack's broker")
            return
        os.kill(pid, signal.SIGKILL)
        self.note("broker killed (SIGKILL)")
        await asyncio.sleep(3)
        await asyncio.to_thread(LocalKafka().start)
        self.note("broker started again")

    async def _restart_database(self) -> None:
        self.note("PostgreSQL stopped in immediate mode")
        await asyncio.to_thread(LocalPostgres().restart_immediately)
        self.note("PostgreSQL started again (crash recovery)")


def _local_broker(settings: Settings) -> int | None:
    kafka = LocalKafka()
    return kafka.pid if kafka.bootstrap == settings.kafka_bootstrap_servers else None


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def _read(settings: Settings, name: str) -> list[tuple[bytes | None, bytes | None]]:
    """Every (key, value) of a topic up to its end now."""
    records = await read_all(settings, wire_name(name, settings.topic_prefix))
    return [(r.key, r.value) for r in records]


async def check(
    settings: Settings,
    pipeline: Pipeline,
    sent: Sent,
    *,
    lag: dict[str, int],
    orphans: Sequence[int] | None = None,
) -> list[Check]:
    """Every invariant, from the database, the topics and the processes.

    ``orphans``: what a killed worker left behind, when workers were killed.
    """
    ns = settings.topic_prefix
    conn = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        stored = await conn.fetchval(
            "SELECT count(*) FROM ingest.reports WHERE report_id LIKE $1 || '%'", ns
        )
        miscounted = await conn.fetchval(
            """SELECT count(*) FROM ingest.cases c
               JOIN LATERAL (SELECT count(*) AS reports, count(DISTINCT reporter_id) AS reporters
                             FROM ingest.reports r
                             WHERE r.case_id = c.case_id AND r.case_revision = c.revision) r
                 ON true
               WHERE c.subject_id LIKE $1 || '%'
                 AND (c.report_count <> r.reports OR c.reporter_count <> r.reporters)""",
            ns,
        )
        rows = {
            (r["case_id"], r["revision"]): (str(r["verdict_id"]), r["report_count"])
            for r in await conn.fetch(
                "SELECT case_id, revision, verdict_id, report_count FROM dispatch.cases"
            )
        }
        outbox = 0
        for schema in OUTBOXES:
            # This run's rows only: another environment's (a test's, left in the same
            # database) are not this pipeline's to publish.
            outbox += await conn.fetchval(
                f"SELECT count(*) FROM {schema}.outbox WHERE topic_prefix = $1", ns
            )
        accounts = await conn.fetchval(
            "SELECT count(*) FROM legal.accounts WHERE platform_user_id LIKE $1 || '%'", ns
        )
        sessions = await conn.fetchval(
            "SELECT count(*) FROM legal.sessions WHERE platform_user_id LIKE $1 || '%'", ns
        )
    finally:
        await conn.close()
    verdicts = [orjson.loads(v) for _, v in await _read(settings, SCREENING_VERDICTS.name) if v]
    ids_per_event: dict[str, set[str]] = defaultdict(set)
    latest: dict[tuple[Any, int], tuple[int, str]] = {}
    act_now: set[tuple[Any, int]] = set()
    for v in verdicts:
        ids_per_event[v["case_event_id"]].add(v["verdict_id"])
        key = (uuid.UUID(v["case_id"]), v["case_revision"])
        latest[key] = max(latest.get(key, (0, "")), (v["report_count"], v["verdict_id"]))
        if v["route"] == "act_now":
            act_now.add(key)
    queued = sum(1 for key, (count, _) in latest.items() if rows.get(key, ("", 0))[1] == count)
    actions: dict[tuple[Any, int], set[str]] = defaultdict(set)
    for _, value in await _read(settings, ENFORCEMENT_ACTIONS.name):
        action = orjson.loads(value or b"{}")
        if action.get("automatic"):
            key = (uuid.UUID(action["case_id"]), action["case_revision"])
            actions[key].add(action["action_id"])
    dead_reports = {k for k, _ in await _read(settings, REPORTS_SUBMITTED.dlq().name)}
    dead_identities = {k for k, _ in await _read(settings, IDENTITY_EVENTS.dlq().name)}
    readiness = await pipeline.readiness()
    left = [] if orphans is None else [
        Check("processes left by a killed worker 5 s later", 0, len(orphans))
    ]  # fmt: skip
    return [
        Check("every report stored once", len(sent.reports), stored),
        Check("case revisions with wrong counts", 0, miscounted),
        Check(
            "case events with more than one verdict id",
            0,
            sum(1 for ids in ids_per_event.values() if len(ids) > 1),
        ),
        Check("case revisions screened, each with its queue row", len(latest), queued),
        Check(
            "act_now case revisions, each with one automatic action",
            len(act_now),
            sum(1 for key in act_now if len(actions.get(key, ())) == 1),
        ),
        Check("automatic actions without an act_now verdict", 0, len(set(actions) - act_now)),
        Check(
            "malformed reports in reports.submitted.dlq",
            len(sent.malformed_reports),
            len(dead_reports & sent.malformed_reports),
        ),
        Check("valid reports dead-lettered", 0, len(dead_reports - sent.malformed_reports)),
        Check(
            "malformed identity events in identity.events.dlq",
            len(sent.malformed_identities),
            len(dead_identities & sent.malformed_identities),
        ),
        Check(
            "valid identity events dead-lettered",
            0,
            len(dead_identities - sent.malformed_identities),
        ),
        Check("accounts stored once", len(sent.identities), accounts),
        Check("sessions stored once", len(sent.sessions), sessions),
        Check("outbox rows left", 0, outbox),
        Check("consumer groups with lag (broker's view)", 0, sum(1 for v in lag.values() if v)),
        *left,
        Check(
            "services answering /readyz 200",
            len(readiness),
            sum(1 for code in readiness.values() if code == 200),
        ),
    ]


def table(checks: Sequence[Check]) -> str:
    """The invariants as a table."""
    width = max(len(c.name) for c in checks)
    lines = [f"  {'invariant':<{width}} {'expected':>10} {'found':>10}  "]
    for c in checks:
        mark = "ok" if c.holds else "FAILED"
        lines.append(f"  {c.name:<{width}} {c.expected!s:>10} {c.found!s:>10}  {mark}")
    return "\n".join(lines)


async def chaos(registry: Registry, settings: Settings, *, plan: Plan) -> list[Check]:
    """Run the plan; the invariants as checked at the end."""
    settings = settings.model_copy(update={"topic_prefix": f"chaos{uuid.uuid4().hex[:8]}."})
    await apply_topics(settings, all_topics())
    groups = every_group(registry, settings.topic_prefix)
    sent = Sent()
    try:
        await import_banks(settings, demo_banks())
        async with running_pipeline(
            registry,
            settings,
            metrics_base_port=plan.metrics_base_port,
            http_base_port=plan.http_base_port,
            extra_env=dict(plan.env),
        ) as pipeline:
            await pipeline.wait_ready()
            producer = make_plain_producer(
                settings, acks="all", enable_idempotence=True, linger_ms=5
            )
            await producer.start()
            faults = Faults(settings, pipeline, plan)
            load = Load(settings, producer, sent)
            done = asyncio.Event()

            async def inject() -> None:
                try:
                    await faults.run()
                finally:
                    done.set()

            try:
                await asyncio.gather(
                    load.run(count=plan.reports, rate=plan.rate, until=done), inject()
                )
            finally:
                await producer.stop()
            faults.note(f"load done ({len(sent.reports)} reports, {load.resent} resent)")
            seconds, _ = await drained(settings, groups, within=900)
            faults.note(f"every group's lag 0 after {seconds:.0f} s more")
            await pipeline.wait_ready(within=120)
            await asyncio.sleep(3)  # the queue rows of the last verdicts
            lag = await lags(settings, groups)
            return await check(settings, pipeline, sent, lag=lag, orphans=faults.orphans)
    finally:
        await delete_topics(settings)


def run(registry: Registry, settings: Settings, *, args: argparse.Namespace) -> int:
    """``crible chaos``: 0 if every invariant holds."""
    import uvloop  # noqa: PLC0415

    plan = plan_from(args)
    started = time.monotonic()
    checks = uvloop.run(chaos(registry, settings, plan=plan))
    print(f"invariants after {time.monotonic() - started:.0f} s:")
    print(table(checks), flush=True)
    return 0 if all(c.holds for c in checks) else 1
