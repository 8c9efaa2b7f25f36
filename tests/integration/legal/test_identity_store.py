"""The legal service's identity store on the real stack: sealed at rest, found by blind index,
invalid values dead-lettered without their value, keys rotated while it runs."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import uuid
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from pydantic import SecretStr

from services.legal.adapters.postgres import legal_unit
from services.legal.adapters.postgres.identity_store import (
    PostgresIdentity,
    account_rows,
    apply,
    users_by_phone_number,
)
from services.legal.adapters.postgres.rotation import PostgresRotation
from services.legal.config import LegalSettings
from services.legal.core.fieldcrypt import ACCOUNT_KEY, AccountKey, FieldCipher, FieldOpener
from services.legal.core.identity import changes_for, open_record
from services.legal.handlers.rotation import rotate_batch
from services.legal.service import SPEC as LEGAL
from shared.config import Settings
from shared.events.identity import IdentityEvent
from shared.kafka import apply_topics
from shared.topics import (
    IDENTITY_EVENTS,
    LEGAL_AUDIT_CHECKPOINTS,
    LEGAL_DISCLOSURES,
    LEGAL_REQUESTS,
    USER_NOTIFICATIONS,
    wire_name,
)
from tests.integration.conftest import eventually, read_topic, running

pytestmark = pytest.mark.integration

PHONE = "+33 6 12 34 56 78"
E164 = "+33612345678"
NEW_PHONE = "+33698765432"
IPV6 = "2001:db8::42"


def event(kind: str, user: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"schema_version": 1, "event_id": uuid.uuid4().hex, "platform_user_id": user,
            "occurred_at": at, "event_type": kind, **fields}  # fmt: skip


async def send(
    producer: AIOKafkaProducer, settings: Settings, bodies: list[dict[str, Any]]
) -> None:
    topic = wire_name(IDENTITY_EVENTS.name, settings.topic_prefix)
    for body in bodies:
        await producer.send_and_wait(
            topic, json.dumps(body).encode(), key=body["platform_user_id"].encode()
        )


@pytest.fixture
async def legal_settings(settings: Settings) -> Settings:
    # Every topic the legal service reads or writes exists, as after `crible topics apply`:
    # a consumer left waiting for a missing topic made its stop outlast the test's minute.
    topics = [IDENTITY_EVENTS, LEGAL_REQUESTS, LEGAL_DISCLOSURES, USER_NOTIFICATIONS]
    await apply_topics(settings, [*topics, *(t.dlq() for t in topics), LEGAL_AUDIT_CHECKPOINTS])
    return settings


async def test_identity_events_are_sealed_at_rest_and_opened_only_with_the_keys(
    legal_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = legal_settings
    registered = event("account.registered", "u1", "2026-01-10T09:00:00+01:00",
                       phone_number=PHONE, username="Marie_Dupont")  # fmt: skip
    bodies = [
        registered,
        event(
            "session.observed",
            "u1",
            "2026-03-01T22:15:07+01:00",
            ip_address="203.0.113.7",
            source_port=51234,
        ),
        event(
            "session.observed", "u1", "2026-03-02T08:00:00+00:00", ip_address=IPV6, source_port=443
        ),
        event(
            "account.phone_number_changed",
            "u1",
            "2026-04-01T12:00:00+02:00",
            phone_number=NEW_PHONE,
        ),
        registered,  # redelivered: changes nothing
        event("account.closed", "u1", "2026-06-30T00:00:00+02:00"),
        # Invalid values: dead-lettered, never echoed.
        event("account.registered", "u2", "2026-01-10T09:00:00+01:00", phone_number="12"),
        event(
            "session.observed",
            "u3",
            "2026-03-01T22:15:07+01:00",
            ip_address="999.1.1.1",
            source_port=80,
        ),
    ]
    with caplog.at_level(logging.DEBUG):
        async with running(LEGAL, settings):
            await send(producer, settings, bodies)
            await eventually(
                lambda: db.fetchval(
                    "SELECT closed_at IS NOT NULL FROM legal.accounts WHERE platform_user_id = 'u1'"
                )
            )
            dead = await read_topic(
                settings, IDENTITY_EVENTS.dlq().name, until=lambda r: len(r) >= 2
            )

    # At rest: no phone number, address or username in any column of any row.
    dump = ""
    for table in ("accounts", "phone_numbers", "sessions"):
        table_rows = await db.fetch(f"SELECT * FROM legal.{table}")
        dump += "".join(str(dict(r)) for r in table_rows)
    raw_rows = await db.fetch(
        "SELECT phone_number FROM legal.phone_numbers UNION ALL SELECT address FROM legal.sessions"
    )
    for secret in (E164, NEW_PHONE, "203.0.113.7", IPV6, "Marie_Dupont"):
        assert secret not in dump
        assert all(secret.encode() not in bytes(r[0]) for r in raw_rows)
    assert await db.fetchval("SELECT count(*) FROM legal.phone_numbers") == 2
    assert await db.fetchval("SELECT count(*) FROM legal.sessions") == 2

    # Each account's fields are sealed with its own key, itself wrapped by the configured one.
    assert {r["key_id"] for r in await db.fetch("SELECT key_id FROM legal.sessions")} == {
        ACCOUNT_KEY
    }
    wrapped = await db.fetchval(
        "SELECT data_key FROM legal.account_keys WHERE platform_user_id = 'u1'"
    )
    assert wrapped is not None
    # With the keys: the record comes back, numbers with their periods, times as observed.
    config = LegalSettings()
    rows = await account_rows(db, "u1")
    assert rows is not None
    account, phones, sessions = rows
    opener = await opener_of(db, "u1", config.cipher())
    record = open_record(account, phone_numbers=phones, sessions=sessions, cipher=opener)
    assert [(p.phone_number, p.until is None) for p in record.phone_numbers] == [
        (E164, False),
        (NEW_PHONE, True),
    ]
    assert [(s.ip_address, s.source_port) for s in record.sessions] == [
        ("203.0.113.7", 51234),
        (IPV6, 443),
    ]
    assert record.sessions[0].observed_at.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    assert record.account.closed_at is not None
    # Found by number through the blind index only.
    index = config.blind_index().phone_number(E164)
    assert await users_by_phone_number(db, index) == ["u1"]

    # Dead letters: the reason names the field, never the value; no payload is copied.
    headers = [dict(r.headers) for r in dead]
    reasons = [h["crible.error.message"].decode() for h in headers]
    assert any("phone_number" in r for r in reasons)
    assert any("ip_address" in r for r in reasons)
    assert all(r.value in (b"", None) for r in dead)
    # Crible's own log lines (the test's producer logs what it sends at DEBUG: not ours).
    ours = [r for r in caplog.records if r.name.startswith(("services", "shared"))]
    assert ours  # the service did log (started, consumed, dead-lettered)
    for text in reasons + [r.getMessage() + str(r.__dict__) for r in ours]:
        for secret in ("999.1.1.1", E164, NEW_PHONE, "203.0.113.7", IPV6):
            assert secret not in text


async def opener_of(db: asyncpg.Connection, user: str, cipher: FieldCipher) -> FieldOpener:
    """What opens ``user``'s fields: their account key, unwrapped with ``cipher``."""
    wrapped = await PostgresIdentity(db).account_keys([user])
    key = AccountKey.unwrap(wrapped[user], cipher=cipher, user=user) if user in wrapped else None
    return FieldOpener(cipher, key)


