"""Bank contents in PostgreSQL, and the per-worker follower of ``hashbanks.updates``.

The ``banks`` consumer (one group for all workers) writes every update to the tables and,
in the same transaction, the next offset of its partition. A worker starting up loads the
tables and those offsets in one snapshot, then follows the topic itself from exactly there
(outside any group: every worker must see every update), so a hash added while it runs is
matched by the next case it screens, and nothing is applied twice or missed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import asyncpg
import numpy as np
from pydantic import ValidationError

from services.prescreen import metrics
from services.prescreen.banks import MIN_PDQ_QUALITY, BankSet, Update, normalise_hash
from shared.config import Settings
from shared.db import Connection
from shared.events import Category
from shared.events.screening import (
    BankDefined,
    BankKind,
    BankRemoved,
    BankUpdate,
    HashAdded,
    HashAlgorithm,
    HashRemoved,
)
from shared.kafka import make_plain_consumer
from shared.runtime import Handled, Inbound
from shared.runtime.errors import StopRequestedError
from shared.runtime.retry import RetryPolicy
from shared.topics import HASHBANKS_UPDATES, wire_name

log = logging.getLogger(__name__)
#: Rows fetched at a time when loading a bank (bounded memory beside the index).
_LOAD_CHUNK = 200_000


async def handle_updates(batch: Sequence[Inbound[BankUpdate]], conn: Connection) -> Handled:
    """Write a batch of bank updates to the tables, with the offsets they reach."""
    offsets: dict[int, int] = {}
    added: list[HashAdded] = []  # a run of additions, written together (an import is many)
    for inbound in batch:
        update = inbound.event.root
        if isinstance(update, HashAdded):
            added.append(update)
        else:
            await _add_hashes(conn, added)
            added = []
            await _store(conn, update)
        offsets[inbound.partition] = max(offsets.get(inbound.partition, 0), inbound.offset + 1)
    await _add_hashes(conn, added)
    await conn.executemany(
        """INSERT INTO prescreen.bank_offsets (partition, next_offset) VALUES ($1, $2)
           ON CONFLICT (partition) DO UPDATE SET next_offset = EXCLUDED.next_offset
           WHERE bank_offsets.next_offset < EXCLUDED.next_offset""",
        sorted(offsets.items()),
    )
    return Handled(())


async def _add_hashes(conn: Connection, added: list[HashAdded]) -> None:
    """Store a run of additions in two statements, whatever its length."""
    if not added:
        return
    rows = []
    for update in added:
        digest = normalise_hash(update.algorithm, update.hash)
        if digest is None:
            raise ValueError(f"not a {update.algorithm.value} hash")
        rows.append((update.bank, update.algorithm.value, digest, update.quality))
    # A hash may come before its bank's definition (another key, another partition).
    await conn.execute(
        """INSERT INTO prescreen.banks (name) SELECT DISTINCT unnest($1::text[])
           ON CONFLICT (name) DO NOTHING""",
        sorted({update.bank for update in added}),
    )
    await conn.executemany(
        """INSERT INTO prescreen.bank_hashes (bank, algorithm, hash, quality)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (bank, algorithm, hash) DO UPDATE SET quality = EXCLUDED.quality""",
        rows,
    )


async def _store(conn: Connection, update: BankDefined | BankRemoved | HashRemoved) -> None:
    if isinstance(update, BankDefined):
        await conn.execute(
            """INSERT INTO prescreen.banks (name, kind, category, pdq_threshold, description)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind,
                   category = EXCLUDED.category, pdq_threshold = EXCLUDED.pdq_threshold,
                   description = EXCLUDED.description, removed = false, updated_at = now()""",
            update.bank,
            update.kind.value,
            None if update.category is None else update.category.value,
            update.pdq_threshold,
            update.description,
        )
    elif isinstance(update, BankRemoved):
        await conn.execute("DELETE FROM prescreen.bank_hashes WHERE bank = $1", update.bank)
        await conn.execute(
            "UPDATE prescreen.banks SET removed = true, updated_at = now() WHERE name = $1",
            update.bank,
        )
    else:
        await conn.execute(
            "DELETE FROM prescreen.bank_hashes WHERE bank = $1 AND algorithm = $2 AND hash = $3",
            update.bank,
            update.algorithm.value,
            normalise_hash(update.algorithm, update.hash) or b"",
        )


async def load_banks(pool: asyncpg.Pool, banks: BankSet) -> dict[int, int]:
    """Fill ``banks`` from the tables; returns the topic offsets the snapshot reflects."""
    started = time.perf_counter()
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        offsets = {
            r["partition"]: r["next_offset"]
            for r in await conn.fetch("SELECT partition, next_offset FROM prescreen.bank_offsets")
        }
        definitions: list[Update] = [
            BankDefined(
                schema_version=1,
                type="bank.defined",
                bank=r["name"],
                kind=BankKind(r["kind"]),
                category=None if r["category"] is None else Category(r["category"]),
                pdq_threshold=r["pdq_threshold"],
            )
            for r in await conn.fetch(
                "SELECT name, kind, category, pdq_threshold FROM prescreen.banks "
                "WHERE kind IS NOT NULL AND NOT removed"
            )
        ]
        banks.apply(definitions)
        exact: list[Update] = [
            HashAdded(
                schema_version=1,
                type="hash.added",
                bank=r["bank"],
                algorithm=HashAlgorithm(r["algorithm"]),
                hash=r["hash"].hex(),
            )
            for r in await conn.fetch(
                "SELECT bank, algorithm, hash FROM prescreen.bank_hashes WHERE algorithm <> 'pdq'"
            )
        ]
        banks.apply(exact)
        count = len(exact) + await _load_pdq(conn, banks)
    record_sizes(banks)
    log.info(
        "loaded %d banks, %d hashes in %.1f s",
        len(definitions),
        count,
        time.perf_counter() - started,
    )
    return offsets


async def _load_pdq(conn: Connection, banks: BankSet) -> int:
    """PDQ hashes per bank, in chunks, straight into numpy (no object per hash)."""
    count = 0
    names = [r["bank"] for r in await conn.fetch(
        "SELECT DISTINCT bank FROM prescreen.bank_hashes WHERE algorithm = 'pdq'"
    )]  # fmt: skip
    for name in names:
        cursor = await conn.cursor(
            """SELECT hash FROM prescreen.bank_hashes WHERE bank = $1 AND algorithm = 'pdq'
               AND (quality IS NULL OR quality >= $2)""",
            name,
            MIN_PDQ_QUALITY,
        )
        chunks = []
        while rows := await cursor.fetch(_LOAD_CHUNK):
            blob = b"".join(r["hash"] for r in rows)
            chunks.append(np.frombuffer(blob, dtype=np.uint8).reshape(-1, 32))
        if chunks:
            hashes = np.concatenate(chunks)
            banks.load_pdq(name, hashes)
            count += len(hashes)
    return count


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
