"""Rows still sealed under an old key, locked a batch at a time and written back re-sealed.

Each batch locks a few hundred rows (``FOR UPDATE SKIP LOCKED``: the consumer and a second
rotation never wait on it for long) and is its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.legal.core.fieldcrypt import FieldRef
from services.legal.core.identity import ACCOUNTS, PHONE_NUMBERS, SESSIONS
from shared.db import Connection


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    key: str  # the row id column
    column: str  # the sealed column
    #: The row id is a uuid, bound into the sealed value as text.
    uuid_key: bool = False

    @property
    def select_id(self) -> str:
        return f"{self.key}::text" if self.uuid_key else self.key

    @property
    def match(self) -> str:
        return f"{self.key} = $1::uuid" if self.uuid_key else f"{self.key} = $1"


TABLES = (
    _Table(ACCOUNTS, "platform_user_id", "username"),
    _Table(PHONE_NUMBERS, "row_id", "phone_number"),
    _Table(SESSIONS, "row_id", "address"),
    # The requests (a target may be a phone number), their documents, narrowing reasons.
    _Table("requests", "request_id", "body", uuid_key=True),
    _Table("documents", "request_id", "blob", uuid_key=True),
    _Table("narrowings", "request_id", "reason", uuid_key=True),
)


class PostgresRotation:
    """``RotationStore`` over legal's sealed columns."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table with a sealed column."""
        return tuple(t.name for t in TABLES)

    async def rotate(
        self,
        table: str,
        *,
        current: str,
        batch: int,
        reseal: Callable[[bytes, FieldRef], bytes],
    ) -> int:
        """Re-seal up to ``batch`` rows of ``table`` not under ``current``; how many."""
        spec = next(t for t in TABLES if t.name == table)
        async with self._conn.transaction():
            rows = await self._conn.fetch(
                f"""SELECT {spec.select_id} AS id, {spec.column} AS sealed
                    FROM legal.{spec.name}
                    WHERE key_id <> $1 ORDER BY {spec.key} LIMIT $2
                    FOR UPDATE SKIP LOCKED""",  # table and column names: from TABLES
                current,
                batch,
            )
            updates = []
            for row in rows:
                sealed = row["sealed"]
                if sealed is not None:
                    sealed = reseal(bytes(sealed), FieldRef(spec.name, spec.column, row["id"]))
                updates.append((row["id"], sealed, current))
            await self._conn.executemany(
                f"""UPDATE legal.{spec.name} SET {spec.column} = $2, key_id = $3
                    WHERE {spec.match}""",
                updates,
            )
        return len(updates)

    async def remaining(self, current: str) -> dict[str, int]:
        """Rows still under another key than ``current``, by table."""
        counts = {}
        for spec in TABLES:
            counts[spec.name] = await self._conn.fetchval(
                f"SELECT count(*) FROM legal.{spec.name} WHERE key_id <> $1", current
            )
        return counts
