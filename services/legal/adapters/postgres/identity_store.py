"""The identity store in PostgreSQL: applies ``identity.changes_for``'s writes, reads rows back.

Every write is idempotent (a redelivered event changes nothing) and commutes with its
neighbours where the platform may send them out of order: a phone number that arrives after
a later one is recorded with the period it had.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from services.legal.core.fieldcrypt import Sealed
from services.legal.core.identity import (
    AccountRow,
    CloseAccount,
    IdentityChange,
    InsertSession,
    OpenPhoneNumber,
    PhoneNumberRow,
    SessionRow,
    SetUsername,
    UpsertAccount,
)
from services.legal.core.model import Scope
from shared.db import Connection
from shared.events.legal import DataCategory


def _packed(sealed: Sealed | None) -> bytes | None:
    return None if sealed is None else sealed.pack()


class PostgresIdentity:
    """``IdentityStore`` over ``legal.accounts``, ``phone_numbers`` and ``sessions``."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def apply(self, changes: Sequence[IdentityChange]) -> None:
        """Write ``changes`` in order, in the caller's transaction."""
        await apply(self._conn, changes)

    async def account_rows(
        self, platform_user_id: str, scope: Scope | None = None
    ) -> tuple[AccountRow, list[PhoneNumberRow], list[SessionRow]] | None:
        """One account's sealed rows within ``scope``."""
        return await account_rows(self._conn, platform_user_id, scope)

    async def account_exists(self, platform_user_id: str) -> bool:
        """Whether the store holds this account."""
        found = await self._conn.fetchval(
            "SELECT 1 FROM legal.accounts WHERE platform_user_id = $1", platform_user_id
        )
        return found is not None

    async def counts_in_scope(self, platform_user_id: str, scope: Scope) -> dict[str, int]:
        """How many phone numbers and sessions ``scope`` holds (as ``account_rows`` reads)."""
        row = await self._conn.fetchrow(
            """SELECT (SELECT count(*) FROM legal.phone_numbers
                       WHERE platform_user_id = $1 AND since <= $3
                         AND (until IS NULL OR until >= $2)) AS phone_numbers,
                      (SELECT count(*) FROM legal.sessions
                       WHERE platform_user_id = $1
                         AND observed_at BETWEEN $2 AND $3) AS sessions""",
            platform_user_id,
            scope.date_from,
            scope.date_to,
        )
        return {"phone_numbers": 0, "sessions": 0} if row is None else dict(row)

    async def users_by_phone_number(self, index: bytes) -> list[str]:
        """The accounts that had a number, by its blind index."""
        return await users_by_phone_number(self._conn, index)

    async def users_by_username(self, index: bytes) -> list[str]:
        """The accounts whose current username has this blind index."""
        return await users_by_username(self._conn, index)

    async def account_keys(self, users: Sequence[str]) -> dict[str, Sealed]:
        """The wrapped data keys of those of ``users`` that have one."""
        rows = await self._conn.fetch(
            """SELECT platform_user_id, data_key FROM legal.account_keys
               WHERE platform_user_id = ANY($1::text[])""",
            list(users),
        )
        return {r["platform_user_id"]: Sealed.unpack(r["data_key"]) for r in rows}

    async def add_account_keys(self, wrapped: Mapping[str, Sealed]) -> None:
        """Keep new wrapped data keys; a concurrent writer's key, if first, stays."""
        await self._conn.executemany(
            """INSERT INTO legal.account_keys (platform_user_id, data_key, key_id)
               VALUES ($1, $2, $3) ON CONFLICT (platform_user_id) DO NOTHING""",
            [(user, sealed.pack(), sealed.key_id) for user, sealed in wrapped.items()],
        )


async def apply(conn: Connection, changes: Sequence[IdentityChange]) -> None:
    """Write ``changes`` in order, in the caller's transaction."""
    for change in changes:
        match change:
            case UpsertAccount():
                await conn.execute(
                    """INSERT INTO legal.accounts (platform_user_id, registered_at, username,
                           username_index, key_id, updated_at)
                       VALUES ($1, $2, $3, $4, $5, now())
                       ON CONFLICT (platform_user_id) DO NOTHING""",
                    change.platform_user_id,
                    change.registered_at,
                    _packed(None if change.username is None else change.username.sealed),
                    None if change.username is None else change.username.index,
                    change.key_id,
                )
            case SetUsername():
                await conn.execute(
                    """UPDATE legal.accounts SET username = $2, username_index = $3,
                           key_id = $4, updated_at = now()
                       WHERE platform_user_id = $1""",
                    change.platform_user_id,
                    _packed(None if change.username is None else change.username.sealed),
                    None if change.username is None else change.username.index,
                    change.key_id,
                )
            case CloseAccount():
                await conn.execute(
                    """UPDATE legal.accounts SET closed_at = coalesce(closed_at, $2),
                           updated_at = now()
                       WHERE platform_user_id = $1""",
                    change.platform_user_id,
                    change.closed_at,
                )
            case OpenPhoneNumber():
                await _open_phone_number(conn, change)
            case InsertSession():
                await conn.execute(
                    """INSERT INTO legal.sessions (row_id, platform_user_id, observed_at,
                           utc_offset_minutes, address, key_id)
                       VALUES ($1, $2, $3, $4, $5, $6)
                       ON CONFLICT (row_id, observed_at) DO NOTHING""",
                    change.row_id,
                    change.platform_user_id,
                    change.observed_at,
                    change.utc_offset_minutes,
                    change.address.pack(),
                    change.key_id,
                )


