"""``crible dlq list|show|replay <topic>``: what went to a dead-letter topic, and sending it back.

``<topic>`` is the source topic (``reports.submitted``) or its dead-letter topic
(``reports.submitted.dlq``), without the deployment's prefix.

Replay republishes each chosen dead letter to the topic it came from, with its original key
and bytes and a ``crible.replay.of`` header naming it (``<dlq>:<partition>:<offset>``).
Each replay is recorded on the compacted ``dlq.replays`` ledger, so running replay again
sends nothing twice. A replayed message that fails again comes back to the dead-letter
topic once, carrying ``crible.replay.of`` (the runtime keeps that header): replay never
sends it again by itself, so a message that still fails never loops. Copies without their
payload (topics with personal data) or truncated ones cannot be replayed: the sender
publishes those again. Consumers are idempotent, so the rare duplicate (a crash between a
replay and its ledger entry) changes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.config import Settings, get_settings
from shared.kafka import make_plain_consumer, make_producer
from shared.runtime.deadletter import REPLAY_HEADER
from shared.topics import DLQ_REPLAYS, DLQ_SUFFIX, wire_name

#: Headers whose presence means the copy does not hold the original message.
_INCOMPLETE = ("crible.payload.withheld", "crible.truncated.original_bytes")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One record of a dead-letter topic."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: dict[str, str]
    timestamp_ms: int

    @property
    def error_class(self) -> str:
        """The failure's class, as the runtime recorded it."""
        return self.headers.get("crible.error.class", "unknown")

    def coordinates(self, dlq: str) -> str:
        """Where this dead letter lives: its id on the ledger and in ``crible.replay.of``."""
        return f"{dlq}:{self.partition}:{self.offset}"

    def why_not_replayable(self) -> str | None:
        """Why this copy cannot be sent back, or None."""
        if any(h in self.headers for h in _INCOMPLETE):
            return "the copy holds no full payload (the sender must publish it again)"
        if REPLAY_HEADER in self.headers:
            return "it failed again after a replay (fix it, then publish it by hand)"
        if "crible.source.topic" not in self.headers:
            return "it does not say which topic it came from"
        return None


def readable(raw: bytes) -> str:
    r"""``raw`` as text, with every byte that is not UTF-8 kept visible as ``\xNN``.

    A dead letter is often there because its bytes are not UTF-8: replacing them would hide
    exactly what went wrong.
    """
    return raw.decode("utf-8", errors="backslashreplace")


def dlq_name(topic: str) -> str:
    """The dead-letter topic of ``topic`` (or ``topic`` itself if it is one)."""
    return topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX


