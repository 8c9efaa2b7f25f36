"""Statements of reasons reach the (local stand-in of the) Transparency Database exactly once.

The ``statements`` consumer on the real broker and database, and ``crible sor submit`` on
rows of ``dispatch.statements``, against ``tests/unit/dispatch/adapters/sor_server.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from services.dispatch.core.statements import build_statement
from services.dispatch.service import STATEMENTS, close_submitter
from services.dispatch.tools.commands import submit_statements
from shared.config import Settings
from shared.kafka import apply_topics
from shared.runtime import Service
from shared.topics import STATEMENTS_OF_REASONS, wire_name
from tests.integration.conftest import committed, eventually, read_topic, running
from tests.unit.dispatch.adapters import sor_server
from tests.unit.dispatch.core.test_statements import facts

pytestmark = pytest.mark.integration

TOKEN = "7|ybqkCFX7ZkIFoLxtI0VAk1JBzMR9jVk4c4EU"
DISPATCH = Service(name="dispatch", consumers=(STATEMENTS,), on_stop=(close_submitter,))
GROUP = STATEMENTS.group_id("dispatch")
REFUSED = "decision_ground: 'DECISION_GROUND_UNKNOWN' is not an allowed value"


@pytest.fixture
def server() -> Iterator[tuple[str, sor_server.State]]:
    with sor_server.running(TOKEN) as running_server:
        yield running_server


@pytest.fixture
def sor(server: tuple[str, sor_server.State], monkeypatch: pytest.MonkeyPatch) -> sor_server.State:
    """The server, and the dispatch settings pointing at it."""
    url, state = server
    monkeypatch.setenv("CRIBLE_DISPATCH_SOR_URL", url)
    monkeypatch.setenv("CRIBLE_DISPATCH_SOR_TOKEN", TOKEN)
    return state


@pytest.fixture
async def topics(settings: Settings, db: asyncpg.Connection) -> Settings:
    """The test's settings, its statement topics created and its tables emptied."""
    await apply_topics(settings, [STATEMENTS_OF_REASONS, STATEMENTS_OF_REASONS.dlq()])
    return settings


def statement() -> dict[str, Any]:
    made = build_statement(facts(decision_id=uuid.uuid4()))
    assert made is not None
    return made


def invalid() -> dict[str, Any]:
    return {**statement(), "decision_ground": "DECISION_GROUND_UNKNOWN"}


