"""Re-encrypting the identity store under the current key, in small batches, while it runs.

Each batch locks a few hundred rows still under an old key (``FOR UPDATE SKIP LOCKED``:
the consumer and a second rotation never wait on it for long), opens each sealed field with
its old key and seals it again with the current one, bound to the same place. Once no row
names an old key, that key can leave the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.legal import metrics
from services.legal.core.fieldcrypt import FieldCipher, FieldRef, Sealed
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


_TABLES = (
    _Table(ACCOUNTS, "platform_user_id", "username"),
    _Table(PHONE_NUMBERS, "row_id", "phone_number"),
    _Table(SESSIONS, "row_id", "address"),
    # The requests (a target may be a phone number), their documents, narrowing reasons.
    _Table("requests", "request_id", "body", uuid_key=True),
    _Table("documents", "request_id", "blob", uuid_key=True),
    _Table("narrowings", "request_id", "reason", uuid_key=True),
)


async def rotate_batch(conn: Connection, cipher: FieldCipher, *, batch: int) -> dict[str, int]:
    """Move up to ``batch`` rows per table to the current key; rows moved, by table."""
    moved: dict[str, int] = {}
    current = cipher.current_key_id
    for table in _TABLES:
        async with conn.transaction():
            rows = await conn.fetch(
                f"""SELECT {table.select_id} AS id, {table.column} AS sealed
                    FROM legal.{table.name}
                    WHERE key_id <> $1 ORDER BY {table.key} LIMIT $2
                    FOR UPDATE SKIP LOCKED""",  # table and column names: from _TABLES
                current,
                batch,
            )
            updates = []
            for row in rows:
                sealed = row["sealed"]
                if sealed is not None:
                    where = FieldRef(table.name, table.column, row["id"])
                    sealed = cipher.rotate(Sealed.unpack(sealed), where).pack()
                updates.append((row["id"], sealed, current))
            await conn.executemany(
                f"""UPDATE legal.{table.name} SET {table.column} = $2, key_id = $3
                    WHERE {table.match}""",
                updates,
            )
        moved[table.name] = len(updates)
        metrics.ROWS_REKEYED.labels(table.name).inc(len(updates))
    return moved


async def remaining(conn: Connection, current: str) -> dict[str, int]:
    """Rows still under another key than ``current``, by table."""
    counts = {}
    for table in _TABLES:
        counts[table.name] = await conn.fetchval(
            f"SELECT count(*) FROM legal.{table.name} WHERE key_id <> $1",
            current,
        )
    return counts
