"""Fixtures for tests on the real Kafka broker and PostgreSQL started by `crible local`.

Each test gets its own topic prefix (fresh topics, fresh consumer groups) and empty tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import CoordinatorLoadInProgressError, GroupCoordinatorNotAvailableError
from aiokafka.structs import ConsumerRecord

from services import SERVICES
from shared.cli.registry import Registry
from shared.config import Settings
from shared.db import migrate
from shared.kafka import (
    apply_topics,
    delete_topics,
    make_admin,
    make_plain_consumer,
    make_plain_producer,
    messages_written,
)
from shared.runtime import Service, serve
from shared.topics import (
    CASES,
    ENFORCEMENT_ACTIONS,
    REPORTS_ACCEPTED,
    REPORTS_SUBMITTED,
    REVIEW_DECISIONS,
    SCREENING_VERDICTS,
    STATEMENTS_OF_REASONS,
    SURGE_SIGNALS,
    wire_name,
)

#: (owner, package) of every service's migrations, as `crible migrate` applies them.
MIGRATIONS = Registry(SERVICES).migrations()
INGEST_TOPICS = [
    REPORTS_SUBMITTED,
    REPORTS_SUBMITTED.dlq(),
    REPORTS_ACCEPTED,
    CASES,
    REVIEW_DECISIONS,
    REVIEW_DECISIONS.dlq(),
]
#: What a running dispatch consumes and produces, beside the ingest topics.
DISPATCH_TOPICS = [
    SCREENING_VERDICTS,
    SCREENING_VERDICTS.dlq(),
    REPORTS_ACCEPTED.dlq(),
    SURGE_SIGNALS,
    SURGE_SIGNALS.dlq(),
    ENFORCEMENT_ACTIONS,
    STATEMENTS_OF_REASONS,
    STATEMENTS_OF_REASONS.dlq(),
]


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    needed = ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "CRIBLE_SERVICE_DATABASE_URLS")
    missing = [v for v in needed if v not in os.environ]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not set: run the integration tests through `make test`, "
            "which starts Kafka and PostgreSQL (or point these variables at yours: the owner "
            "role's DSN, and the ingest role's in CRIBLE_SERVICE_DATABASE_URLS)"
        )
    settings = Settings(
        consumer_poll_timeout_ms=100, outbox_relay_seconds=0.5, outbox_orphan_seconds=2
    )
    if "ingest" not in settings.service_database_urls:
        pytest.fail("CRIBLE_SERVICE_DATABASE_URLS has no DSN for ingest")
    return settings


@pytest.fixture
async def settings(base_settings: Settings) -> AsyncIterator[Settings]:
    """Settings with a fresh topic prefix; the ingest topics exist under it until the end."""
    prefixed = base_settings.model_copy(update={"topic_prefix": f"t{uuid.uuid4().hex[:10]}."})
    await apply_topics(prefixed, INGEST_TOPICS)
    yield prefixed
    await delete_topics(prefixed)


@pytest.fixture
async def db(base_settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """A connection (as the owner role) to a migrated database whose Crible tables are empty."""
    dsn = base_settings.database_url.get_secret_value()
    await migrate(dsn, MIGRATIONS)
    conn = await asyncpg.connect(dsn)
    await conn.execute("TRUNCATE ingest.reports, ingest.cases, ingest.outbox")
    await conn.execute(
        "TRUNCATE prescreen.banks, prescreen.bank_hashes, prescreen.bank_offsets, "
        "prescreen.case_screening, prescreen.verdicts, prescreen.shadow_decisions, "
        "prescreen.outbox"
    )
    await conn.execute(
        "TRUNCATE dispatch.exposures, dispatch.appeals, dispatch.decisions, dispatch.cases, "
        "dispatch.reviewers, dispatch.outbox, dispatch.case_reports, dispatch.reporters, "
        "dispatch.weighed_decisions, dispatch.surges, dispatch.statements, dispatch.sessions, "
        "dispatch.preserved_evidence, dispatch.preserved_reports, dispatch.case_reporters, "
        "dispatch.case_weighted, dispatch.case_tallies"
    )
    # Legal records refuse TRUNCATE and DELETE (guard_* triggers), for every login role: the
    # tests empty them as an administrator would, with the triggers off for that session.
    # legal.audit is not emptied: the chain grows across tests.
    async with admin_connection() as admin:
        await admin.execute(
            "TRUNCATE legal.accounts, legal.phone_numbers, legal.sessions, legal.officers, "
            "legal.officer_sessions, legal.requests, legal.documents, legal.narrowings, "
            "legal.approvals, legal.packages, legal.nonces, legal.outbox, legal.preservations, "
            "legal.notices, legal.account_keys, legal.registrations, "
            "legal.refusal_explanations"
        )
    yield conn
    await conn.close()


def audit_keys() -> dict[str, bytes]:
    """The audit chain's keys, as the legal service has them (``crible local`` makes them)."""
    from services.legal.config import LegalSettings  # noqa: PLC0415 - only legal tests

    return dict(LegalSettings().audit_ring().keys)