def issued(body: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
    """A ``StatementIssued`` event as the reviewer API publishes it."""
    return {
        "schema_version": 1,
        "puid": body["puid"],
        "decision_id": str(uuid.UUID(body["puid"].removeprefix("crible-"))),
        "case_id": str(uuid.uuid4()),
        "statement": body,
        "issued_at": (at or datetime.now(UTC)).isoformat(),
    }


async def publish(
    producer: AIOKafkaProducer, settings: Settings, events: list[dict[str, Any]]
) -> None:
    topic = wire_name(STATEMENTS_OF_REASONS.name, settings.topic_prefix)
    for event in events:
        await producer.send_and_wait(
            topic, json.dumps(event).encode(), key=event["case_id"].encode()
        )


async def insert(db: asyncpg.Connection, event: dict[str, Any], status: str = "pending") -> None:
    """The row the reviewer API writes at decision time."""
    await db.execute(
        """INSERT INTO dispatch.statements (puid, decision_id, case_id, statement, issued_at,
               status) VALUES ($1, $2, $3, $4, $5, $6)""",
        event["puid"],
        uuid.UUID(event["decision_id"]),
        uuid.UUID(event["case_id"]),
        json.dumps(event["statement"]),
        datetime.fromisoformat(event["issued_at"]),
        status,
    )


async def statuses(db: asyncpg.Connection) -> dict[str, tuple[str, str | None, bool]]:
    """puid -> (status, reason, whether submitted_at is set)."""
    rows = await db.fetch("SELECT puid, status, reason, submitted_at FROM dispatch.statements")
    return {r["puid"]: (r["status"], r["reason"], r["submitted_at"] is not None) for r in rows}


async def submitted_at(db: asyncpg.Connection) -> dict[str, datetime | None]:
    rows = await db.fetch("SELECT puid, submitted_at FROM dispatch.statements")
    return {r["puid"]: r["submitted_at"] for r in rows}


async def all_consumed(settings: Settings) -> bool:
    done, written = await committed(settings, GROUP, STATEMENTS_OF_REASONS.name)
    return written > 0 and done == written


def submitted_metric(status: str) -> float:
    labels = {"status": status}
    return REGISTRY.get_sample_value("crible_dispatch_statements_submitted_total", labels) or 0.0


async def test_statements_are_submitted_once_and_a_refused_one_is_dead_lettered(
    topics: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    sor: sor_server.State,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = topics
    caplog.set_level(logging.DEBUG)
    good = [issued(statement()) for _ in range(5)]
    bad = issued(invalid())
    # The API's row exists for some statements only: the consumer makes the others.
    await insert(db, good[0])
    await insert(db, bad)
    before = {s: submitted_metric(s) for s in ("submitted", "duplicate", "rejected")}
    async with running(DISPATCH, settings):
        await publish(producer, settings, [*good[:3], bad, *good[3:]])
        [letter] = await read_topic(
            settings, STATEMENTS_OF_REASONS.dlq().name, until=lambda r: len(r) >= 1
        )
        await eventually(lambda: all_consumed(settings))
        rows = await statuses(db)
        sent_before_redelivery = list(sor.batches)

        # A redelivery (the same events again) submits nothing and dead-letters nothing.
        await publish(producer, settings, [good[1], bad, good[4]])
        await eventually(lambda: all_consumed(settings))
        letters = await read_topic(
            settings, STATEMENTS_OF_REASONS.dlq().name, until=lambda r: len(r) > 1, timeout=3
        )

    assert sor.puids == {e["puid"] for e in good}
    # Each valid statement went over the wire once; the invalid one never did.
    assert sum(sent_before_redelivery) == len(good)
    assert sor.batches == sent_before_redelivery
    assert rows == {
        **{e["puid"]: ("submitted", None, True) for e in good},
        bad["puid"]: ("rejected", REFUSED, False),
    }
    assert await statuses(db) == rows
    assert json.loads(letter.value) == bad
    headers = {k: v.decode() for k, v in letter.headers}
    assert headers["crible.error.class"] == "RefusedError"
    assert headers["crible.error.message"] == (
        f"RefusedError: Transparency Database refused the statement: {REFUSED}"
    )
    assert len(letters) == 1
    assert submitted_metric("submitted") - before["submitted"] == len(good)
    assert submitted_metric("rejected") - before["rejected"] == 1
    assert submitted_metric("duplicate") == before["duplicate"]
    assert TOKEN not in caplog.text


async def test_a_throttle_is_waited_out(
    topics: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer, sor: sor_server.State
) -> None:
    settings = topics
    sor.throttle, sor.retry_after = 2, "1"
    events = [issued(statement()) for _ in range(3)]
    async with running(DISPATCH, settings):
        await publish(producer, settings, events)
        await eventually(lambda: all_consumed(settings))
    assert sor.puids == {e["puid"] for e in events}
    assert sor.throttle == 0
    assert {s for s, _, _ in (await statuses(db)).values()} == {"submitted"}


async def test_an_exhausted_rate_limit_is_retried_by_the_runtime_not_dead_lettered(
    topics: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer, sor: sor_server.State
) -> None:
    settings = topics
    # More 429 answers than the submitter tries (5): the first batch fails as a whole.
    sor.throttle, sor.retry_after = 7, "0"
    events = [issued(statement()) for _ in range(2)]
    # One case, one partition: one lane meets the 429 answers, not two taking turns.
    events[1]["case_id"] = events[0]["case_id"]
    retries = {"service": "dispatch", "stage": "handle"}
    before = REGISTRY.get_sample_value("crible_transient_retries_total", retries) or 0.0
    async with running(DISPATCH, settings):
        await publish(producer, settings, events)
        await eventually(lambda: all_consumed(settings))
        letters = await read_topic(
            settings, STATEMENTS_OF_REASONS.dlq().name, until=lambda r: len(r) > 0, timeout=2
        )
    assert letters == []
    assert sor.throttle == 0
    # The submitter gave up after its five tries; the runtime retried the batch.
    assert sor.requests >= 8
    assert (REGISTRY.get_sample_value("crible_transient_retries_total", retries) or 0) > before
    assert sor.puids == {e["puid"] for e in events}
    assert {s for s, _, _ in (await statuses(db)).values()} <= {"submitted", "duplicate"}
    assert len(await statuses(db)) == 2


async def test_the_consumer_is_off_without_a_url_and_token_and_keeps_its_place(
    topics: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    server: tuple[str, sor_server.State],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = topics
    url, state = server
    monkeypatch.delenv("CRIBLE_DISPATCH_SOR_URL", raising=False)
    monkeypatch.delenv("CRIBLE_DISPATCH_SOR_TOKEN", raising=False)
    assert STATEMENTS.enabled is not None
    assert not STATEMENTS.enabled()
    event = issued(statement())
    await insert(db, event)
    async with running(DISPATCH, settings):
        await publish(producer, settings, [event])
        await asyncio.sleep(3)
    assert state.requests == 0
    assert await statuses(db) == {event["puid"]: ("pending", None, False)}
    assert await committed(settings, GROUP, STATEMENTS_OF_REASONS.name) == (0, 1)

    # Configured later, it submits what was published meanwhile.
    monkeypatch.setenv("CRIBLE_DISPATCH_SOR_URL", url)
    monkeypatch.setenv("CRIBLE_DISPATCH_SOR_TOKEN", TOKEN)
    assert STATEMENTS.enabled()
    async with running(DISPATCH, settings):
        await eventually(lambda: all_consumed(settings))
    assert state.puids == {event["puid"]}
    assert (await statuses(db))[event["puid"]][0] == "submitted"


async def test_the_command_submits_what_is_pending_in_batches(
    db: asyncpg.Connection, sor: sor_server.State, capsys: pytest.CaptureFixture[str]
) -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    valid = [issued(statement(), since + timedelta(minutes=i)) for i in range(149)]
    bad = issued(invalid(), since + timedelta(minutes=5))
    earlier = issued(statement(), since - timedelta(days=1))
    done = issued(statement(), since + timedelta(days=1))
    for event in [*valid, bad, earlier]:
        await insert(db, event)
    await insert(db, done, status="submitted")

    assert await submit_statements(since=since, dry_run=True) == 0
    assert "would send 150 statements" in capsys.readouterr().out

    assert await submit_statements(since=since) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["submitted: 149", "duplicate: 0", "rejected: 1", "failed: 0"]
    assert f"rejected {bad['puid']}: {REFUSED}" in err
    # 100 rows a call, the invalid one checked locally and never sent.
    assert sor.batches == [99, 50]
    assert sor.puids == {e["puid"] for e in valid}
    rows = await statuses(db)
    assert {rows[e["puid"]] for e in valid} == {("submitted", None, True)}
    assert rows[bad["puid"]] == ("rejected", REFUSED, False)
    assert rows[earlier["puid"]] == ("pending", None, False)
    assert rows[done["puid"]][0] == "submitted"

    # Nothing left: a second run sends nothing.
    assert await submit_statements(since=since) == 0
    assert capsys.readouterr().out.splitlines()[0] == "submitted: 0"
    assert sor.batches == [99, 50]

    # --resend: the stored ones come back as duplicates and stay submitted; the one stored
    # elsewhere before (never on this server) is stored now; the rejected one is left alone.
    stamps = await submitted_at(db)
    assert await submit_statements(since=since, resend=True) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["submitted: 1", "duplicate: 149", "rejected: 0", "failed: 0"]
    after = await submitted_at(db)
    assert all(after[e["puid"]] == stamps[e["puid"]] for e in valid)
    assert (await statuses(db))[done["puid"]] == ("submitted", None, True)
    assert done["puid"] in sor.puids


async def test_the_command_reports_what_failed_and_leaves_it_pending(
    db: asyncpg.Connection,
    server: tuple[str, sor_server.State],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, state = server
    since = datetime(2026, 1, 1, tzinfo=UTC)
    events = [issued(statement(), since + timedelta(minutes=i)) for i in range(150)]
    for event in events:
        await insert(db, event)
    wrong = "9|wrongwrongwrongwrong"
    monkeypatch.setenv("CRIBLE_DISPATCH_SOR_URL", url)
    monkeypatch.setenv("CRIBLE_DISPATCH_SOR_TOKEN", wrong)

    assert await submit_statements(since=since) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "submitted: 0",
        "duplicate: 0",
        "rejected: 0",
        "failed: 100",
        "not tried: 50",
    ]
    assert "HTTP 401: the token was refused" in err
    assert wrong not in out + err
    assert state.requests == 1  # the refused token stopped the run
    assert {s for s, _, _ in (await statuses(db)).values()} == {"pending"}


async def test_the_command_refuses_to_run_unconfigured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CRIBLE_DISPATCH_SOR_URL", raising=False)
    monkeypatch.delenv("CRIBLE_DISPATCH_SOR_TOKEN", raising=False)
    with pytest.raises(RuntimeError, match="CRIBLE_DISPATCH_SOR_URL"):
        await submit_statements(since=datetime(2026, 1, 1, tzinfo=UTC))
