"""Where signed checkpoints are read from: the retained topic, and files auditors keep.

``legal.audit.checkpoints`` is read whole, from its first offset to its end; a file is what
``crible audit checkpoints export`` writes (one JSON ``AuditCheckpoint`` per line).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiokafka.structs import TopicPartition

from shared.config import Settings
from shared.events.legal import AuditCheckpoint
from shared.kafka import make_plain_consumer
from shared.topics import LEGAL_AUDIT_CHECKPOINTS, wire_name


async def published(settings: Settings, *, timeout_s: float = 30.0) -> list[AuditCheckpoint]:
    """Every checkpoint on the topic, oldest first."""
    topic = wire_name(LEGAL_AUDIT_CHECKPOINTS.name, settings.topic_prefix)
    consumer = make_plain_consumer(settings, enable_auto_commit=False)
    await consumer.start()
    try:
        if topic not in await consumer.topics():
            return []
        # As declared (one partition; `crible topics apply` keeps it so).
        partitions = [TopicPartition(topic, p) for p in range(LEGAL_AUDIT_CHECKPOINTS.partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[AuditCheckpoint] = []
        remaining = {tp: end for tp, end in ends.items() if end > 0}
        while remaining:
            batch = await consumer.getmany(timeout_ms=int(timeout_s * 1000))
            if not batch:
                raise TimeoutError(f"{topic} could not be read to its end")
            for tp, records in batch.items():
                for record in records:
                    if record.value is not None:
                        found.append(AuditCheckpoint.model_validate_json(record.value))
                    if record.offset + 1 >= remaining.get(tp, 0):
                        remaining.pop(tp, None)
        return found
    finally:
        # aiokafka's consumer without a group starts a task at start(); a stop() before it
        # ever ran would raise its CancelledError here.
        await asyncio.sleep(0)
        await consumer.stop()


def from_file(path: Path) -> list[AuditCheckpoint]:
    """The checkpoints an export wrote, one JSON object per line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [AuditCheckpoint.model_validate_json(line) for line in lines if line.strip()]


def export(checkpoints: list[AuditCheckpoint], path: Path) -> None:
    """Write checkpoints for an auditor to keep (one JSON object per line)."""
    text = "".join(c.model_dump_json() + "\n" for c in checkpoints)
    path.write_text(text, encoding="utf-8")
