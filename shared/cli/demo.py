"""``crible demo``: publish a realistic report stream and watch every stage work.

It publishes as a platform back end would (several categories and languages, duplicate
deliveries, several reporters per subject, a few malformed events) and shows, live, what
each stage consumed, produced and dead-lettered, its consumer lag, and the busiest cases.
Everything shown is read from Kafka itself (offsets and the ``cases`` topic), so the view
is what an operator would see, not what the demo believes it sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import TopicPartition
from rich.console import Group
from rich.live import Live
from rich.table import Table

from shared.cli.reportgen import MALFORMED, ReportStream, demo_banks
from shared.config import Settings
from shared.kafka import make_admin, make_plain_consumer, make_plain_producer, make_producer
from shared.runtime import ConsumerSpec, Service
from shared.topics import (
    CASES,
    HASHBANKS_UPDATES,
    REPORTS_SUBMITTED,
    SCREENING_VERDICTS,
    TopicSpec,
    wire_name,
)


@dataclass
class _Stage:
    service: str
    spec: ConsumerSpec[Any]
    consumed: int = 0
    produced: dict[str, int] = field(default_factory=dict)
    dead: int = 0
    lag: int = 0


@dataclass
class _View:
    published: int = 0
    malformed: int = 0
    stages: list[_Stage] = field(default_factory=list)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    routes: dict[str, int] = field(default_factory=dict)
    bank_hashes: int = 0


async def run_demo(
    settings: Settings,
    services: Sequence[Service],
    *,
    reports: int,
    rate: float,
    seconds: float,
) -> None:
    """Publish ``reports`` at ``rate`` per second and show every consumer of ``services``."""
    view = _View(stages=[_Stage(s.name, spec) for s in services for spec in s.consumers])
    consumed = {topic for s in services for spec in s.consumers for topic in spec.models}
    banks = demo_banks()
    offsets = _Offsets(settings)
    await offsets.start()
    baseline = await offsets.snapshot(view)
    if HASHBANKS_UPDATES in consumed:  # a screening stage runs: give it the demo banks
        view.bank_hashes = await import_banks(settings, banks)
    cases_tail = asyncio.create_task(_tail_cases(settings, view))
    tails = [cases_tail]
    if SCREENING_VERDICTS in {t for s in services for t in s.produces}:
        tails.append(asyncio.create_task(_tail_verdicts(settings, view)))
    publisher = asyncio.create_task(
        _publish(settings, view, reports=reports, rate=rate, banks=banks)
    )
    started = time.monotonic()
    try:
        with Live(_render(view), refresh_per_second=4) as live:
            while time.monotonic() - started < seconds:
                await offsets.update(view, baseline)
                live.update(_render(view))
                if publisher.done() and all(s.lag == 0 for s in view.stages) and view.published:
                    await asyncio.sleep(1)  # let the last case events arrive
                    await offsets.update(view, baseline)
                    live.update(_render(view))
                    break
                await asyncio.sleep(0.5)
    finally:
        for task in (publisher, *tails):
            task.cancel()
        await asyncio.gather(publisher, *tails, return_exceptions=True)
        await offsets.stop()


async def import_banks(settings: Settings, banks: list[dict[str, Any]]) -> int:
    """Publish the demo banks to ``hashbanks.updates``, as ``crible banks import`` would."""
    from shared.events.screening import BankDefined, HashAdded  # noqa: PLC0415

    producer = make_producer(settings)
    await producer.start()
    topic = wire_name(HASHBANKS_UPDATES.name, settings.topic_prefix)
    count = 0
    try:
        for bank in banks:
            fields = {k: v for k, v in bank["bank"].items() if k != "name"}
            definition = BankDefined.model_validate(
                {
                    "schema_version": 1,
                    "type": "bank.defined",
                    "bank": bank["bank"]["name"],
                    **fields,
                },
                strict=False,
            )
            await producer.send_and_wait(
                topic, definition.model_dump_json().encode(), key=definition.key()
            )
            for entry in bank["hashes"]:
                added = HashAdded.model_validate(
                    {"schema_version": 1, "type": "hash.added", "bank": definition.bank, **entry},
                    strict=False,
                )
                await producer.send(topic, added.model_dump_json().encode(), key=added.key())
                count += 1
        await producer.flush()
    finally:
        await producer.stop()
    return count


async def _publish(
    settings: Settings, view: _View, *, reports: int, rate: float, banks: list[dict[str, Any]]
) -> None:
    topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    producer = make_plain_producer(settings, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        stream = ReportStream(
            seed=int(time.time()), subjects=300, reporters=5000, known_media=banks
        )
        interval = 1 / rate
        next_at = time.monotonic()
        for i, (key, value) in enumerate(stream.payloads(reports, duplicate_rate=0.08)):
            if i % 97 == 13:  # now and then a broken client publishes garbage
                await producer.send(topic, MALFORMED[i % len(MALFORMED)], key=key)
                view.malformed += 1
            await producer.send(topic, value, key=key)
            view.published += 1
            next_at += interval
            if (delay := next_at - time.monotonic()) > 0:
                await asyncio.sleep(delay)
        await producer.flush()
    finally:
        await producer.stop()


async def _tail_cases(settings: Settings, view: _View) -> None:
    consumer = make_plain_consumer(
        settings, wire_name(CASES.name, settings.topic_prefix), auto_offset_reset="latest"
    )
    await consumer.start()
    try:
        async for record in consumer:
            event = orjson.loads(record.value)
            view.cases[event["case_id"]] = event
    finally:
        await consumer.stop()


async def _tail_verdicts(settings: Settings, view: _View) -> None:
    await _tail(settings, SCREENING_VERDICTS, view, "route")


async def _tail(settings: Settings, topic: TopicSpec, view: _View, field_name: str) -> None:
    consumer = make_plain_consumer(
        settings, wire_name(topic.name, settings.topic_prefix), auto_offset_reset="latest"
    )
    await consumer.start()
    try:
        async for record in consumer:
            value = str(orjson.loads(record.value).get(field_name))
            view.routes[value] = view.routes.get(value, 0) + 1
    finally:
        await consumer.stop()


class _Offsets:
    """Reads committed and end offsets: consumed = committed, produced = end offsets."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._admin = make_admin(settings)
        self._consumer = make_plain_consumer(settings)

    async def start(self) -> None:
        await self._admin.start()
        await self._consumer.start()

    async def stop(self) -> None:
        await self._admin.close()
        await self._consumer.stop()

    def _wire(self, name: str) -> str:
        return wire_name(name, self._settings.topic_prefix)

    async def _ends(self, names: list[str]) -> dict[str, int]:
        described = await self._admin.describe_topics([self._wire(n) for n in names])
        partitions = [
            TopicPartition(t["topic"], p["partition"]) for t in described for p in t["partitions"]
        ]
        ends = await self._consumer.end_offsets(partitions)
        totals = dict.fromkeys(names, 0)
        for tp, end in ends.items():
            totals[tp.topic.removeprefix(self._settings.topic_prefix)] += end
        return totals

    async def snapshot(self, view: _View) -> dict[str, int]:
        """Counters as they stand, so the view shows what happened since the demo began."""
        counts: dict[str, int] = {}
        for stage in view.stages:
            consumed, ends = await self._stage_counts(stage)
            counts[f"{stage.service}:{stage.spec.name}:consumed"] = consumed
            counts.update(ends)
        return counts

    async def _stage_counts(self, stage: _Stage) -> tuple[int, dict[str, int]]:
        spec = stage.spec
        consumed_topics = [t.name for t in spec.models]
        names = (
            consumed_topics + [t.name for t in spec.produces] + [t.dlq().name for t in spec.models]
        )
        ends = await self._ends(names)
        group = self._settings.topic_prefix + spec.group_id(stage.service)
        committed = await self._admin.list_consumer_group_offsets(group)
        wired = {self._wire(n) for n in consumed_topics}
        consumed = sum(
            o.offset for tp, o in committed.items() if tp.topic in wired and o.offset > 0
        )
        return consumed, ends

    async def update(self, view: _View, baseline: dict[str, int]) -> None:
        for stage in view.stages:
            consumed, ends = await self._stage_counts(stage)
            spec = stage.spec
            stage.consumed = consumed - baseline.get(f"{stage.service}:{spec.name}:consumed", 0)
            stage.lag = sum(ends[t.name] for t in spec.models) - consumed
            stage.produced = {t.name: ends[t.name] - baseline[t.name] for t in spec.produces}
            stage.dead = sum(ends[t.dlq().name] - baseline[t.dlq().name] for t in spec.models)


