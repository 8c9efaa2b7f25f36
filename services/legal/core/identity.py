"""The identity store's rows: identity events in, sealed rows out, and back for a disclosure.

:func:`changes_for` turns one validated identity event into the writes the store applies,
every personal value sealed (:mod:`services.legal.core.fieldcrypt`) and phone numbers and
usernames indexed blindly; :func:`open_record` turns the rows of one account back into the
plaintext record a disclosure is built from (inside the service only).

Tables (what the adapter creates; times are ``timestamptz``):

- ``accounts``: platform user id (key), sealed username and its index, registered and
  closed times. Civil identity: kept until 5 years after ``closed_at`` (décret 2021-1362).
- ``phone_numbers``: one row per number the account had (row id, user, sealed number, its
  index, ``since``, ``until``). Civil identity, same retention as the account.
- ``sessions``: one row per connection (row id, user, ``observed_at`` in UTC, the UTC offset
  as observed in minutes, sealed address and port). Connection data: kept 1 year after
  ``observed_at`` (décret 2021-1362).

Every row carries ``key_id`` (the key its fields are sealed under) so rotation finds the rows
still under an old key. A row id is ``<platform user id>/<event id>``; sealed values are bound
to it, so they cannot be moved between rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import NamedTuple, Protocol

import orjson

from services.legal.core.fieldcrypt import ACCOUNT_KEY, BlindIndex, FieldCipher, FieldRef, Sealed
from services.legal.core.package import Account, IdentityRecord, PhoneNumberPeriod, Session
from shared.events.identity import (
    AccountClosed,
    AccountRegistered,
    AnyIdentityEvent,
    PhoneNumberChanged,
    SessionObserved,
    UsernameChanged,
)

ACCOUNTS, PHONE_NUMBERS, SESSIONS = "accounts", "phone_numbers", "sessions"


@dataclass(frozen=True, slots=True)
class SealedUsername:
    """A username sealed for its account row, and its blind index."""

    sealed: Sealed
    index: bytes


@dataclass(frozen=True, slots=True)
class UpsertAccount:
    """Create the account (a redelivered registration changes nothing)."""

    platform_user_id: str
    registered_at: datetime
    username: SealedUsername | None
    key_id: str


@dataclass(frozen=True, slots=True)
class SetUsername:
    """Replace the account's username (``None``: it has none now)."""

    platform_user_id: str
    username: SealedUsername | None
    key_id: str


@dataclass(frozen=True, slots=True)
class CloseAccount:
    """The account ended at ``closed_at``: retention of its civil identity starts."""

    platform_user_id: str
    closed_at: datetime


@dataclass(frozen=True, slots=True)
class OpenPhoneNumber:
    """End the account's current number at ``since`` (if any), then record this one."""

    row_id: str
    platform_user_id: str
    since: datetime
    phone_number: Sealed
    index: bytes
    key_id: str


@dataclass(frozen=True, slots=True)
class InsertSession:
    """Record one connection (a redelivery with the same row id changes nothing)."""

    row_id: str
    platform_user_id: str
    observed_at: datetime  # UTC
    utc_offset_minutes: int  # as observed; timestamptz keeps only the instant
    address: Sealed  # the IP address and source port, sealed together
    key_id: str


IdentityChange = UpsertAccount | SetUsername | CloseAccount | OpenPhoneNumber | InsertSession


def row_id(event: AnyIdentityEvent) -> str:
    """The id of the row an event creates."""
    return f"{event.platform_user_id}/{event.event_id}"


class Sealer(Protocol):
    """What seals a field: the account's key (:class:`AccountKey`) or a configured one."""

    def encrypt(self, plaintext: bytes, where: FieldRef) -> Sealed:
        """Seal ``plaintext`` for one table, column and row."""
        ...


class Opener(Protocol):
    """What opens an account's fields (:class:`FieldOpener`)."""

    def decrypt(self, sealed: Sealed, where: FieldRef) -> bytes:
        """The field's plaintext."""
        ...

    def decrypt_text(self, sealed: Sealed, where: FieldRef) -> str:
        """The field's text."""
        ...

    def column(self, table: str, column: str) -> Callable[[bytes, str], bytes]:
        """Opens packed fields of one column, by row id."""
        ...


def sealer_key_id(sealer: Sealer) -> str:
    """The key id the rows a sealer writes carry (rotation finds the others by it)."""
    return sealer.current_key_id if isinstance(sealer, FieldCipher) else ACCOUNT_KEY


