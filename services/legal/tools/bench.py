"""``crible bench legal``: the identity store's intake rate, and the time to build a package.

1. Intake: ``--events`` identity events (a tenth registrations with phone numbers and
   usernames, the rest sessions over IPv4 and IPv6) are published under a topic prefix of
   their own, then ``crible run legal`` (``--workers`` processes) seals and stores them:
   every value encrypted with AES-256-GCM, phone numbers and usernames indexed by HMAC. The
   group's commits are timed from outside (``shared.cli.bench.observe``).
2. Approval to package: one account with ``--sessions`` sessions inside the requested
   period is stored (sealed, as the consumer stores them); a request for its subscriber and
   identification data is prepared by one officer, and the time of the second officer's
   approval (open the rows, minimise, build, sign and encrypt the package) is printed.

The bench writes its own rows (accounts ``bench-*``) into the configured database's legal
schema, and removes them at the end; it leaves the audit chain's entries (append-only).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import uvloop
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services import SERVICES
from services.legal.adapters.postgres import legal_unit
from services.legal.adapters.postgres.identity_store import apply
from services.legal.config import LegalSettings
from services.legal.core.approval import Officer, OfficerRole
from services.legal.core.identity import changes_for
from services.legal.handlers import disclosure
from shared.cli.bench import observe
from shared.cli.registry import Registry
from shared.config import Settings
from shared.db import migrate
from shared.events.identity import IdentityEvent
from shared.kafka import apply_topics, delete_topics, make_plain_producer
from shared.topics import IDENTITY_EVENTS, wire_name

#: Targets of the issue, on this machine.
INTAKE_TARGET = 5_000.0
PACKAGE_TARGET_SECONDS = 2.0


def run(settings: Settings, options: Sequence[str]) -> int:
    """Entry point of ``crible bench legal``."""
    parser = argparse.ArgumentParser(prog="crible bench legal", description=__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="identity events")
    parser.add_argument("--workers", type=int, default=1, help="legal processes")
    parser.add_argument("--sessions", type=int, default=100_000, help="sessions in range")
    args = parser.parse_args(list(options))
    return uvloop.run(_bench(settings, args))


async def _bench(settings: Settings, args: argparse.Namespace) -> int:
    dsn = settings.database_url.get_secret_value()
    await migrate(dsn, Registry(SERVICES).migrations())
    rate = await _intake(settings, args.events, args.workers)
    print(
        f"identity intake: {rate:,.0f} events/s with {args.workers} worker(s) "
        f"({args.events:,} events; target {INTAKE_TARGET:,.0f}/s: "
        f"{'met' if rate >= INTAKE_TARGET else 'NOT met'})",
        flush=True,
    )
    conn = await asyncpg.connect(dsn)
    try:
        seconds, counts = await _package(conn, args.sessions)
    finally:
        await _clean(conn)
        await conn.close()
    print(
        f"approval to package: {seconds:.2f} s for {counts['sessions']:,} sessions and "
        f"{counts['phone_numbers']} phone number(s) (target < {PACKAGE_TARGET_SECONDS:.0f} s: "
        f"{'met' if seconds < PACKAGE_TARGET_SECONDS else 'NOT met'})",
        flush=True,
    )
    return 0


def _events(count: int) -> list[dict[str, Any]]:
    rng = random.Random(11)  # noqa: S311 - test data
    now = datetime.now(UTC)
    users = max(1, count // 10)
    events: list[dict[str, Any]] = []
    for i in range(count):
        user = f"bench-{rng.randrange(users)}" if i >= users else f"bench-{i}"
        at = (now - timedelta(seconds=rng.randrange(30 * 86400))).isoformat()
        common = {"schema_version": 1, "event_id": uuid.uuid4().hex, "platform_user_id": user,
                  "occurred_at": at}  # fmt: skip
        if i < users:
            events.append(common | {"event_type": "account.registered",
                                    "phone_number": f"+336{rng.randrange(10**8):08d}",
                                    "username": f"user_{i}"})  # fmt: skip
        elif rng.random() < 0.7:
            address = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.1"
            events.append(common | {"event_type": "session.observed", "ip_address": address,
                                    "source_port": rng.randrange(1, 65536)})  # fmt: skip
        else:
            address = f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(65536):x}"
            events.append(common | {"event_type": "session.observed", "ip_address": address,
                                    "source_port": rng.randrange(1, 65536)})  # fmt: skip
    return events


async def _intake(settings: Settings, count: int, workers: int) -> float:
    bench = settings.model_copy(update={"topic_prefix": f"bench{time.time_ns()}."})
    await apply_topics(bench, [IDENTITY_EVENTS, IDENTITY_EVENTS.dlq()])
    topic = wire_name(IDENTITY_EVENTS.name, bench.topic_prefix)
    producer = make_plain_producer(bench, linger_ms=20, max_batch_size=512 * 1024, acks="all")
    await producer.start()
    try:
        futures = [
            await producer.send(topic, json.dumps(e).encode(), key=e["platform_user_id"].encode())
            for e in _events(count)
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    env = dict(os.environ, CRIBLE_TOPIC_PREFIX=bench.topic_prefix, CRIBLE_METRICS_PORT="0")
    try:
        measured = await observe(
            bench,
            [sys.executable, "-m", "services", "run", "legal"],
            env=env,
            group=bench.topic_prefix + "crible-legal.identity",
            topic=topic,
            total=count,
            workers=workers,
        )
    finally:
        await delete_topics(bench)
    return measured.rate


async def _package(conn: asyncpg.Connection, sessions: int) -> tuple[float, dict[str, int]]:
    """Seed one account with ``sessions`` sessions in range; time the approval."""
    settings = LegalSettings()
    cipher, index = settings.cipher(), settings.blind_index()
    user = f"bench-package-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    raw = [
        {"schema_version": 1, "event_id": f"reg-{user}", "platform_user_id": user,
         "occurred_at": (now - timedelta(days=200)).isoformat(),
         "event_type": "account.registered", "phone_number": "+33600000001"}
    ] + [
        {"schema_version": 1, "event_id": f"s{i}", "platform_user_id": user,
         "occurred_at": (now - timedelta(days=60, seconds=-i * 20)).isoformat(),
         "event_type": "session.observed", "ip_address": _address(i),
         "source_port": 1 + i % 65535}
        for i in range(sessions)
    ]  # fmt: skip
    changes = [
        c
        for body in raw
        for c in changes_for(
            IdentityEvent.model_validate_json(json.dumps(body)).root, cipher=cipher, index=index
        )
    ]
    async with conn.transaction():
        await apply(conn, changes)
    authority_key = X25519PrivateKey.generate().public_key()
    await conn.execute(
        """INSERT INTO legal.authorities (authority_id, name, country, kind, contact,
               signing_key, encryption_key)
           VALUES ('bench-authority', 'Bench', 'FR', 'prosecutor', 'bench', $1, $2)
           ON CONFLICT (authority_id) DO UPDATE SET encryption_key = EXCLUDED.encryption_key""",
        bytes(32),
        authority_key.public_bytes(Encoding.Raw, PublicFormat.Raw),
    )
    request_id = await _request(conn, settings, user, now)
    first = Officer("bench-officer-1", frozenset({OfficerRole.LEGAL_OFFICER}))
    second = Officer("bench-officer-2", frozenset({OfficerRole.LEGAL_OFFICER}))
    # The events a unit collects are not published here: the bench times the package.
    keys, policy = settings.keys(), settings.policy()
    async with conn.transaction():
        await disclosure.prepare(legal_unit(conn, keys), request_id, first)
    started = time.perf_counter()
    async with conn.transaction():
        counts = await disclosure.approve(
            legal_unit(conn, keys), request_id, second, policy=policy, now=datetime.now(UTC)
        )
    return time.perf_counter() - started, counts


def _address(i: int) -> str:
    return f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"


async def _request(
    conn: asyncpg.Connection, settings: LegalSettings, user: str, now: datetime
) -> uuid.UUID:
    """An accepted request for the user's subscriber and identification data (90 days)."""
    from services.legal.adapters.postgres.requests_store import PostgresRequests  # noqa: PLC0415
    from services.legal.core.deadlines import deadline_for  # noqa: PLC0415
    from shared.events.legal import LegalRequest  # noqa: PLC0415

    request = LegalRequest.model_validate_json(
        json.dumps({
            "schema_version": 1, "request_id": str(uuid.uuid4()), "instrument": "fr_cpp_60_1",
            "authority_id": "bench-authority", "official": {"name": "Bench"},
            "case_reference": "bench", "offence": "bench", "max_penalty_years": 5,
            "committed_online": True, "emergency": False,
            "target": {"kind": "platform_user_id", "value": user},
            "categories": ["subscriber", "identification"],
            "date_from": (now - timedelta(days=90)).isoformat(),
            "date_to": (now - timedelta(days=1)).isoformat(),
            "document_sha256": hashlib.sha256(b"bench").hexdigest(), "received_at": now.isoformat(),
        })
    )  # fmt: skip
    async with conn.transaction():
        await PostgresRequests(conn, settings.cipher()).store_received(
            request,
            document=b"bench",
            media_type="application/pdf",
            deadline=deadline_for(request, settings.deadlines()),
        )
        # As the legal checks leave it (the bench times the approval, not the checks).
        await conn.execute(
            "UPDATE legal.requests SET state = 'accepted' WHERE request_id = $1",
            request.request_id,
        )
    return request.request_id


async def _clean(conn: asyncpg.Connection) -> None:
    """Remove the bench's identity rows (requests and packages stay with their audit)."""
    await conn.execute("DELETE FROM legal.sessions WHERE platform_user_id LIKE 'bench-%'")
    await conn.execute("DELETE FROM legal.phone_numbers WHERE platform_user_id LIKE 'bench-%'")
    await conn.execute("DELETE FROM legal.accounts WHERE platform_user_id LIKE 'bench-%'")
