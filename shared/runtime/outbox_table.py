"""The transactional outbox: a batch's events are stored with its effects, then published.

A handler's effects and the events announcing them are committed in one PostgreSQL
transaction (one outbox row per batch, in the ``outbox`` table of the service's own schema,
so a service never sees another's pending events). The runtime publishes the events, waits
for Kafka's acknowledgement, then deletes the row. If a worker dies in between, a peer (or
the worker itself once restarted) finds the orphaned row and publishes it: consumers
deduplicate on event ids, so a second publication is harmless while a lost one would not be.
"""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable, Sequence

import asyncpg

from shared.db import Connection, service_schema
from shared.runtime.contract import Outbound

#: SQL true for an outbox row (alias ``o``) whose worker no longer holds its liveness lock
#: (``shared.runtime.liveness``: classid "CRIB", objid the worker id, two-key form).
ORPHANED = """NOT EXISTS (
    SELECT 1 FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid = 1129466178 AND l.objid = o.worker::oid
)"""

_HEAD = struct.Struct("!HiIH")  # topic length, key length (-1: none), value length, headers
_HEADER = struct.Struct("!HI")


def encode_records(records: Sequence[Outbound]) -> bytes:
    """Pack records into one compact blob (length-prefixed, no pickling)."""
    parts: list[bytes] = []
    for record in records:
        topic = record.topic.encode()
        key = record.key
        parts.append(
            _HEAD.pack(
                len(topic), -1 if key is None else len(key), len(record.value), len(record.headers)
            )
        )
        parts.append(topic)
        if key is not None:
            parts.append(key)
        parts.append(record.value)
        for name, value in record.headers:
            encoded = name.encode()
            parts.append(_HEADER.pack(len(encoded), len(value)))
            parts.append(encoded)
            parts.append(value)
    return b"".join(parts)


def decode_records(blob: bytes) -> list[Outbound]:
    """Unpack what :func:`encode_records` packed."""
    records: list[Outbound] = []
    view = memoryview(blob)
    at = 0
    while at < len(view):
        topic_len, key_len, value_len, header_count = _HEAD.unpack_from(view, at)
        at += _HEAD.size
        topic = bytes(view[at : at + topic_len]).decode()
        at += topic_len
        key = None
        if key_len >= 0:
            key = bytes(view[at : at + key_len])
            at += key_len
        value = bytes(view[at : at + value_len])
        at += value_len
        headers: list[tuple[str, bytes]] = []
        for _ in range(header_count):
            name_len, header_len = _HEADER.unpack_from(view, at)
            at += _HEADER.size
            name = bytes(view[at : at + name_len]).decode()
            at += name_len
            headers.append((name, bytes(view[at : at + header_len])))
            at += header_len
        records.append(Outbound(topic, key, value, tuple(headers)))
    return records


def _table(service: str) -> str:
    return f"{service_schema(service)}.outbox"


async def store(
    conn: Connection,
    *,
    service: str,
    records: Sequence[Outbound],
    worker: int | None = None,
    topic_prefix: str = "",
) -> int:
    """Write a batch's events in the caller's transaction; return the outbox row id.

    ``worker`` is the id of the process's liveness lock (:mod:`shared.runtime.liveness`);
    ``topic_prefix`` the environment whose topics the events go to.
    """
    row_id: int = await conn.fetchval(
        f"INSERT INTO {_table(service)} (record_count, records, worker, topic_prefix) "
        "VALUES ($1, $2, $3, $4) RETURNING id",
        len(records),
        encode_records(records),
        worker,
        topic_prefix,
    )
    return row_id


async def exists(pool: asyncpg.Pool, row_id: int, *, service: str) -> bool:
    """Whether an outbox row is stored (its transaction committed) and not yet published."""
    return bool(
        await pool.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {_table(service)} WHERE id = $1)", row_id
        )
    )


async def forget(pool: asyncpg.Pool, row_ids: Sequence[int], *, service: str) -> None:
    """Delete rows whose events Kafka has acknowledged."""
    if row_ids:
        await pool.execute(
            f"DELETE FROM {_table(service)} WHERE id = ANY($1::bigint[])", list(row_ids)
        )


async def relay_orphans(
    pool: asyncpg.Pool,
    deliver: Callable[[list[Outbound]], Awaitable[object]],
    *,
    service: str,
    topic_prefix: str,
    older_than_seconds: float,
    worker: int | None = None,
    held: Sequence[int] = (),
) -> int:
    """Publish (through ``deliver``) and delete rows a worker died before publishing.

    A row is orphaned as soon as the worker that stored it no longer holds its liveness
    lock (it died, and its session with it), or, for a row without a worker, once it is
    older than ``older_than_seconds``. Rows of another live worker are in flight and left to
    it. Rows of the calling ``worker`` that are not among those it ``held`` are orphans too
    once that old: it lost track of them (a commit reported as failed although it
    committed), and nobody else would ever publish them while it lives.
    Only rows of this environment's topics (``topic_prefix``) are relayed, oldest first,
    locked (``SKIP LOCKED``) while being published so two relaying workers never publish
    the same row at once. Returns the number of rows relayed.
    """
    relayed = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                f"""
                SELECT o.id, o.records FROM {_table(service)} o
                WHERE (o.topic_prefix = $1 OR o.topic_prefix IS NULL)
                  AND CASE WHEN o.worker IS NULL
                           THEN o.created_at < now() - make_interval(secs => $2)
                           WHEN o.worker = $3
                           THEN o.created_at < now() - make_interval(secs => $2)
                                AND o.id <> ALL($4::bigint[])
                           ELSE {ORPHANED} END
                ORDER BY o.id LIMIT 20 FOR UPDATE SKIP LOCKED
                """,
                topic_prefix,
                older_than_seconds,
                worker,
                list(held),
            )
            if not rows:
                return relayed
            for row in rows:
                await deliver(decode_records(row["records"]))
            await conn.execute(
                f"DELETE FROM {_table(service)} WHERE id = ANY($1::bigint[])",
                [r["id"] for r in rows],
            )
            relayed += len(rows)