def changes_for(
    event: AnyIdentityEvent, *, cipher: Sealer, index: BlindIndex
) -> list[IdentityChange]:
    """The store writes one identity event makes, personal values sealed with ``cipher``.

    ``cipher`` is the account's key (what the service uses), or a configured key (what the
    store held before envelope keys, still read).
    """
    user = event.platform_user_id
    key_id = sealer_key_id(cipher)
    match event:
        case AccountRegistered():
            return [
                UpsertAccount(
                    user,
                    event.occurred_at,
                    _username(event.username, user, cipher=cipher, index=index),
                    key_id,
                ),
                _phone(event.phone_number, event, cipher=cipher, index=index),
            ]
        case PhoneNumberChanged():
            return [_phone(event.phone_number, event, cipher=cipher, index=index)]
        case UsernameChanged():
            return [
                SetUsername(
                    user, _username(event.username, user, cipher=cipher, index=index), key_id
                )
            ]
        case AccountClosed():
            return [CloseAccount(user, event.occurred_at)]
        case SessionObserved():
            rid = row_id(event)
            offset = event.occurred_at.utcoffset() or timedelta()
            address = orjson.dumps([event.ip_address, event.source_port])
            return [
                InsertSession(
                    row_id=rid,
                    platform_user_id=user,
                    observed_at=event.occurred_at.astimezone(UTC),
                    utc_offset_minutes=int(offset.total_seconds() // 60),
                    address=cipher.encrypt(address, FieldRef(SESSIONS, "address", rid)),
                    key_id=key_id,
                )
            ]


def _username(
    username: str | None, user: str, *, cipher: Sealer, index: BlindIndex
) -> SealedUsername | None:
    if username is None:
        return None
    sealed = cipher.encrypt(username.encode(), FieldRef(ACCOUNTS, "username", user))
    return SealedUsername(sealed, index.username(username))


def _phone(
    e164: str,
    event: AccountRegistered | PhoneNumberChanged,
    *,
    cipher: Sealer,
    index: BlindIndex,
) -> OpenPhoneNumber:
    rid = row_id(event)
    return OpenPhoneNumber(
        row_id=rid,
        platform_user_id=event.platform_user_id,
        since=event.occurred_at,
        phone_number=cipher.encrypt(e164.encode(), FieldRef(PHONE_NUMBERS, "phone_number", rid)),
        index=index.phone_number(e164),
        key_id=sealer_key_id(cipher),
    )


@dataclass(frozen=True, slots=True)
class AccountRow:
    """An ``accounts`` row as read back."""

    platform_user_id: str
    registered_at: datetime
    closed_at: datetime | None
    username: Sealed | None


@dataclass(frozen=True, slots=True)
class PhoneNumberRow:
    """A ``phone_numbers`` row as read back."""

    row_id: str
    since: datetime
    until: datetime | None
    phone_number: Sealed


class SessionRow(NamedTuple):
    """A ``sessions`` row as read back, in the columns' order.

    The address stays as stored (``Sealed.pack()``): a year of sessions is opened in one
    pass (:meth:`FieldOpener.column`). A tuple, so that the store may hand over its rows as
    they come (a database record unpacks the same way) instead of copying 100,000 of them.
    """

    row_id: str
    observed_at: datetime
    utc_offset_minutes: int
    address: bytes


def open_record(
    account: AccountRow,
    *,
    phone_numbers: list[PhoneNumberRow],
    sessions: Sequence[SessionRow],
    cipher: Opener,
) -> IdentityRecord:
    """One account's rows, decrypted: what :func:`services.legal.core.package.minimise` takes."""
    user = account.platform_user_id
    username = None
    if account.username is not None:
        username = cipher.decrypt_text(account.username, FieldRef(ACCOUNTS, "username", user))
    phones = tuple(
        PhoneNumberPeriod(
            cipher.decrypt_text(p.phone_number, FieldRef(PHONE_NUMBERS, "phone_number", p.row_id)),
            since=p.since,
            until=p.until,
        )
        for p in sorted(phone_numbers, key=lambda p: p.since)
    )
    return IdentityRecord(
        account=Account(user, username, account.registered_at, account.closed_at),
        phone_numbers=phones,
        sessions=_sessions(sessions, cipher),
    )


def _sessions(rows: Sequence[SessionRow], cipher: Opener) -> tuple[Session, ...]:
    open_address, loads = cipher.column(SESSIONS, "address"), orjson.loads
    opened = []
    for row_id, observed_at, utc_offset_minutes, address in rows:
        ip_address, source_port = loads(open_address(address, row_id))
        utc = observed_at  # timestamptz: the instant, read back in UTC
        if utc.tzinfo is not UTC:
            utc = utc.astimezone(UTC)
        at = utc.astimezone(_zone(utc_offset_minutes))
        opened.append(Session(at, str(ip_address), int(source_port), utc))
    return tuple(opened)


@functools.lru_cache(maxsize=128)
def _zone(minutes: int) -> timezone:
    return timezone(timedelta(minutes=minutes))