async def read_all(settings: Settings, wire: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of a (wire-named) topic, up to its end when reading started."""
    probe = make_plain_consumer(settings)
    await probe.start()
    try:
        if wire not in await probe.topics():
            raise SystemExit(f"no topic {wire}")
    finally:
        await probe.stop()
    # Subscribed outside any group: the consumer takes every partition, from the start.
    consumer = make_plain_consumer(
        settings, wire, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(wire, p) for p in consumer.partitions_for_topic(wire) or ()]
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        seen = dict.fromkeys(partitions, 0)
        while any(seen[tp] < end for tp, end in ends.items()):
            batches = await consumer.getmany(timeout_ms=500)
            for tp, batch in batches.items():
                records.extend(r for r in batch if r.offset < ends[tp])
                if batch:
                    seen[tp] = batch[-1].offset + 1
    finally:
        await consumer.stop()
    return sorted(records, key=lambda r: (r.partition, r.offset))


async def dead_letters(settings: Settings, topic: str) -> list[DeadLetter]:
    """The dead letters of ``topic``, oldest first."""
    wire = wire_name(dlq_name(topic), settings.topic_prefix)
    return [
        DeadLetter(
            r.partition,
            r.offset,
            r.key,
            r.value or b"",
            {k: readable(v) for k, v in r.headers},
            r.timestamp,
        )
        for r in await read_all(settings, wire)
    ]


async def replayed(settings: Settings, dlq: str) -> set[str]:
    """Coordinates of the dead letters of ``dlq`` already replayed (the ledger)."""
    ledger = wire_name(DLQ_REPLAYS.name, settings.topic_prefix)
    return {
        r.key.decode()
        for r in await read_all(settings, ledger)
        if r.key is not None and r.key.decode().startswith(dlq + ":")
    }


def _when(timestamp_ms: int) -> str:
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC).isoformat(timespec="seconds")


async def list_topic(settings: Settings, topic: str) -> dict[str, Any]:
    """Counts by error class, with the oldest and newest dead letter."""
    letters = await dead_letters(settings, topic)
    return {
        "topic": dlq_name(topic),
        "total": len(letters),
        "by_error_class": dict(Counter(letter.error_class for letter in letters).most_common()),
        "oldest": _when(letters[0].timestamp_ms) if letters else None,
        "newest": _when(letters[-1].timestamp_ms) if letters else None,
    }


async def show(
    settings: Settings, topic: str, *, limit: int, payload: bool
) -> list[dict[str, Any]]:
    """The newest ``limit`` dead letters' headers (and payloads only when asked)."""
    shown = []
    for letter in (await dead_letters(settings, topic))[-limit:]:
        entry: dict[str, Any] = {
            "partition": letter.partition,
            "offset": letter.offset,
            "headers": letter.headers,
        }
        if payload:
            entry["payload"] = readable(letter.value)
        shown.append(entry)
    return shown


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """What a replay sends, and what it leaves and why."""

    send: list[DeadLetter]
    skipped: dict[str, int]


async def plan(settings: Settings, topic: str, *, error_class: str | None) -> ReplayPlan:
    """The dead letters a replay would send now."""
    dlq = dlq_name(topic)
    done = await replayed(settings, dlq)
    send, skipped = [], Counter[str]()
    for letter in await dead_letters(settings, topic):
        reason = letter.why_not_replayable()
        if letter.coordinates(dlq) in done:
            reason = "already replayed"
        elif error_class is not None and letter.error_class != error_class:
            reason = "another error class"
        if reason is None:
            send.append(letter)
        else:
            skipped[reason] += 1
    return ReplayPlan(send, dict(skipped))


def _source(settings: Settings, letter: DeadLetter) -> str:
    # A consumed record's copy names its wire topic; an undeliverable event's, its logical one.
    source = letter.headers["crible.source.topic"]
    prefix = settings.topic_prefix
    return source if prefix and source.startswith(prefix) else wire_name(source, prefix)


async def replay(settings: Settings, topic: str, *, error_class: str | None) -> ReplayPlan:
    """Send the planned dead letters back to their source topics, each recorded once."""
    chosen = await plan(settings, topic, error_class=error_class)
    dlq = dlq_name(topic)
    ledger = wire_name(DLQ_REPLAYS.name, settings.topic_prefix)
    producer = make_producer(settings)
    await producer.start()
    try:
        for letter in chosen.send:
            where = letter.coordinates(dlq)
            await producer.send_and_wait(
                _source(settings, letter),
                letter.value,
                key=letter.key,
                headers=[(REPLAY_HEADER, where.encode())],
            )
            note = {"replayed_at": datetime.now(UTC).isoformat(), "error": letter.error_class}
            await producer.send_and_wait(ledger, json.dumps(note).encode(), key=where.encode())
    finally:
        await producer.stop()
    return chosen


def main(args: argparse.Namespace) -> int:
    """Run ``crible dlq <action>`` (the parser is in ``shared/cli/main.py``)."""
    settings = get_settings()
    if args.action == "list":
        print(json.dumps(asyncio.run(list_topic(settings, args.topic)), indent=2))
    elif args.action == "show":
        shown = asyncio.run(show(settings, args.topic, limit=args.limit, payload=args.payload))
        print(json.dumps(shown, indent=2))
    else:
        run = plan if args.dry_run else replay
        done = asyncio.run(run(settings, args.topic, error_class=args.error_class))
        verb = "would replay" if args.dry_run else "replayed"
        print(f"{verb} {len(done.send)} message(s); skipped: {json.dumps(done.skipped)}")
    return 0


__all__: Sequence[str] = ("DeadLetter", "list_topic", "main", "plan", "replay", "show")