async def _open_phone_number(conn: Connection, change: OpenPhoneNumber) -> None:
    """Record a number from ``since``; the periods of the account's numbers stay contiguous."""
    inserted = await conn.fetchval(
        """INSERT INTO legal.phone_numbers (row_id, platform_user_id, since, phone_number,
               phone_index, key_id)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (row_id) DO NOTHING RETURNING 1""",
        change.row_id,
        change.platform_user_id,
        change.since,
        change.phone_number.pack(),
        change.index,
        change.key_id,
    )
    if inserted is None:
        return  # a redelivery
    # Each number lasts until the next one of the account began, whatever the arrival order.
    await conn.execute(
        """UPDATE legal.phone_numbers p SET until = (
               SELECT min(n.since) FROM legal.phone_numbers n
               WHERE n.platform_user_id = p.platform_user_id AND n.since > p.since)
           WHERE p.platform_user_id = $1""",
        change.platform_user_id,
    )


async def account_rows(
    conn: Connection, platform_user_id: str, scope: Scope | None = None
) -> tuple[AccountRow, list[PhoneNumberRow], list[SessionRow]] | None:
    """One account's sealed rows (what ``identity.open_record`` opens), or None.

    With a ``scope``, only what it allows is read at all: phone numbers the account had
    during the period when subscriber data is approved, sessions observed during it when
    identification data is. What is not approved is never decrypted.
    """
    account = await conn.fetchrow(
        "SELECT * FROM legal.accounts WHERE platform_user_id = $1", platform_user_id
    )
    if account is None:
        return None
    low, high = (None, None) if scope is None else (scope.date_from, scope.date_to)
    subscriber = scope is None or DataCategory.SUBSCRIBER in scope.categories
    identification = scope is None or DataCategory.IDENTIFICATION in scope.categories
    phones = []
    if subscriber:
        phones = await conn.fetch(
            """SELECT row_id, since, until, phone_number FROM legal.phone_numbers
               WHERE platform_user_id = $1 AND ($2::timestamptz IS NULL OR since <= $2)
                 AND ($3::timestamptz IS NULL OR until IS NULL OR until >= $3)
               ORDER BY since""",
            platform_user_id,
            high,
            low,
        )
    sessions = []
    if identification:
        sessions = await conn.fetch(
            """SELECT row_id, observed_at, utc_offset_minutes, address FROM legal.sessions
               WHERE platform_user_id = $1
                 AND observed_at BETWEEN coalesce($2, '-infinity'::timestamptz)
                                     AND coalesce($3, 'infinity'::timestamptz)
               ORDER BY observed_at""",
            platform_user_id,
            low,
            high,
        )
    unpack = Sealed.unpack
    return (
        AccountRow(
            account["platform_user_id"],
            account["registered_at"],
            account["closed_at"],
            None if account["username"] is None else unpack(account["username"]),
        ),
        [PhoneNumberRow(p[0], p[1], p[2], unpack(p[3])) for p in phones],
        # Each record holds SessionRow's columns in its order and unpacks as it does.
        cast("list[SessionRow]", sessions),
    )


async def users_by_phone_number(conn: Connection, index: bytes) -> list[str]:
    """The accounts that had a number, by its blind index (never by the number itself)."""
    rows = await conn.fetch(
        """SELECT DISTINCT platform_user_id FROM legal.phone_numbers WHERE phone_index = $1
           ORDER BY platform_user_id""",
        index,
    )
    return [r["platform_user_id"] for r in rows]


async def users_by_username(conn: Connection, index: bytes) -> list[str]:
    """The accounts whose current username has this blind index."""
    rows = await conn.fetch(
        "SELECT platform_user_id FROM legal.accounts WHERE username_index = $1 ORDER BY 1",
        index,
    )
    return [r["platform_user_id"] for r in rows]
