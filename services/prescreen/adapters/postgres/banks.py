"""Bank contents in PostgreSQL: updates written by the ``banks`` consumer, loaded at start.

The ``banks`` consumer (one group for all workers) writes every update to the tables and,
in the same transaction, the next offset of its partition. A worker starting up loads the
tables and those offsets in one snapshot, then follows the topic from exactly there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence

import asyncpg
import numpy as np

from services.prescreen.core.banks import MIN_PDQ_QUALITY, BankSet, Update, normalise_hash
from services.prescreen.ports import BankHashRow
from shared.db import Connection
from shared.events import Category
from shared.events.screening import (
    BankDefined,
    BankKind,
    BankRemoved,
    HashAdded,
    HashAlgorithm,
    HashRemoved,
)

log = logging.getLogger(__name__)
#: Rows fetched at a time when loading a bank (bounded memory beside the index).
_LOAD_CHUNK = 200_000


class PostgresBankStore:
    """Writes bank updates inside the transaction of the connection it is given."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add_hashes(self, rows: Sequence[BankHashRow]) -> None:
        """Store a run of additions in two statements, whatever its length."""
        if not rows:
            return
        # A hash may come before its bank's definition (another key, another partition).
        await self._conn.execute(
            """INSERT INTO prescreen.banks (name) SELECT DISTINCT unnest($1::text[])
               ON CONFLICT (name) DO NOTHING""",
            sorted({row.bank for row in rows}),
        )
        await self._conn.executemany(
            """INSERT INTO prescreen.bank_hashes (bank, algorithm, hash, quality)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (bank, algorithm, hash) DO UPDATE SET quality = EXCLUDED.quality""",
            [(row.bank, row.algorithm, row.digest, row.quality) for row in rows],
        )

    async def change(self, update: BankDefined | BankRemoved | HashRemoved) -> None:
        """Define or remove a bank, or remove a hash from one."""
        if isinstance(update, BankDefined):
            await self._conn.execute(
                """INSERT INTO prescreen.banks (name, kind, category, pdq_threshold, description)
                   VALUES ($1, $2, $3, $4, $5)
                   ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind,
                       category = EXCLUDED.category, pdq_threshold = EXCLUDED.pdq_threshold,
                       description = EXCLUDED.description, removed = false,
                       updated_at = now()""",
                update.bank,
                update.kind.value,
                None if update.category is None else update.category.value,
                update.pdq_threshold,
                update.description,
            )
        elif isinstance(update, BankRemoved):
            await self._conn.execute(
                "DELETE FROM prescreen.bank_hashes WHERE bank = $1", update.bank
            )
            await self._conn.execute(
                "UPDATE prescreen.banks SET removed = true, updated_at = now() WHERE name = $1",
                update.bank,
            )
        else:
            await self._conn.execute(
                """DELETE FROM prescreen.bank_hashes
                   WHERE bank = $1 AND algorithm = $2 AND hash = $3""",
                update.bank,
                update.algorithm.value,
                normalise_hash(update.algorithm, update.hash) or b"",
            )

    async def advance(self, offsets: Mapping[int, int]) -> None:
        """Record the next offset of each partition (never moving one back)."""
        await self._conn.executemany(
            """INSERT INTO prescreen.bank_offsets (partition, next_offset) VALUES ($1, $2)
               ON CONFLICT (partition) DO UPDATE SET next_offset = EXCLUDED.next_offset
               WHERE bank_offsets.next_offset < EXCLUDED.next_offset""",
            sorted(offsets.items()),
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
