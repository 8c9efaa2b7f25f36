"""``crible cluster faults``: a broker lost and the database failed over, under load.

Under ``crible local --brokers 3 --standby`` (or on servers a test started), it runs
``crible run all`` under a topic prefix of its own, publishes reports and identity events at
a steady rate, and, one after the other, each once every service has resumed from the last:

1. one broker SIGKILLed, and started again ``down_seconds`` later;
2. another broker stopped for good: the cluster goes on with two of three in sync;
3. the primary PostgreSQL stopped in immediate mode (a crash), and the standby promoted
   ``promote_after_seconds`` later (what a failover manager takes to decide).

It prints how long each service took to resume after each fault (``groups.py``), then stops
the load, waits until every consumer group's lag is 0 (the broker's view, as ``crible chaos``
reads it) and checks ``crible chaos``'s invariants and two of its own (``checks.py``). The
servers are left as the drill left them: the stopped broker stopped, the standby the primary;
the next ``crible local`` makes the promoted standby its primary.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any

from shared.cli.chaos import Check, Load, Sent, check, table
from shared.cli.demo import import_banks
from shared.cli.drill.checks import cluster_checks
from shared.cli.drill.groups import Resumption, offsets_when_possible, wait_resumed
from shared.cli.local.servers import LocalServers
from shared.cli.pipeline import drained, every_group, lags, running_pipeline
from shared.cli.registry import Registry
from shared.cli.reportgen import demo_banks
from shared.config import Settings
from shared.kafka import apply_topics, delete_topics, make_admin, make_plain_producer
from shared.topics import all_topics

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Plan:
    """How hard and how long: rates, pauses, and the ports of ``crible run all``."""

    rate: float = 100.0
    settle_seconds: float = 20.0
    down_seconds: float = 10.0
    promote_after_seconds: float = 5.0
    resume_within_seconds: float = 180.0
    drain_within_seconds: float = 600.0
    metrics_base_port: int = 9101
    http_base_port: int = 8101


@dataclass
class Fault:
    """One fault: what it was, when each service resumed after it, and what else was seen."""

    name: str
    resumed: dict[str, float]
    notes: list[str] = field(default_factory=list)


@dataclass
class Drill:
    """What a drill did and found."""

    faults: list[Fault]
    checks: list[Check]
    sent: Sent
    resent: int
    services: list[str]

    @property
    def ok(self) -> bool:
        """Every invariant holds and every service resumed after every fault."""
        return all(c.holds for c in self.checks) and all(
            set(self.services) <= set(f.resumed) for f in self.faults
        )


async def drill(
    servers: LocalServers,
    registry: Registry,
    settings: Settings,
    *,
    plan: Plan,
    extra_env: dict[str, str] | None = None,
    say: Say = print,
) -> Drill:
    """Run the faults of ``plan`` on ``servers`` under load; what it found.

    The pipeline, the load and the invariants are ``crible chaos``'s (``shared/cli/pipeline.py``,
    ``shared/cli/chaos.py``); the faults, the resume times and two more checks are the drill's.
    """
    if servers.kafka is None or len(servers.kafka.nodes) < 3:
        raise RuntimeError("the drill needs a cluster of three brokers (crible local --brokers 3)")
    if servers.primary is None or servers.standby is None:
        raise RuntimeError("the drill needs PostgreSQL with a standby (crible local --standby)")
    settings = settings.model_copy(update={"topic_prefix": f"drill{uuid.uuid4().hex[:8]}."})
    await apply_topics(settings, all_topics())
    groups = every_group(registry, settings.topic_prefix)
    started = time.monotonic()

    def note(what: str) -> None:
        say(f"{time.monotonic() - started:7.1f} s  {what}")

    try:
        await import_banks(settings, demo_banks())
        async with running_pipeline(
            registry, settings, extra_env=extra_env,
            metrics_base_port=plan.metrics_base_port, http_base_port=plan.http_base_port,
        ) as pipeline:  # fmt: skip
            note(f"crible run all ready in {await pipeline.wait_ready(within=240):.1f} s")
            producer = make_plain_producer(
                settings, acks="all", enable_idempotence=True, linger_ms=5
            )
            await producer.start()
            sent, done = Sent(), asyncio.Event()
            load = Load(settings, producer, sent)
            loading = asyncio.create_task(load.run(count=0, rate=plan.rate, until=done))
            try:
                await asyncio.sleep(plan.settle_seconds)
                faults = await _faults(servers, settings, plan, note)
            finally:
                done.set()
                await loading
                await producer.stop()
            note(f"load stopped: {len(sent.reports):,} reports, {load.resent} sent again")
            try:
                seconds, _ = await drained(settings, groups, within=plan.drain_within_seconds)
                note(f"every consumer group at lag 0 {seconds:.1f} s later")
            except RuntimeError as error:
                note(str(error))
            await pipeline.wait_ready(within=120)
            await asyncio.sleep(3)  # the queue rows of the last verdicts
            lag = await lags(settings, groups)
            checks = await check(settings, pipeline, sent, lag=lag)
            checks += await cluster_checks(settings)
    finally:
        with contextlib.suppress(Exception):
            await delete_topics(settings)
    return Drill(faults, checks, sent, load.resent, list(registry.names))


async def _faults(servers: LocalServers, settings: Settings, plan: Plan, note: Say) -> list[Fault]:
    kafka, primary, standby = servers.kafka, servers.primary, servers.standby
    if kafka is None or primary is None or standby is None:
        raise RuntimeError("the drill needs the cluster's brokers, primary and standby")
    killed, stopped = kafka.nodes[0], kafka.nodes[1]

    async def restart_later(fault: Fault) -> None:
        await asyncio.sleep(plan.down_seconds)
        await asyncio.to_thread(killed.start)
        await kafka.wait_for_brokers(len(kafka.nodes))
        fault.notes.append(f"started again {plan.down_seconds:.0f} s after the kill")
        note("broker 1 started again")

    first = Fault("broker 1 SIGKILLed, started again", {})
    await _inject(first, settings, plan, note, lambda: asyncio.to_thread(killed.kill),
                  then=restart_later)  # fmt: skip
    synced = await _in_sync(settings, within=plan.resume_within_seconds)
    first.notes.append(f"every partition fully in sync {synced:.1f} s after the restart")
    note(f"every partition's replicas in sync again ({synced:.1f} s)")
    await asyncio.sleep(plan.settle_seconds)

    second = Fault("broker 2 stopped for good (2 of 3 in sync)", {})
    await _inject(second, settings, plan, note, lambda: asyncio.to_thread(stopped.stop))
    await asyncio.sleep(plan.settle_seconds)

    async def promote_later(fault: Fault) -> None:
        await asyncio.sleep(plan.promote_after_seconds)
        begun = time.monotonic()
        await asyncio.to_thread(standby.promote)
        fault.notes.append(
            f"standby promoted {plan.promote_after_seconds:.0f} s after the crash "
            f"(pg_ctl promote took {time.monotonic() - begun:.1f} s)"
        )
        note("standby promoted")

    third = Fault("PostgreSQL primary crashed, standby promoted", {})
    await _inject(third, settings, plan, note,
                  lambda: asyncio.to_thread(primary.halt, mode="immediate"),
                  then=promote_later)  # fmt: skip
    await asyncio.sleep(plan.settle_seconds)
    return [first, second, third]


async def _inject(
    fault: Fault,
    settings: Settings,
    plan: Plan,
    note: Say,
    inject: Callable[[], Awaitable[object]],
    *,
    then: Callable[[Fault], Coroutine[Any, Any, None]] | None = None,
) -> None:
    """Inject a fault and watch every service resume (the follow-up runs meanwhile)."""
    before = await offsets_when_possible(settings)
    resumption = Resumption(replace(before, at=time.monotonic()), settings.topic_prefix)
    # Watched from the moment the fault begins (a kill returns at once, a stop takes time).
    watching = asyncio.create_task(
        wait_resumed(settings, resumption, within=plan.resume_within_seconds)
    )
    await inject()
    note(fault.name)
    if then is not None:
        await then(fault)
    await watching
    fault.resumed = dict(resumption.resumed)
    slowest = max(resumption.resumed.items(), key=lambda kv: kv[1], default=("none", 0.0))
    note(f"  every service resumed (slowest: {slowest[0]}, {slowest[1]:.1f} s)")


async def _in_sync(settings: Settings, *, within: float) -> float:
    """Seconds until every partition of the drill's topics has all its replicas in sync."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        admin = make_admin(settings)
        try:
            await admin.start()
            names = [t for t in await admin.list_topics() if t.startswith(settings.topic_prefix)]
            described = await admin.describe_topics([*names, "__consumer_offsets"])
            behind = sum(
                1
                for topic in described
                for p in topic["partitions"]
                if len(p["isr"]) < len(p["replicas"])
            )
        except Exception:  # noqa: BLE001 - the cluster is settling: ask again
            behind = -1
        finally:
            await admin.close()
        if behind == 0:
            return time.monotonic() - started
        await asyncio.sleep(1)
    raise RuntimeError(f"replicas not in sync after {within:.0f} s")


def resume_table(result: Drill) -> str:
    """Seconds from each fault to each service's resumption, one row per fault."""
    width = max(len(f.name) for f in result.faults)
    head = "".join(f"{name:>11}" for name in result.services)
    lines = [f"  {'fault':<{width}}{head}"]
    for fault in result.faults:
        cells = "".join(
            f"{fault.resumed[name]:>9.1f} s" if name in fault.resumed else f"{'never':>11}"
            for name in result.services
        )
        lines.append(f"  {fault.name:<{width}}{cells}")
        lines.extend(f"  {'':<4}{n}" for n in fault.notes)
    return "\n".join(lines)


def report(result: Drill) -> str:
    """The drill's resume times and invariants, as printed."""
    return (
        "seconds from each fault until the service had committed, on every partition of its "
        "groups, records that came after it (or all there were):\n"
        f"{resume_table(result)}\n\ninvariants:\n{table(result.checks)}"
    )
