"""One process, several parts: consumers, an HTTP API, health endpoints, a custom main,
and one graceful stop for all of them (real broker and database)."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Literal

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from pydantic import Field, SecretStr

from services.ingest.service import SPEC as INGEST
from shared.config import Settings
from shared.db import Connection
from shared.events.base import Event
from shared.kafka import apply_topics, delete_topics, messages_written
from shared.runtime import ConsumerSpec, Handled, Inbound, Service, ServiceContext, serve
from shared.runtime.contract import Outbound
from shared.topics import DAY_MS, TopicSpec, wire_name
from tests.integration.conftest import MIGRATIONS, committed, eventually, running
from tests.integration.probe import PROBE_IN, PROBE_OUT, TOPICS, Faults, create_tables, item

SHAPES = TopicSpec("probe.shapes", 2, DAY_MS)


class Circle(Event):
    kind: Literal["circle"]
    id: str
    radius: float


class Square(Event):
    kind: Literal["square"]
    id: str
    side: float


Shape = Annotated[Circle | Square, Field(discriminator="kind")]


@pytest.fixture
async def probe(base_settings: Settings) -> AsyncIterator[Settings]:
    settings = base_settings.model_copy(
        update={
            "topic_prefix": f"s{uuid.uuid4().hex[:10]}.",
            # The relay would take minutes: what is published in time was published at once.
            "outbox_relay_seconds": 300.0,
            "outbox_orphan_seconds": 300.0,
            "metrics_port": free_port(),
            "metrics_token": SecretStr("s3cret"),
            "http_port": free_port(),
            "housekeeping_seconds": 0.2,
        }
    )
    await apply_topics(settings, [*TOPICS, SHAPES, SHAPES.dlq()])
    await create_tables(settings.database_url.get_secret_value(), MIGRATIONS)
    yield settings
    await delete_topics(settings)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


#: Items whose request committed, noted by the request's ``after_commit``.
COMMITTED: list[str] = []


def api(context: ServiceContext) -> FastAPI:
    """An API that stores an item and announces it, as dispatch's decisions will."""
    app = FastAPI()
    outbox = context.outbox
    assert outbox is not None

    @app.post("/items/{item_id}", status_code=201)
    async def create(item_id: str) -> dict[str, str]:
        async with outbox.transaction() as tx:
            await tx.conn.execute("INSERT INTO probe.items (id) VALUES ($1)", item_id)
            event = Outbound(PROBE_OUT.name, item_id.encode(), orjson.dumps({"id": item_id}))
            tx.keep(Handled([event], after_commit=lambda: COMMITTED.append(item_id)))
        return {"id": item_id}

    return app


async def store_shapes(batch: Sequence[Inbound[Circle | Square]], conn: Connection) -> Handled:
    await conn.executemany(
        "INSERT INTO probe.shapes (id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [(m.event.id, type(m.event).__name__) for m in batch],
    )
    return Handled(())


async def store_items(batch: Sequence[Inbound[object]], conn: Connection) -> Handled:
    await conn.executemany(
        "INSERT INTO probe.items (id) VALUES ($1) ON CONFLICT DO NOTHING",
        [(orjson.loads(m.raw)["id"],) for m in batch],
    )
    return Handled(())


async def test_an_http_request_publishes_its_event_at_once_and_stops_with_the_consumers(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    from tests.integration.probe import probe_service  # noqa: PLC0415

    base = probe_service(Faults())
    service = Service(name="probe", consumers=base.consumers, http_app=api)
    out = wire_name(PROBE_OUT.name, probe.topic_prefix)
    async with running(service, probe) as stop:
        await producer.send_and_wait(wire_name(PROBE_IN.name, probe.topic_prefix), item("k1"))
        await eventually(lambda: consumed_all(probe, "crible-probe", PROBE_IN.name))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{probe.http_port}") as client:
            created = await client.post("/items/h1")
            assert created.status_code == 201
            assert COMMITTED[-1:] == ["h1"]  # counted once committed, as a batch's are
            # Out through the outbox straight away, not 300 s later through the relay.
            await eventually(lambda: has(probe, out, 2), timeout=5)
        stop.set()
    assert await db.fetchval("SELECT count(*) FROM probe.outbox") == 0
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{probe.http_port}/docs")


async def test_health_endpoints_demand_the_token_and_report_readiness(
    probe: Settings, db: asyncpg.Connection
) -> None:
    from tests.integration.probe import probe_service  # noqa: PLC0415

    url = f"http://127.0.0.1:{probe.metrics_port}"
    token = {"Authorization": "Bearer s3cret"}
    database = await db.fetchval("SELECT current_database()")
    async with running(probe_service(Faults()), probe), httpx.AsyncClient(base_url=url) as client:
        await eventually(lambda: status(client, "/healthz", {}, 401))  # once it listens
        assert (await client.get("/readyz")).status_code == 401
        assert (await client.get("/metrics")).status_code == 401
        assert (await client.get("/healthz", headers=token)).status_code == 200
        await eventually(lambda: status(client, "/readyz", token, 200))
        # The database goes away: the process is alive but not ready.
        other = await asyncpg.connect(probe.database_url.get_secret_value(), database="postgres")
        await other.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        try:
            await db.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'crible-probe'"
            )
            await eventually(lambda: status(client, "/readyz", token, 503))
            assert (await client.get("/readyz", headers=token)).text.strip() == "database"
            assert (await client.get("/healthz", headers=token)).status_code == 200
        finally:
            await other.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
            await other.close()
        await eventually(lambda: status(client, "/readyz", token, 200))