def _render(view: _View) -> Group:
    stages = Table(title="Crible pipeline (since the demo started)", expand=True)
    for column in ("stage", "consumed", "produced", "dead-lettered", "lag"):
        stages.add_column(column, justify="left" if column in {"stage", "produced"} else "right")
    stages.add_row(
        "platform (demo)",
        "",
        f"reports.submitted {view.published + view.malformed} ({view.malformed} malformed)",
        "",
        "",
    )
    for stage in view.stages:
        produced = ", ".join(f"{name} {count}" for name, count in stage.produced.items())
        stages.add_row(
            stage.service if stage.spec.name == "main" else f"{stage.service} {stage.spec.name}",
            str(stage.consumed),
            produced,
            str(stage.dead),
            str(stage.lag),
        )
    cases = Table(title="Busiest cases", expand=True)
    for column in ("case", "subject", "category", "rev", "reports", "reporters", "languages"):
        cases.add_column(column)
    busiest = sorted(view.cases.values(), key=lambda e: e["report_count"], reverse=True)[:8]
    for event in busiest:
        subject = event["subject"]
        cases.add_row(
            event["case_id"][:8],
            f"{subject['kind']} {subject.get('chat_id') or ''}/{subject['id']}".replace(" /", " "),
            event["category"],
            str(event["revision"]),
            str(event["report_count"]),
            str(event["reporter_count"]),
            _languages(event["reporter_languages"]),
        )
    if not view.routes and not view.bank_hashes:
        return Group(stages, cases)
    verdicts = Table(title="Screening verdicts by route", expand=True)
    for column in ("act_now", "human_review", "dismiss", "demo bank hashes loaded"):
        verdicts.add_column(column, justify="right")
    verdicts.add_row(
        *(str(view.routes.get(r, 0)) for r in ("act_now", "human_review", "dismiss")),
        str(view.bank_hashes),
    )
    return Group(stages, verdicts, cases)


def _languages(languages: list[str]) -> str:
    shown = " ".join(languages[:4])
    return f"{shown} +{len(languages) - 4}" if len(languages) > 4 else shown
