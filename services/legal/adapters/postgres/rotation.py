"""Rows still sealed under an old key, locked a batch at a time and written back re-sealed.

Each batch locks a few hundred rows (``FOR UPDATE SKIP LOCKED``: the consumer and a second
rotation never wait on it for long) and is its own transaction. An account's identity rows
are due when they are not yet under the account's own key; the account keys, requests,
documents, narrowing reasons and refusal explanations when they are not under the current
configured key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from services.legal.core.fieldcrypt import ACCOUNT_KEY, ACCOUNT_KEYS, FieldRef
from services.legal.core.identity import ACCOUNTS, PHONE_NUMBERS, SESSIONS
from shared.db import Connection

#: Re-seal one field: (packed, where, its account or "") to (packed, key id).
Reseal = Callable[[bytes, FieldRef, str], tuple[bytes, str]]


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    key: str  # the row id column
    column: str  # the sealed column
    #: The row id is a uuid, bound into the sealed value as text.
    uuid_key: bool = False
    #: Sealed with its account's key (the account's id is in ``platform_user_id``).
    by_account: bool = False
    #: The column the table is partitioned by: matched too, so that an update of one row
    #: looks in its own partition only (``sessions``: one per day).
    partition_key: str | None = None

    @property
    def select_id(self) -> str:
        return f"{self.key}::text" if self.uuid_key else self.key

    @property
    def match(self) -> str:
        row = f"{self.key} = $1::uuid" if self.uuid_key else f"{self.key} = $1"
        return f"{row} AND {self.partition_key} = $4" if self.partition_key else row

    @property
    def due(self) -> str:
        """Rows not yet under the key they belong under ($1: the current configured key)."""
        return f"key_id <> '{ACCOUNT_KEY}'" if self.by_account else "key_id <> $1::text"


TABLES = (
    _Table(ACCOUNTS, "platform_user_id", "username", by_account=True),
    _Table(PHONE_NUMBERS, "row_id", "phone_number", by_account=True),
    _Table(SESSIONS, "row_id", "address", by_account=True, partition_key="observed_at"),
    # The account keys themselves, wrapped: rotating re-wraps one key per account.
    _Table(ACCOUNT_KEYS, "platform_user_id", "data_key"),
    # The requests (a target may be a phone number), their documents, narrowing reasons.
    _Table("requests", "request_id", "body", uuid_key=True),
    _Table("documents", "request_id", "blob", uuid_key=True),
    _Table("narrowings", "request_id", "reason", uuid_key=True),
    _Table("refusal_explanations", "request_id", "explanation", uuid_key=True),
)
_BY_NAME = {t.name: t for t in TABLES}


class PostgresRotation:
    """``RotationStore`` over legal's sealed columns."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table with a sealed column."""
        return tuple(t.name for t in TABLES)

    def by_account(self, table: str) -> bool:
        """Whether ``table``'s fields are sealed with their account's key."""
        return _BY_NAME[table].by_account

    async def accounts_due(self, table: str, *, limit: int) -> list[str]:
        """Accounts with rows of ``table`` not yet under their own key."""
        spec = _BY_NAME[table]
        rows = await self._conn.fetch(
            f"""SELECT DISTINCT platform_user_id FROM (
                    SELECT platform_user_id FROM legal.{spec.name}
                    WHERE {spec.due} LIMIT $1) due""",  # names: from TABLES
            limit,
        )
        return [r["platform_user_id"] for r in rows]

    async def rotate(
        self,
        table: str,
        *,
        current: str,
        batch: int,
        reseal: Reseal,
        accounts: Sequence[str] = (),
    ) -> int:
        """Re-seal up to ``batch`` due rows of ``table``; how many.

        For a table sealed by account, only the rows of ``accounts`` (whose keys are ready).
        """
        spec = _BY_NAME[table]
        argument: str | list[str]
        if spec.by_account:  # these accounts' rows, not yet under their own key
            owner, argument = "platform_user_id", list(accounts)
            condition = f"platform_user_id = ANY($1::text[]) AND key_id <> '{ACCOUNT_KEY}'"
        else:  # the rows not under the current configured key
            owner, argument, condition = "''", current, "key_id <> $1::text"
        part = f", {spec.partition_key} AS part" if spec.partition_key else ""
        async with self._conn.transaction():
            rows = await self._conn.fetch(
                f"""SELECT {spec.select_id} AS id, {owner} AS owner, {spec.column} AS sealed
                           {part}
                    FROM legal.{spec.name} WHERE {condition}
                    ORDER BY {spec.key} LIMIT $2 FOR UPDATE SKIP LOCKED""",  # names: TABLES
                argument,
                batch,
            )
            updates: list[tuple[object, ...]] = []
            for row in rows:
                sealed, key_id = row["sealed"], current if not spec.by_account else ACCOUNT_KEY
                if sealed is not None:
                    place = FieldRef(spec.name, spec.column, row["id"])
                    sealed, key_id = reseal(bytes(sealed), place, row["owner"])
                updates.append(
                    (row["id"], sealed, key_id, row["part"])
                    if spec.partition_key
                    else (row["id"], sealed, key_id)
                )
            await self._conn.executemany(
                f"""UPDATE legal.{spec.name} SET {spec.column} = $2, key_id = $3
                    WHERE {spec.match}""",
                updates,
            )
        return len(updates)

    async def remaining(self, current: str) -> dict[str, int]:
        """Rows still due, by table."""
        counts = {}
        for spec in TABLES:
            counts[spec.name] = await self._conn.fetchval(
                f"SELECT count(*) FROM legal.{spec.name} WHERE {spec.due}",
                *([] if spec.by_account else [current]),
            )
        return counts