async def test_a_service_runs_several_consumers_a_union_topic_and_its_own_main(
    probe: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    ran = asyncio.Event()
    finished = asyncio.Event()

    async def main(context: ServiceContext) -> None:
        ran.set()
        await context.stop.wait()
        finished.set()

    service = Service(
        name="probe",
        consumers=(
            ConsumerSpec(models={SHAPES: Shape}, handler=store_shapes, name="shapes"),
            ConsumerSpec(models={PROBE_IN: object}, handler=store_items, name="items"),
        ),
        main=main,
    )
    shapes = wire_name(SHAPES.name, probe.topic_prefix)
    async with running(service, probe):
        await producer.send_and_wait(shapes, b'{"kind": "circle", "id": "c1", "radius": 1.5}')
        await producer.send_and_wait(shapes, b'{"kind": "square", "id": "s1", "side": 2.0}')
        await producer.send_and_wait(shapes, b'{"kind": "hexagon", "id": "h1"}')
        await producer.send_and_wait(wire_name(PROBE_IN.name, probe.topic_prefix), item("i1"))
        await eventually(lambda: consumed_all(probe, "crible-probe.shapes", SHAPES.name))
        await eventually(lambda: consumed_all(probe, "crible-probe.items", PROBE_IN.name))
        assert ran.is_set()

    assert finished.is_set()
    rows = await db.fetch("SELECT id, kind FROM probe.shapes ORDER BY id")
    assert [(r["id"], r["kind"]) for r in rows] == [("c1", "Circle"), ("s1", "Square")]
    assert await db.fetchval("SELECT count(*) FROM probe.items") == 1
    assert await messages_written(probe, wire_name(SHAPES.dlq().name, probe.topic_prefix)) == 1


async def consumed_all(settings: Settings, group: str, topic: str) -> bool:
    done, end = await committed(settings, group, topic)
    return done == end > 0


async def has(settings: Settings, topic: str, count: int) -> bool:
    return await messages_written(settings, topic) >= count


async def status(client: httpx.AsyncClient, path: str, headers: dict[str, str], code: int) -> bool:
    try:
        return (await client.get(path, headers=headers)).status_code == code
    except httpx.ConnectError:
        return False


LATE = TopicSpec("probe.late", 1, DAY_MS)


def late_api(context: ServiceContext) -> FastAPI:
    """An API announcing to a topic that does not exist yet (a broker that cannot take it)."""
    app = FastAPI()
    outbox = context.outbox
    assert outbox is not None

    @app.post("/late/{item_id}", status_code=201)
    async def create(item_id: str) -> dict[str, str]:
        async with outbox.transaction() as tx:
            await tx.conn.execute("INSERT INTO probe.items (id) VALUES ($1)", item_id)
            tx.keep(Handled([Outbound(LATE.name, item_id.encode(), orjson.dumps({"id": item_id}))]))
        return {"id": item_id}

    return app


async def test_a_request_answers_while_the_broker_cannot_take_its_event_which_follows_later(
    probe: Settings, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.runtime.outbox import Outbox  # noqa: PLC0415

    monkeypatch.setattr(Outbox, "request_wait", 1.0)
    service = Service(name="probe", http_app=late_api)
    async with (
        running(service, probe),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{probe.http_port}", timeout=30) as client,
    ):
        await eventually(lambda: status(client, "/docs", {}, 200))
        started = asyncio.get_running_loop().time()
        created = await client.post("/late/x1")
        waited = asyncio.get_running_loop().time() - started
        assert created.status_code == 201
        assert waited < 10  # answered after the wait, not after the broker came round
        # Committed, and still owed to Kafka: the outbox row stays until it is published.
        assert await db.fetchval("SELECT count(*) FROM probe.items WHERE id = 'x1'") == 1
        assert await db.fetchval("SELECT count(*) FROM probe.outbox") == 1
        await apply_topics(probe, [LATE])
        await eventually(lambda: has(probe, wire_name(LATE.name, probe.topic_prefix), 1))
        await eventually(lambda: db.fetchval("SELECT count(*) = 0 FROM probe.outbox"))
    assert await messages_written(probe, wire_name(LATE.name, probe.topic_prefix)) == 1


async def test_a_service_whose_topic_is_missing_stops_when_asked(base_settings: Settings) -> None:
    # No topic exists under this prefix: the consumer's start waits for metadata that never
    # comes, and a stop must not wait with it (it waited about 30 s, once for ever).
    settings = base_settings.model_copy(update={"topic_prefix": f"m{uuid.uuid4().hex[:10]}."})
    stop = asyncio.Event()
    task = asyncio.create_task(serve(INGEST, settings, stop=stop))
    await asyncio.sleep(3)
    stop.set()
    done, _ = await asyncio.wait({task}, timeout=15)
    if not done:
        task.cancel()
    assert done, "the service was still starting its consumer 15 s after the stop"
    task.result()