@contextlib.asynccontextmanager
async def admin_connection() -> AsyncIterator[asyncpg.Connection]:
    """The superuser's connection with triggers off (``session_replication_role``).

    Only tests use it, to empty legal records and to seed a past history as an import would;
    ``crible local`` gives the superuser's DSN as ``CRIBLE_ADMIN_DATABASE_URL``.
    """
    dsn = os.environ.get("CRIBLE_ADMIN_DATABASE_URL")
    if dsn is None:
        pytest.fail("CRIBLE_ADMIN_DATABASE_URL (a superuser's DSN) is needed to reset legal")
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET session_replication_role = replica")
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def producer(base_settings: Settings) -> AsyncIterator[AIOKafkaProducer]:
    """A plain aiokafka producer, as a platform back end would use."""
    p = make_plain_producer(base_settings, linger_ms=5)
    await p.start()
    yield p
    await p.stop()


@contextlib.asynccontextmanager
async def running(spec: Service, settings: Settings) -> AsyncIterator[asyncio.Event]:
    """Run a service in this event loop; stop it (gracefully) on exit."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve(spec, settings, stop=stop))
    try:
        yield stop
    finally:
        stop.set()
        # A stop that outlasts a minute is cancelled; one that ignores cancelling fails the
        # test instead of hanging the suite (wait_for would wait for it for ever).
        done, _ = await asyncio.wait({task}, timeout=60)
        if not done:
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=10)
            assert done, f"{spec.name} did not stop within 70 s, cancelled or not"
            raise AssertionError(f"{spec.name} took more than 60 s to stop")
        task.result()


async def read_topic(
    settings: Settings,
    name: str,
    *,
    until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
    timeout: float = 60,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read a (prefixed) topic from the beginning until ``until`` holds or time runs out."""
    topic = wire_name(name, settings.topic_prefix)
    consumer = make_plain_consumer(settings, topic, auto_offset_reset="earliest")
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        deadline = time.monotonic() + timeout
        while not until(records) and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            records.extend(r for rs in batches.values() for r in rs)
    finally:
        await consumer.stop()
    return records


async def committed(settings: Settings, group: str, name: str) -> tuple[int, int]:
    """(committed offsets, end offsets) summed over the partitions of a prefixed topic."""
    topic = wire_name(name, settings.topic_prefix)
    admin = make_admin(settings)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(settings.topic_prefix + group)
    except (GroupCoordinatorNotAvailableError, CoordinatorLoadInProgressError):
        # A broker just started elects the group's coordinator late: nothing committed yet.
        offsets = {}
    finally:
        await admin.close()
    done = sum(o.offset for tp, o in offsets.items() if tp.topic == topic and o.offset > 0)
    return done, await messages_written(settings, topic)


async def serving(url: str) -> None:
    """Wait until an HTTP service answers 200 at ``url`` (a service just started)."""

    async def answers() -> bool:
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(url)).status_code == 200
        except httpx.ConnectError:
            return False

    await eventually(answers)


async def eventually(check: Callable[[], Any], *, timeout: float = 60, every: float = 0.2) -> Any:
    """Await ``check()`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met in {timeout} s; last value: {result!r}")
        await asyncio.sleep(every)
