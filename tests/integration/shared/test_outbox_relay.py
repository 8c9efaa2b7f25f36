"""The outbox relay: a dead worker's events go out at once, a live worker's are left to it,
and a privilege the service lost stops it instead of dead-lettering its stream."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from services.ingest.core import case_id_for
from services.ingest.service import SPEC
from shared.config import Settings
from shared.db import migrate
from shared.events import ReportSubmitted
from shared.kafka import messages_written
from shared.runtime import ConfigurationError
from shared.runtime.contract import Outbound
from shared.runtime.liveness import LOCK_CLASS
from shared.runtime.outbox_table import encode_records
from shared.topics import CASES, REPORTS_SUBMITTED, wire_name
from tests.integration.conftest import MIGRATIONS, eventually, read_topic, running
from tests.integration.ingest.test_ingest import encode, report


async def leave_row(
    db: asyncpg.Connection, settings: Settings, *, worker: int, key: bytes, age: float = 0.0
) -> None:
    """An outbox row as a worker leaves it between its commit and its publication."""
    events = [Outbound(CASES.name, key, orjson.dumps({"left": key.decode()}))]
    await db.execute(
        "INSERT INTO ingest.outbox (record_count, records, worker, topic_prefix, created_at) "
        "VALUES (1, $1, $2, $3, now() - make_interval(secs => $4))",
        encode_records(events),
        worker,
        settings.topic_prefix,
        age,
    )


async def test_a_dead_workers_events_go_out_at_once_and_a_live_workers_are_left_to_it(
    settings: Settings, db: asyncpg.Connection
) -> None:
    # The age rule would wait five minutes: anything relayed sooner was known to be orphaned.
    patient = settings.model_copy(update={"outbox_orphan_seconds": 300.0})
    dead, alive = secrets.randbelow(2**30) + 1, secrets.randbelow(2**30) + 2**30
    holder = await asyncpg.connect(settings.database_url.get_secret_value())
    await holder.execute("SELECT pg_advisory_lock($1, $2)", LOCK_CLASS, alive)
    await leave_row(db, settings, worker=dead, key=b"from-the-dead")
    await leave_row(db, settings, worker=alive, key=b"from-the-living")
    cases = wire_name(CASES.name, settings.topic_prefix)
    try:
        async with running(SPEC, patient):
            relayed = await read_topic(settings, CASES.name, until=lambda rs: len(rs) >= 1)
            assert [r.key for r in relayed] == [b"from-the-dead"]
            # The living worker's row stays while its worker holds its lock...
            await eventually(
                lambda: db.fetchval(
                    "SELECT count(*) = 1 FROM ingest.outbox WHERE worker = $1", alive
                )
            )
            assert await messages_written(settings, cases) == 1
            await holder.close()  # ...and goes out once that worker is gone.
            await eventually(lambda: db.fetchval("SELECT count(*) = 0 FROM ingest.outbox"))
    finally:
        if not holder.is_closed():
            await holder.close()

    assert await messages_written(settings, cases) == 2


async def test_a_row_a_live_worker_lost_track_of_goes_out_once_it_is_old(
    settings: Settings, db: asyncpg.Connection
) -> None:
    """A commit reported as failed that did commit leaves a row with a live worker's id.

    Nobody else publishes it while that worker holds its lock, so the worker's own relay
    does, once the row is older than the orphan age and is not among the rows the worker
    is still publishing; a young row of its own is left alone meanwhile.
    """
    quick = settings.model_copy(update={"outbox_orphan_seconds": 60.0, "outbox_relay_seconds": 0.5})
    cases = wire_name(CASES.name, settings.topic_prefix)
    async with running(SPEC, quick):
        worker = await eventually(
            lambda: db.fetchval(
                """SELECT l.objid::bigint FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                   WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1
                     AND a.application_name = 'crible-ingest-lease'""",
                LOCK_CLASS,
            )
        )
        await leave_row(db, settings, worker=worker, key=b"young")
        await leave_row(db, settings, worker=worker, key=b"lost-track-of", age=120)
        relayed = await read_topic(settings, CASES.name, until=lambda rs: len(rs) >= 1)
        assert [r.key for r in relayed] == [b"lost-track-of"]
        await asyncio.sleep(3)  # six more relay rounds
        young = await db.fetch("SELECT worker FROM ingest.outbox")
        assert [r["worker"] for r in young] == [worker]

    assert await messages_written(settings, cases) == 1


async def test_rows_of_another_environment_are_not_relayed_into_this_one(
    settings: Settings, db: asyncpg.Connection
) -> None:
    other = settings.model_copy(update={"topic_prefix": "elsewhere."})
    await leave_row(db, other, worker=12345, key=b"not-ours")

    async with running(SPEC, settings):
        await eventually(
            lambda: db.fetchval(
                "SELECT count(*) = 0 FROM ingest.outbox WHERE topic_prefix = $1",
                settings.topic_prefix,
            )
        )
        await read_topic(settings, CASES.name, until=lambda rs: False, timeout=2)

    assert await messages_written(settings, wire_name(CASES.name, settings.topic_prefix)) == 0
    assert (
        await db.fetchval("SELECT count(*) FROM ingest.outbox WHERE topic_prefix = 'elsewhere.'")
        == 1
    )
    await db.execute("DELETE FROM ingest.outbox")


async def test_a_lost_privilege_stops_the_service_without_dead_lettering(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    async with db.transaction():
        await db.execute("SET LOCAL ROLE crible_ingest_owner")
        await db.execute("REVOKE INSERT ON ingest.reports FROM crible_ingest")
    topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    for i in range(5):
        await producer.send_and_wait(topic, encode(report(f"r{i}", reporter=f"u{i}")))
    try:
        with pytest.raises(ConfigurationError, match="lacks a privilege"):
            async with running(SPEC, settings) as stop:
                await stop.wait()
    finally:
        await migrate(settings.database_url.get_secret_value(), MIGRATIONS)  # grants back

    dlq = wire_name(REPORTS_SUBMITTED.dlq().name, settings.topic_prefix)
    assert await messages_written(settings, dlq) == 0
    assert await db.fetchval("SELECT count(*) FROM ingest.reports") == 0
    async with running(SPEC, settings):
        await eventually(lambda: db.fetchval("SELECT count(*) = 5 FROM ingest.reports"))


async def test_a_dead_workers_older_event_goes_out_before_the_newer_one_of_its_case(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    first = ReportSubmitted.model_validate_json(encode(report("r1")))
    case_id = case_id_for(first.subject, first.category)
    # A worker stored report r1 and its case event, then died before publishing the event.
    older = Outbound(CASES.name, case_id.encode(), orjson.dumps({"left_by": "the dead worker"}))
    await db.execute(
        "INSERT INTO ingest.outbox (record_count, records, worker, topic_prefix) "
        "VALUES (1, $1, 424242, $2)",
        encode_records([older]),
        settings.topic_prefix,
    )
    topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    await producer.send_and_wait(topic, encode(report("r2", reporter="u2")))

    async with running(SPEC, settings):
        events = await read_topic(settings, CASES.name, until=lambda rs: len(rs) >= 2)

    assert [r.key for r in events] == [case_id.encode()] * 2
    assert events[0].value == older.value  # the older event first...
    assert orjson.loads(events[1].value)["event_type"] == "case.opened"  # ...the newer last
