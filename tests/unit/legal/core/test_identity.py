"""Identity events become sealed rows, and the rows open back into the record disclosed."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from services.legal.core.fieldcrypt import (
    ACCOUNT_KEY,
    AccountKey,
    BlindIndex,
    DecryptionError,
    FieldCipher,
    FieldOpener,
    FieldRef,
    KeyRing,
)
from services.legal.core.identity import (
    AccountRow,
    CloseAccount,
    InsertSession,
    OpenPhoneNumber,
    PhoneNumberRow,
    SessionRow,
    SetUsername,
    UpsertAccount,
    changes_for,
    open_record,
)
from shared.events.identity import AnyIdentityEvent, IdentityEvent

CIPHER = FieldCipher(KeyRing({"k1": os.urandom(32)}, current="k1"))
INDEX = BlindIndex(os.urandom(32))
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))


def event(event_type: str, event_id: str, **fields: Any) -> AnyIdentityEvent:
    payload = {
        "schema_version": 1,
        "event_id": event_id,
        "platform_user_id": "u1",
        "occurred_at": T0.isoformat(),
        "event_type": event_type,
        **fields,
    }
    return IdentityEvent.model_validate_json(json.dumps(payload)).root


def test_a_registration_seals_the_number_and_indexes_it() -> None:
    changes = changes_for(
        event("account.registered", "e1", phone_number="+33 6 12 34 56 78", username="Jean"),
        cipher=CIPHER,
        index=INDEX,
    )
    account, phone = changes
    assert isinstance(account, UpsertAccount)
    assert isinstance(phone, OpenPhoneNumber)
    assert phone.index == INDEX.phone_number("+33612345678")
    assert account.username is not None
    assert account.username.index == INDEX.username("jean")
    assert b"+33612345678" not in phone.phone_number.ciphertext
    assert phone.key_id == "k1"


def test_other_events_give_their_writes() -> None:
    [closed] = changes_for(event("account.closed", "e2"), cipher=CIPHER, index=INDEX)
    assert closed == CloseAccount("u1", T0)
    [renamed] = changes_for(
        event("account.username_changed", "e3", username=None), cipher=CIPHER, index=INDEX
    )
    assert renamed == SetUsername("u1", None, "k1")


def test_rows_open_back_into_the_record_with_the_session_time_zone() -> None:
    registered = changes_for(
        event("account.registered", "e1", phone_number="+33612345678", username="jean"),
        cipher=CIPHER,
        index=INDEX,
    )
    [session] = changes_for(
        event("session.observed", "e4", ip_address="2001:db8::1", source_port=51000),
        cipher=CIPHER,
        index=INDEX,
    )
    account, phone = registered
    assert isinstance(account, UpsertAccount)
    assert isinstance(phone, OpenPhoneNumber)
    assert isinstance(session, InsertSession)
    assert session.observed_at.tzinfo is UTC
    assert session.utc_offset_minutes == 60
    assert b"2001:db8::1" not in session.address.ciphertext
    record = open_record(
        AccountRow(
            "u1", account.registered_at, None, account.username.sealed if account.username else None
        ),
        phone_numbers=[PhoneNumberRow(phone.row_id, phone.since, None, phone.phone_number)],
        sessions=[
            SessionRow(
                session.row_id,
                session.observed_at,
                session.utc_offset_minutes,
                session.address.pack(),
            )
        ],
        cipher=FieldOpener(CIPHER, None),
    )
    assert record.account.username == "jean"
    assert [p.phone_number for p in record.phone_numbers] == ["+33612345678"]
    [opened] = record.sessions
    assert (opened.ip_address, opened.source_port) == ("2001:db8::1", 51000)
    assert opened.observed_at == T0
    assert opened.observed_at.utcoffset() == timedelta(hours=1)


def test_a_session_address_copied_to_another_row_does_not_open() -> None:
    [one] = changes_for(
        event("session.observed", "e5", ip_address="192.0.2.1", source_port=1),
        cipher=CIPHER,
        index=INDEX,
    )
    assert isinstance(one, InsertSession)
    moved = SessionRow("u2/e9", one.observed_at, 0, one.address.pack())
    with pytest.raises(DecryptionError):
        open_record(
            AccountRow("u2", T0, None, None),
            phone_numbers=[],
            sessions=[moved],
            cipher=FieldOpener(CIPHER, None),
        )


def test_an_account_key_seals_its_fields_and_opens_only_its_own() -> None:
    key = AccountKey(bytes(range(32)))
    other = AccountKey(bytes(range(1, 33)))
    changes = changes_for(
        event("session.observed", "e6", ip_address="192.0.2.7", source_port=7),
        cipher=key,
        index=INDEX,
    )
    [session] = changes
    assert isinstance(session, InsertSession)
    assert session.key_id == ACCOUNT_KEY
    packed = session.address.pack()
    assert packed[0] == 2  # an account field: no salt, no key id
    assert b"192.0.2.7" not in packed
    row = SessionRow(session.row_id, session.observed_at, 0, packed)
    account = AccountRow("u1", T0, None, None)
    opened = open_record(account, phone_numbers=[], sessions=[row], cipher=FieldOpener(CIPHER, key))
    assert opened.sessions[0].ip_address == "192.0.2.7"
    for wrong in (FieldOpener(CIPHER, other), FieldOpener(CIPHER, None)):
        with pytest.raises(DecryptionError):
            open_record(account, phone_numbers=[], sessions=[row], cipher=wrong)
    # Another row of the same account: bound to its place, it does not open there either.
    elsewhere = SessionRow("u1/e7", session.observed_at, 0, packed)
    with pytest.raises(DecryptionError):
        open_record(
            account, phone_numbers=[], sessions=[elsewhere], cipher=FieldOpener(CIPHER, key)
        )


def test_an_account_key_is_kept_wrapped_by_the_configured_key() -> None:
    raw = bytes(range(32))
    wrapped = AccountKey.wrap(raw, cipher=CIPHER, user="u1")
    assert raw not in wrapped.pack()
    assert wrapped.key_id == CIPHER.current_key_id
    key = AccountKey.unwrap(wrapped, cipher=CIPHER, user="u1")
    sealed = key.encrypt(b"x", FieldRef("sessions", "address", "u1/e1"))
    assert AccountKey(raw).decrypt(sealed, FieldRef("sessions", "address", "u1/e1")) == b"x"
    with pytest.raises(DecryptionError):  # wrapped for another account
        AccountKey.unwrap(wrapped, cipher=CIPHER, user="u2")