async def test_rotate_key_moves_old_rows_to_account_keys_and_rewraps_while_writing(
    legal_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = legal_settings
    old = LegalSettings()
    # Ten accounts as the store held them before account keys: each field under a key
    # derived from the configured one.
    legacy = [f"old{i}" for i in range(10)]
    changes = [
        change
        for i, user in enumerate(legacy)
        for change in changes_for(
            IdentityEvent.model_validate_json(json.dumps(event(
                "account.registered", user, "2025-06-01T09:00:00+02:00",
                phone_number=f"+3361111{i:04d}", username=f"old_{i}",
            ))).root,
            cipher=old.cipher(),
            index=old.blind_index(),
        )
    ]  # fmt: skip
    async with db.transaction():
        await apply(db, changes)
    # Twenty written by the service, under their own account keys.
    users = [f"r{i}" for i in range(20)]
    async with running(LEGAL, settings):
        await send(
            producer,
            settings,
            [
                event(
                    "account.registered",
                    u,
                    "2026-01-10T09:00:00+01:00",
                    phone_number=f"+3361234{i:04d}",
                    username=f"user{i}",
                )
                for i, u in enumerate(users)
            ],
        )
        await eventually(lambda: db.fetchval("SELECT count(*) = 30 FROM legal.accounts"))
    # A new key becomes current; the old one stays until nothing uses it.
    new_key = base64.b64encode(secrets.token_bytes(32)).decode()
    keys = {k: v.get_secret_value() for k, v in old.field_keys.items()} | {"rot2": new_key}
    monkeypatch.setenv("CRIBLE_LEGAL_FIELD_KEYS", json.dumps(keys))
    monkeypatch.setenv("CRIBLE_LEGAL_CURRENT_KEY", "rot2")
    rotated = LegalSettings()
    cipher = rotated.cipher()
    unit = legal_unit(db, rotated.keys())
    moved: dict[str, int] = {}
    async with running(LEGAL, settings):
        # Writes go on while the rows move, in batches of 7.
        session = event(
            "session.observed",
            "r0",
            "2026-03-01T10:00:00Z",
            ip_address="198.51.100.9",
            source_port=1024,
        )
        await send(producer, settings, [session])
        while any(
            (batch := await rotate_batch(PostgresRotation(db), unit, cipher, batch=7)).values()
        ):
            for table, count in batch.items():
                moved[table] = moved.get(table, 0) + count
        await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM legal.sessions"))
    # The old accounts' fields moved to account keys; the others' keys were re-wrapped,
    # not their fields re-encrypted.
    assert (moved["accounts"], moved["phone_numbers"]) == (10, 10)
    assert moved["account_keys"] == 20
    assert set((await PostgresRotation(db).remaining("rot2")).values()) == {0}
    assert {r["key_id"] for r in await db.fetch("SELECT key_id FROM legal.phone_numbers")} == {
        ACCOUNT_KEY
    }
    # Readable with the new key alone: the old one can go.
    only_new = {"rot2": SecretStr(new_key)}
    alone = LegalSettings(
        field_keys=only_new, current_key="rot2", index_key=rotated.index_key
    ).cipher()
    for user in users + legacy:
        rows = await account_rows(db, user)
        assert rows is not None
        account, phones, sessions = rows
        opener = await opener_of(db, user, alone)
        record = open_record(account, phone_numbers=phones, sessions=sessions, cipher=opener)
        name = f"user{users.index(user)}" if user in users else f"old_{legacy.index(user)}"
        assert record.account.username == name
