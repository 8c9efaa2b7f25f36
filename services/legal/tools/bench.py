"""``crible bench legal``: the identity store's intake rate, and the time to build a package.

1. Intake: ``--events`` identity events (a tenth registrations with phone numbers and
   usernames, the rest sessions over IPv4 and IPv6) are published under a topic prefix of
   their own, then ``crible run legal`` (``--workers`` processes) seals and stores them:
   every value encrypted with AES-256-GCM, phone numbers and usernames indexed by HMAC. The
   group's commits are timed from outside (``shared.cli.bench.observe``).
2. Approval to package: one account with ``--sessions`` sessions inside the requested
   period is stored, sealed with its own account key (as the consumer stores them now) or
   with a key derived per field (as rows written before envelope keys are), alternating
   ``--repeat`` times; a request for its subscriber and identification data is prepared by
   one registered officer, and the time of the second officer's approval (unwrap the key,
   open the rows, minimise, build, sign and encrypt the package) is printed for each.

The bench writes its own rows (accounts ``bench-*``) into the configured database's legal
schema, and removes them at the end; it leaves its requests, approvals and the audit chain's
entries, which are never deleted (the lifecycle's guards).

``--volume N`` measures the store at a platform's volume instead (``tools/volume.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import secrets
import statistics
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
from services.legal.adapters.postgres.principals import token_hash
from services.legal.config import LegalSettings
from services.legal.core.approval import Officer, OfficerRole
from services.legal.core.identity import Sealer, changes_for
from services.legal.handlers import disclosure
from services.legal.handlers.account_keys import AccountKeys
from services.legal.tools import volume
from shared.cli.bench import observe
from shared.cli.registry import Registry
from shared.config import Settings
from shared.db import migrate
from shared.events.identity import IdentityEvent
from shared.kafka import apply_topics, delete_topics, make_plain_producer
from shared.topics import IDENTITY_EVENTS, wire_name

#: Targets, on this machine.
INTAKE_TARGET = 10_000.0
PACKAGE_TARGET_SECONDS = 1.0


def run(settings: Settings, options: Sequence[str]) -> int:
    """Entry point of ``crible bench legal``."""
    parser = argparse.ArgumentParser(prog="crible bench legal", description=__doc__)
    parser.add_argument("--events", type=int, default=100_000, help="identity events")
    parser.add_argument("--workers", type=int, default=1, help="legal processes")
    parser.add_argument("--sessions", type=int, default=100_000, help="sessions in range")
    parser.add_argument("--repeat", type=int, default=3, help="approvals timed per format")
    parser.add_argument("--skip-intake", action="store_true", help="time approvals only")
    volume.add_arguments(parser)
    args = parser.parse_args(list(options))
    if args.volume:
        return uvloop.run(_volume(settings, args))
    return uvloop.run(_bench(settings, args))


async def _volume(settings: Settings, args: argparse.Namespace) -> int:
    await migrate(settings.database_url.get_secret_value(), Registry(SERVICES).migrations())

    async def intake(settings: Settings) -> float:
        return await _intake(settings, args.events, 1)

    async def preservation(conn: asyncpg.Connection, user: str, now: datetime) -> None:
        """A European Preservation Order on ``user``, approved by two officers."""
        await _authority(conn)
        keys, policy = LegalSettings().keys(), LegalSettings().policy()
        request_id = await _request(
            conn, LegalSettings(), user, now, instrument="eu_epoc_pr",
            categories=["identification"], days=(volume.DAYS, 1),
        )  # fmt: skip
        first, second = await _officers(conn)
        async with conn.transaction():
            await disclosure.prepare(legal_unit(conn, keys), request_id, first)
        async with conn.transaction():
            held = await disclosure.approve(
                legal_unit(conn, keys), request_id, second, policy=policy, now=now
            )
        if held != {"preserved": 1}:
            raise RuntimeError(f"the preservation order did not start: {held}")

    return await volume.run_volume(settings, args, intake=intake, preservation=preservation)


async def _bench(settings: Settings, args: argparse.Namespace) -> int:
    dsn = settings.database_url.get_secret_value()
    await migrate(dsn, Registry(SERVICES).migrations())
    if not args.skip_intake:
        rate = await _intake(settings, args.events, args.workers)
        print(
            f"identity intake: {rate:,.0f} events/s with {args.workers} worker(s) "
            f"({args.events:,} events; target {INTAKE_TARGET:,.0f}/s: "
            f"{'met' if rate >= INTAKE_TARGET else 'NOT met'})",
            flush=True,
        )
    conn = await asyncpg.connect(dsn)
    try:
        await _authority(conn)
        # The format rows were written in before envelope keys, then the current one, in
        # alternation so that both see the same machine.
        times: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.repeat):
            for envelope in (False, True):
                times[envelope].append(await _package(conn, args.sessions, envelope=envelope))
    finally:
        await _clean(conn)
        await conn.close()
    for envelope, label in ((False, "per-field keys (before)"), (True, "account keys (now)")):
        runs = times[envelope]
        best = min(runs)
        print(
            f"approval to package, {label}: best {best:.2f} s, median "
            f"{statistics.median(runs):.2f} s over {len(runs)} runs, for {args.sessions:,} "
            f"sessions and 1 phone number (target < {PACKAGE_TARGET_SECONDS:.0f} s: "
            f"{'met' if statistics.median(runs) < PACKAGE_TARGET_SECONDS else 'NOT met'})",
            flush=True,
        )
    print(f"load average: {os.getloadavg()[0]:.1f} (1 min)", flush=True)
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


async def _package(conn: asyncpg.Connection, sessions: int, *, envelope: bool) -> float:
    """Seed one account with ``sessions`` sessions in range; time the second approval.

    ``envelope``: sealed with the account's own key, as the service seals now; otherwise
    each field under a key derived from the configured one, as rows written before were.
    """
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
    keys, policy = settings.keys(), settings.policy()
    sealer: Sealer = cipher
    if envelope:
        found = await AccountKeys().for_users(legal_unit(conn, keys), [user])
        sealer = found[user]
    changes = [
        c
        for body in raw
        for c in changes_for(
            IdentityEvent.model_validate_json(json.dumps(body)).root, cipher=sealer, index=index
        )
    ]
    async with conn.transaction():
        await apply(conn, changes)
    request_id = await _request(conn, settings, user, now)
    first, second = await _officers(conn)
    # The events a unit collects are not published here: the bench times the package.
    async with conn.transaction():
        await disclosure.prepare(legal_unit(conn, keys), request_id, first)
    started = time.perf_counter()
    async with conn.transaction():
        counts = await disclosure.approve(
            legal_unit(conn, keys), request_id, second, policy=policy, now=datetime.now(UTC)
        )
    elapsed = time.perf_counter() - started
    if counts != {"phone_numbers": 1, "sessions": sessions}:
        raise RuntimeError(f"the package holds {counts}, not every seeded row")
    return elapsed


async def _officers(conn: asyncpg.Connection) -> tuple[Officer, Officer]:
    """Two registered officers, with the tokens the database asks them to prove."""
    officers = []
    for number in (1, 2):
        token = secrets.token_urlsafe(32)
        await conn.execute(
            """INSERT INTO legal.officers (officer_id, name, roles, token_hash)
               VALUES ($1, 'Bench', '{legal_officer}', $2)
               ON CONFLICT (officer_id) DO UPDATE SET token_hash = EXCLUDED.token_hash,
                   active = true""",
            f"bench-officer-{number}",
            token_hash(token),
        )
        roles = frozenset({OfficerRole.LEGAL_OFFICER})
        officers.append(Officer(f"bench-officer-{number}", roles, proof=token))
    return officers[0], officers[1]


async def _authority(conn: asyncpg.Connection) -> None:
    authority_key = X25519PrivateKey.generate().public_key()
    await conn.execute(
        """INSERT INTO legal.authorities (authority_id, name, country, kind, contact,
               signing_key, encryption_key)
           VALUES ('bench-authority', 'Bench', 'FR', 'prosecutor', 'bench', $1, $2)
           ON CONFLICT (authority_id) DO UPDATE SET encryption_key = EXCLUDED.encryption_key""",
        bytes(32),
        authority_key.public_bytes(Encoding.Raw, PublicFormat.Raw),
    )


def _address(i: int) -> str:
    return f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"


async def _request(
    conn: asyncpg.Connection,
    settings: LegalSettings,
    user: str,
    now: datetime,
    *,
    instrument: str = "fr_cpp_60_1",
    categories: Sequence[str] = ("subscriber", "identification"),
    days: tuple[int, int] = (90, 1),
) -> uuid.UUID:
    """An accepted request for the user's data.

    By default a French requisition of subscriber and identification data, for the 90 days
    before yesterday.
    """
    from services.legal.adapters.postgres.requests_store import PostgresRequests  # noqa: PLC0415
    from services.legal.core.deadlines import deadline_for  # noqa: PLC0415
    from services.legal.core.lifecycle import RequestState  # noqa: PLC0415
    from shared.events.legal import LegalRequest  # noqa: PLC0415

    request = LegalRequest.model_validate_json(
        json.dumps({
            "schema_version": 1, "request_id": str(uuid.uuid4()), "instrument": instrument,
            "authority_id": "bench-authority", "official": {"name": "Bench"},
            "case_reference": "bench", "offence": "bench", "max_penalty_years": 5,
            "committed_online": True, "emergency": False,
            "target": {"kind": "platform_user_id", "value": user},
            "categories": list(categories),
            "date_from": (now - timedelta(days=days[0])).isoformat(),
            "date_to": (now - timedelta(days=days[1])).isoformat(),
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
        await PostgresRequests(conn, settings.cipher()).record_checks(
            request.request_id, state=RequestState.ACCEPTED, refusals=[], checked_at=now
        )
    return request.request_id


async def _clean(conn: asyncpg.Connection) -> None:
    """Remove the bench's identity rows (requests and packages stay with their audit)."""
    await conn.execute("DELETE FROM legal.sessions WHERE platform_user_id LIKE 'bench-%'")
    await conn.execute("DELETE FROM legal.phone_numbers WHERE platform_user_id LIKE 'bench-%'")
    await conn.execute("DELETE FROM legal.accounts WHERE platform_user_id LIKE 'bench-%'")
    await conn.execute("DELETE FROM legal.account_keys WHERE platform_user_id LIKE 'bench-%'")
