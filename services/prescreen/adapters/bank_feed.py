"""The per-worker follower of ``hashbanks.updates``: every worker sees every update.

A worker starting up loads the tables and the offsets they reflect in one snapshot
(:mod:`services.prescreen.adapters.postgres.banks`), then follows the topic itself from
exactly there (outside any group), so a hash added while it runs is matched by the next
case it screens, and nothing is applied twice or missed.
"""

from __future__ import annotations

import asyncio
import time

from pydantic import ValidationError

from services.prescreen import metrics
from services.prescreen.banks import BankSet, Update
from shared.config import Settings
from shared.errors import StopRequestedError
from shared.events.screening import BankUpdate
from shared.kafka import make_plain_consumer
from shared.runtime.retry import RetryPolicy
from shared.topics import HASHBANKS_UPDATES, wire_name


async def follow_updates(
    settings: Settings, banks: BankSet, offsets: dict[int, int], stop: asyncio.Event
) -> None:
    """Apply every update after ``offsets`` to this worker's banks until ``stop`` is set.

    A broker that cannot be reached at start is waited for, like every other start.
    """
    topic = wire_name(HASHBANKS_UPDATES.name, settings.topic_prefix)
    # Subscribed without a group: every partition is this consumer's, nothing is committed.
    consumer = make_plain_consumer(
        settings, topic, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    retry = RetryPolicy(settings, service="prescreen", stop=stop)
    try:
        await retry.run("connect-bank-feed", consumer.start)
    except StopRequestedError:
        await consumer.stop()
        return
    try:
        for tp in consumer.assignment():
            if tp.partition in offsets:
                consumer.seek(tp, offsets[tp.partition])
            else:
                await consumer.seek_to_beginning(tp)
        while not stop.is_set():
            records = await consumer.getmany(timeout_ms=200, max_records=10_000)
            updates = [u for batch in records.values() for r in batch if (u := _decode(r.value))]
            if updates:
                await asyncio.to_thread(banks.apply, updates)
                _count(updates, banks)
    finally:
        await consumer.stop()


def _decode(value: bytes | None) -> Update | None:
    if value is None:
        return None
    try:
        return BankUpdate.model_validate_json(value).root
    except (ValidationError, ValueError):
        return None  # the banks consumer dead-letters it with the reason


def _count(updates: list[Update], banks: BankSet) -> None:
    for update in updates:
        metrics.BANK_UPDATES.labels(update.type).inc()
    record_sizes(banks)


def record_sizes(banks: BankSet) -> None:
    """Export the banks' sizes and when they last changed."""
    metrics.BANK_LAST_UPDATE.set(time.time())
    sizes = banks.sizes()
    for name, size in sizes.items():
        metrics.BANK_HASHES.labels(name).set(size)
    for name in _EXPORTED - sizes.keys():  # a removed bank leaves no stale series
        metrics.BANK_HASHES.remove(name)
    _EXPORTED.clear()
    _EXPORTED.update(sizes)


#: Banks whose size is exported.
_EXPORTED: set[str] = set()
