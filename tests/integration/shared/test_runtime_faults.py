"""The runtime under failure, on the real broker and database: what is retried, what is
dead-lettered, what stops the worker, and that nothing is lost or applied twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from prometheus_client import REGISTRY

from shared.config import Settings
from shared.kafka import (
    apply_topics,
    delete_topics,
    make_admin,
    messages_written,
)
from shared.runtime import ConfigurationError, Stage
from shared.topics import wire_name
from tests.integration.conftest import MIGRATIONS, committed, eventually, read_topic, running
from tests.integration.probe import (
    PROBE_IN,
    PROBE_OUT,
    TOPICS,
    Faults,
    create_tables,
    item,
    probe_service,
    stage_length,
)

GROUP = "crible-probe"


@pytest.fixture
async def probe(base_settings: Settings) -> AsyncIterator[Settings]:
    """Settings with fresh probe topics and an empty probe table."""
    import uuid  # noqa: PLC0415

    settings = base_settings.model_copy(
        update={"topic_prefix": f"p{uuid.uuid4().hex[:10]}.", "retry_max_seconds": 1.0}
    )
    await apply_topics(settings, TOPICS)
    await create_tables(settings.database_url.get_secret_value(), MIGRATIONS)
    yield settings
    await delete_topics(settings)


async def send(
    producer: AIOKafkaProducer, settings: Settings, *values: bytes, partition: int = 0
) -> None:
    topic = wire_name(PROBE_IN.name, settings.topic_prefix)
    for value in values:
        await producer.send_and_wait(topic, value, partition=partition)


async def written(settings: Settings, name: str) -> int:
    """Messages on a topic, by its offsets (not by reading it for a while)."""
    return await messages_written(settings, wire_name(name, settings.topic_prefix))


async def all_committed(settings: Settings) -> bool:
    done, end = await committed(settings, GROUP, PROBE_IN.name)
    return done == end > 0


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def stored(db: asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT count(*) FROM probe.items"))


async def test_a_record_failing_alone_is_dead_lettered_and_its_neighbours_are_applied(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    good = [item(f"g{i}") for i in range(40)]
    await send(producer, probe, *good[:20], item("bad1", fail="always"), *good[20:30])
    await send(producer, probe, *good[30:], item("bad2", fail="bug"), partition=1)

    async with running(probe_service(Faults()), probe):
        await eventually(lambda: all_committed(probe))

    assert await stored(db) == 40
    assert await written(probe, PROBE_OUT.name) == 40
    assert await written(probe, PROBE_IN.dlq().name) == 2
    dead = await read_topic(probe, PROBE_IN.dlq().name, until=lambda rs: len(rs) >= 2)
    classes = sorted(dict(r.headers)["crible.error.class"] for r in dead)
    assert classes == [b"KeyError", b"ValueError"]
    assert sorted(r.value for r in dead) == sorted(
        [item("bad1", fail="always"), item("bad2", fail="bug")]
    )


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (item("nul\u0000inside"), b"CharacterNotInRepertoireError"),
        (item("too-big", fail="range"), b"NumericValueOutOfRangeError"),
    ],
)
async def test_a_value_the_database_cannot_store_is_dead_lettered_even_alone(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer, value: bytes, error: bytes
) -> None:
    # Alone in its partition: no neighbour succeeds beside it, yet no outage fails that way.
    async with running(probe_service(Faults()), probe):
        await send(producer, probe, value)
        dead = await read_topic(probe, PROBE_IN.dlq().name, until=lambda rs: len(rs) >= 1,
                                timeout=20)  # fmt: skip
        assert [dict(r.headers)["crible.error.class"] for r in dead] == [error]
        await eventually(lambda: all_committed(probe))
        await send(producer, probe, item("after"))
        await eventually(lambda: all_committed(probe))

    assert await stored(db) == 1
    assert await written(probe, PROBE_IN.dlq().name) == 1


async def test_when_every_record_fails_nothing_is_dead_lettered_nor_committed(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    faults = Faults(everything=KeyError("a bug hitting every record"))
    stalls_before = sample("crible_stalled_batches_total", service="probe", error="KeyError")
    await send(producer, probe, *[item(f"i{i}") for i in range(20)])

    async with running(probe_service(faults), probe):
        await eventually(
            lambda: _true(
                sample("crible_stalled_batches_total", service="probe", error="KeyError")
                >= stalls_before + 2
            )
        )
        assert await written(probe, PROBE_IN.dlq().name) == 0
        assert (await committed(probe, GROUP, PROBE_IN.name))[0] == 0
        assert await stored(db) == 0

        faults.everything = None  # the bug is fixed
        await eventually(lambda: all_committed(probe))

    assert await stored(db) == 20
    assert await written(probe, PROBE_OUT.name) == 20
    assert await written(probe, PROBE_IN.dlq().name) == 0


async def test_a_lone_bad_record_is_dead_lettered_once_a_good_one_follows_it(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    stalls_before = sample("crible_stalled_batches_total", service="probe", error="KeyError")
    await send(producer, probe, item("lonely", fail="bug"))

    async with running(probe_service(Faults()), probe):
        await eventually(
            lambda: _true(
                sample("crible_stalled_batches_total", service="probe", error="KeyError")
                > stalls_before
            )
        )
        assert await written(probe, PROBE_IN.dlq().name) == 0
        await send(producer, probe, item("next"))
        await eventually(lambda: all_committed(probe))

    assert await written(probe, PROBE_IN.dlq().name) == 1
    assert await stored(db) == 1


async def test_an_event_too_large_for_its_topic_dead_letters_its_input_once(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    await send(producer, probe, item("a"), item("huge", size=2_000_000), item("b"))

    async with running(probe_service(Faults()), probe):
        await eventually(lambda: all_committed(probe))

    assert await stored(db) == 2
    assert await written(probe, PROBE_OUT.name) == 2
    dead = await read_topic(probe, PROBE_IN.dlq().name, until=lambda rs: len(rs) >= 1)
    assert len(dead) == 1
    headers = dict(dead[0].headers)
    assert headers["crible.error.class"] == b"RecordTooLargeError"
    assert b"exceeds its limit" in headers["crible.error.message"]
    assert await db.fetchval("SELECT count(*) FROM probe.outbox") == 0


async def test_an_event_the_broker_refuses_goes_to_its_topics_dlq_and_is_not_retried(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    # Someone lowered the topic's limit by hand: the broker refuses what Crible thought fits.
    out = wire_name(PROBE_OUT.name, probe.topic_prefix)
    admin = make_admin(probe)
    await admin.start()
    try:
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, out, configs={"max.message.bytes": "2000"})]
        )
    finally:
        await admin.close()
    await asyncio.sleep(1)  # let the broker apply it
    await send(producer, probe, item("small"), item("big", size=20_000))

    async with running(probe_service(Faults()), probe):
        await eventually(lambda: all_committed(probe))
        refused = await read_topic(probe, PROBE_OUT.dlq().name, until=lambda rs: len(rs) >= 1)

    assert await stored(db) == 2
    assert await written(probe, PROBE_OUT.name) == 1
    assert await written(probe, PROBE_OUT.dlq().name) == 1
    assert dict(refused[0].headers)["crible.error.class"] == b"MessageSizeTooLargeError"
    assert await written(probe, PROBE_IN.dlq().name) == 0


async def test_a_failing_after_commit_neither_reapplies_nor_dead_letters_the_batch(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    faults = Faults(after_commit_fails=True)
    await send(producer, probe, *[item(f"i{i}") for i in range(10)])

    async with running(probe_service(faults), probe):
        await eventually(lambda: all_committed(probe))

    assert await stored(db) == 10
    assert await written(probe, PROBE_OUT.name) == 10
    assert await written(probe, PROBE_IN.dlq().name) == 0
    assert faults.after_commit_calls == faults.handled_batches  # once per applied batch


async def test_a_commit_that_reports_an_error_but_committed_is_recovered_once(
    probe: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from asyncpg.transaction import Transaction  # noqa: PLC0415

    original: Callable[[Any], Awaitable[None]] = Transaction._Transaction__commit  # type: ignore[attr-defined]
    lost = {"left": 1}

    async def commit_then_lose_the_answer(self: Any) -> None:
        await original(self)
        handler_conn = getattr(faults.last_connection, "_con", None)
        if lost["left"] and self._connection is handler_conn:
            lost["left"] -= 1
            raise asyncpg.ConnectionDoesNotExistError("connection lost after COMMIT")

    faults = Faults()
    monkeypatch.setattr(Transaction, "_Transaction__commit", commit_then_lose_the_answer)
    recovered = sample("crible_commit_recoveries_total", service="probe")
    await send(producer, probe, *[item(f"i{i}") for i in range(10)])

    async with running(probe_service(faults), probe):
        await eventually(lambda: all_committed(probe))

    assert lost["left"] == 0
    assert sample("crible_commit_recoveries_total", service="probe") == recovered + 1
    assert await stored(db) == 10
    assert await written(probe, PROBE_OUT.name) == 10  # announced once, not left to the relay
    assert faults.after_commit_calls == faults.handled_batches
    assert await written(probe, PROBE_IN.dlq().name) == 0


async def test_a_missing_table_stops_the_worker_with_a_clear_error_and_commits_nothing(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    await db.execute("DROP TABLE probe.items")
    await send(producer, probe, *[item(f"i{i}") for i in range(5)])

    with pytest.raises(ConfigurationError, match="crible migrate"):
        async with running(probe_service(Faults()), probe) as stop:
            await asyncio.wait_for(stop.wait(), timeout=60)

    assert await written(probe, PROBE_IN.dlq().name) == 0
    assert (await committed(probe, GROUP, PROBE_IN.name))[0] == 0


async def test_a_read_only_database_is_waited_out_not_dead_lettered(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    database = await db.fetchval("SELECT current_database()")
    retries = sample("crible_transient_retries_total", service="probe", stage="handle")
    async with running(probe_service(Faults()), probe):
        await send(producer, probe, item("before"))
        await eventually(lambda: all_committed(probe))
        # A failover: the database accepts reads only, for a while.
        await db.execute(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
        try:
            await _drop_connections(db, "crible-probe")
            await send(producer, probe, *[item(f"i{i}") for i in range(10)])
            await eventually(
                lambda: _true(
                    sample("crible_transient_retries_total", service="probe", stage="handle")
                    > retries
                )
            )
            assert await written(probe, PROBE_IN.dlq().name) == 0
        finally:
            await db.execute(f'ALTER DATABASE "{database}" RESET default_transaction_read_only')
        await _drop_connections(db, "crible-probe")
        await eventually(lambda: all_committed(probe))

    assert await stored(db) == 11
    assert await written(probe, PROBE_IN.dlq().name) == 0


async def test_a_lock_timeout_is_retried_until_the_lock_is_released(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    database = await db.fetchval("SELECT current_database()")
    await db.execute(f"ALTER DATABASE \"{database}\" SET lock_timeout = '200ms'")
    try:
        retries = sample("crible_transient_retries_total", service="probe", stage="handle")
        holder = await asyncpg.connect(probe.database_url.get_secret_value())
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("LOCK TABLE probe.items IN ACCESS EXCLUSIVE MODE")
        async with running(probe_service(Faults()), probe):
            await send(producer, probe, *[item(f"i{i}") for i in range(5)])
            await eventually(
                lambda: _true(
                    sample("crible_transient_retries_total", service="probe", stage="handle")
                    > retries
                )
            )
            await transaction.rollback()
            await holder.close()
            await eventually(lambda: all_committed(probe))
    finally:
        await db.execute(f'ALTER DATABASE "{database}" RESET lock_timeout')

    assert await stored(db) == 5
    assert await written(probe, PROBE_IN.dlq().name) == 0


async def test_lag_counts_what_is_not_committed_yet(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    faults = Faults(everything=KeyError("stuck"))
    settings = probe.model_copy(update={"housekeeping_seconds": 0.2})
    await send(producer, settings, *[item(f"i{i}") for i in range(12)])

    def lag() -> float:
        return sum(
            sample("crible_consumer_lag_messages", service="probe", topic="probe.in", partition=p)
            for p in ("0", "1", "2", "3")
        )

    async with running(probe_service(faults), settings):
        await eventually(lambda: _true(lag() == 12))
        faults.everything = None
        await eventually(lambda: _true(lag() == 0))

    assert await stored(db) == 12


async def test_lag_shows_the_brokers_backlog_while_a_lane_is_stuck_on_a_lock(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    settings = probe.model_copy(update={"housekeeping_seconds": 0.2})

    def lag() -> float:
        return sample(
            "crible_consumer_lag_messages", service="probe", topic="probe.in", partition="0"
        )

    async with running(probe_service(Faults()), settings):
        await send(producer, settings, item("first"))
        await eventually(lambda: all_committed(settings))
        await eventually(lambda: _true(lag() == 0))
        locker = await asyncpg.connect(settings.database_url.get_secret_value())
        lock = locker.transaction()
        await lock.start()
        await locker.execute("LOCK TABLE probe.items IN ACCESS EXCLUSIVE MODE")
        try:
            await send(producer, settings, item("blocked"))  # its lane waits on the lock
            await asyncio.sleep(1)
            await send(producer, settings, *[item(f"a{i}") for i in range(100)])
            await asyncio.sleep(2)  # the client fetches this wave and holds it for the lane
            await send(producer, settings, *[item(f"b{i}") for i in range(100)])
            # The broker has 201 messages past the committed offset; a cached high-water
            # mark would stop at the first wave.
            await eventually(lambda: _true(lag() == 201), timeout=20)
        finally:
            await lock.rollback()
            await locker.close()
        await eventually(lambda: all_committed(settings))
        await eventually(lambda: _true(lag() == 0))
    assert await stored(db) == 202


@pytest.mark.parametrize("executor", ["thread", "process"])
async def test_a_stage_runs_off_the_loop_and_a_record_it_cannot_handle_is_isolated(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer, executor: str
) -> None:
    stage: Stage[int | None] = Stage(compute=stage_length, executor=executor)  # type: ignore[arg-type]
    await send(producer, probe, item("abc"), item("boom"), item("abcdef"))

    async with running(probe_service(Faults(), stage=stage), probe):
        await eventually(lambda: all_committed(probe))

    rows = await db.fetch("SELECT id, stage FROM probe.items ORDER BY id")
    assert [(r["id"], r["stage"]) for r in rows] == [("abc", "3"), ("abcdef", "6")]
    dead = await read_topic(probe, PROBE_IN.dlq().name, until=lambda rs: len(rs) >= 1)
    assert [r.value for r in dead] == [item("boom")]


async def _drop_connections(db: asyncpg.Connection, application: str) -> None:
    await db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        application,
    )


async def _true(value: bool) -> bool:
    return value
