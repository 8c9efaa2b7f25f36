"""Ingestion end to end on the real broker and database."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from services.ingest.service import REPORTS, SPEC
from shared.config import Settings
from shared.events import CaseEvent, ReportAccepted
from shared.kafka import messages_written
from shared.topics import CASES, REPORTS_ACCEPTED, REPORTS_SUBMITTED, REVIEW_DECISIONS, wire_name
from tests.integration.conftest import committed, eventually, read_topic, running

INGEST_GROUP = REPORTS.group_id(SPEC.name)


def report(
    report_id: str, *, reporter: str = "u1", subject_id: str = "m1", **extra: Any
) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "report_id": report_id,
        "reported_at": "2026-11-28T10:00:00+00:00",
        "reporter_id": reporter,
        "reporter_language": "fr",
        "subject": {"kind": "message", "id": subject_id, "chat_id": "c1"},
        "category": "spam",
        **extra,
    }


async def publish(
    producer: AIOKafkaProducer, settings: Settings, *values: bytes
) -> list[tuple[int, int]]:
    """Publish as a platform back end does; return (partition, offset) of each message."""
    topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    placed = []
    for value in values:
        meta = await producer.send_and_wait(topic, value, key=b"message:c1:m1")
        placed.append((meta.partition, meta.offset))
    return placed


def decision(case_id: str, *, final: bool) -> bytes:
    """A reviewer's decision on revision 1 of the case, as dispatch publishes it."""
    return encode({
        "schema_version": 1, "decision_id": str(uuid.uuid4()), "case_id": case_id,
        "case_revision": 1, "subject": {"kind": "user", "id": "x"}, "category": "spam",
        "outcome": "remove_content", "policy_reason": "tos.spam.1", "explanation": "spam",
        "reviewer_id": "rev-1", "final": final, "decided_at": datetime.now(UTC).isoformat(),
    })  # fmt: skip


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


async def test_a_report_becomes_a_case_row_and_a_case_event(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    async with running(SPEC, settings):
        await publish(producer, settings, encode(report("r1", text="free crypto")))
        events = await read_topic(settings, CASES.name, until=lambda rs: len(rs) >= 1)
        accepted = await read_topic(settings, REPORTS_ACCEPTED.name, until=lambda rs: len(rs) >= 1)

    event = CaseEvent.model_validate_json(events[0].value)
    assert event.event_type.value == "case.opened"
    assert (event.report_count, event.reporter_count) == (1, 1)
    assert event.new_reports[0].text == "free crypto"
    assert events[0].key == str(event.case_id).encode()
    assert ReportAccepted.model_validate_json(accepted[0].value).case_id == event.case_id
    row = await db.fetchrow("SELECT report_count, reporter_count, status FROM ingest.cases")
    assert row is not None
    assert dict(row) == {"report_count": 1, "reporter_count": 1, "status": "open"}
    body = await db.fetchval("SELECT body FROM ingest.reports WHERE report_id = 'r1'")
    assert json.loads(body)["text"] == "free crypto"


ODD_LINKS = ["HTTPS://Scam.Example/login", "hxxp://scam[.]example/win", "javascript:alert(1)"]


async def test_a_report_with_odd_links_is_accepted_with_its_links(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    # One odd link used to dead-letter the whole report; the screener sets it aside instead.
    odd = encode(report("r-links", evidence={"urls": ODD_LINKS}))
    async with running(SPEC, settings):
        await publish(producer, settings, odd)
        events = await read_topic(settings, CASES.name, until=lambda rs: len(rs) >= 1)
    event = CaseEvent.model_validate_json(events[0].value)
    evidence = event.new_reports[0].evidence
    assert evidence is not None
    assert list(evidence.urls) == ODD_LINKS
    assert await messages_written(settings, REPORTS_SUBMITTED.dlq().name) == 0


async def test_duplicates_and_repeat_reporters_do_not_double_count(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    async with running(SPEC, settings):
        await publish(producer, settings, encode(report("r1", reporter="u1")))
        await eventually(lambda: db.fetchval("SELECT count(*) FROM ingest.reports"))
        await publish(
            producer,
            settings,
            encode(report("r1", reporter="u1")),  # redelivered
            encode(report("r2", reporter="u1")),  # same reporter, same subject again
            encode(report("r3", reporter="u2")),
            encode(report("r3", reporter="u2")),  # redelivered in the same batch
        )
        await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM ingest.reports"))
        await eventually(lambda: committed_all(settings))
        end = await committed(settings, INGEST_GROUP, REPORTS_SUBMITTED.name)
        events = await read_topic(
            settings, CASES.name, until=lambda rs: any(b'"report_count":3' in r.value for r in rs)
        )

    assert end == (5, 5)
    row = await db.fetchrow("SELECT report_count, reporter_count FROM ingest.cases")
    assert row is not None
    assert (row["report_count"], row["reporter_count"]) == (3, 2)
    repeats = await db.fetch("SELECT report_id FROM ingest.reports WHERE repeat")
    assert [r["report_id"] for r in repeats] == ["r2"]
    last = CaseEvent.model_validate_json(events[-1].value)
    assert (last.event_type.value, last.report_count, last.reporter_count) == ("case.updated", 3, 2)


async def committed_all(settings: Settings) -> bool:
    done, end = await committed(settings, INGEST_GROUP, REPORTS_SUBMITTED.name)
    return done == end


async def test_poison_messages_go_to_the_dlq_and_valid_ones_around_them_are_processed(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    placed = await publish(
        producer,
        settings,
        encode(report("ok1")),
        b'{"schema_version": 1, "report_id": ',  # malformed JSON
        encode(report("ok2", reporter="u2")),
        encode(report("bad", category="not-a-category")),  # schema violation
        b"\xff\xfe\x00",  # not even UTF-8
        encode(report("ok3", reporter="u3")),
    )
    async with running(SPEC, settings):
        dead = await read_topic(
            settings, REPORTS_SUBMITTED.dlq().name, until=lambda rs: len(rs) >= 3
        )
        await eventually(lambda: committed_all(settings))

    stored = await db.fetch("SELECT report_id FROM ingest.reports ORDER BY report_id")
    assert [r["report_id"] for r in stored] == ["ok1", "ok2", "ok3"]
    assert len(dead) == 3
    prefix = settings.topic_prefix
    by_offset = {r.offset: dict(r.headers) for r in dead}
    source = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    where = sorted(
        (int(h["crible.source.partition"]), int(h["crible.source.offset"]))
        for h in by_offset.values()
    )
    assert where == [placed[1], placed[3], placed[4]]
    for headers in by_offset.values():
        assert headers["crible.source.topic"] == source.encode()
        assert headers["crible.service"] == b"ingest"
        assert headers["crible.error.class"] == b"ValidationError"
    schema_violation = next(
        h for h in by_offset.values() if int(h["crible.source.offset"]) == placed[3][1]
    )
    assert b"category: Input should be" in schema_violation["crible.error.message"]
    assert {r.value for r in dead} >= {b"\xff\xfe\x00"}
    # Exactly three, counted by the topic's offsets, not by reading it for a while.
    assert await messages_written(settings, wire_name(REPORTS_SUBMITTED.dlq().name, prefix)) == 3


async def test_a_decided_case_reopens_as_a_new_revision(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    async with running(SPEC, settings):
        await publish(producer, settings, encode(report("r1")))
        await eventually(lambda: db.fetchval("SELECT count(*) FROM ingest.cases"))
        case_id = str(await db.fetchval("SELECT case_id FROM ingest.cases"))
        # The first of two reviews leaves the case open; the final decision closes it.
        first, final = decision(case_id, final=False), decision(case_id, final=True)
        topic = wire_name(REVIEW_DECISIONS.name, settings.topic_prefix)
        for body in (first, final, final):  # a redelivery changes nothing
            await producer.send_and_wait(topic, body, key=case_id.encode())
        await eventually(
            lambda: db.fetchval("SELECT status = 'closed' FROM ingest.cases"), timeout=30
        )
        await publish(producer, settings, encode(report("r2", reporter="u1")))
        events = await read_topic(settings, CASES.name, until=lambda rs: len(rs) >= 2)

    reopened = CaseEvent.model_validate_json(events[1].value)
    assert (reopened.event_type.value, reopened.revision) == ("case.reopened", 2)
    assert (reopened.report_count, reopened.reporter_count) == (1, 1)
    row = await db.fetchrow("SELECT revision, status, report_count FROM ingest.cases")
    assert row is not None
    assert dict(row) == {"revision": 2, "status": "open", "report_count": 1}


async def test_database_connections_killed_mid_stream_lose_nothing_and_dead_letter_nothing(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    total = 3000
    topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    async with running(SPEC, settings.model_copy(update={"consumer_max_batch": 100})):
        for i in range(total):
            await producer.send(
                topic, encode(report(f"r{i}", reporter=f"u{i}", subject_id=f"m{i % 50}"))
            )
        await producer.flush()
        killed = 0
        while killed < 5 and not await committed_all(settings):
            # What the service sees when the database restarts: its connections dropped.
            killed += await db.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'crible-ingest'"
            )
            await asyncio.sleep(0.3)
        assert killed, "no connection of the service was ever killed"
        await eventually(lambda: committed_all(settings))

    assert await db.fetchval("SELECT count(*) FROM ingest.reports") == total
    assert await db.fetchval("SELECT sum(report_count) FROM ingest.cases") == total
    dead = await read_topic(
        settings, REPORTS_SUBMITTED.dlq().name, until=lambda rs: False, timeout=1
    )
    assert dead == []
    accepted = await read_topic(settings, REPORTS_ACCEPTED.name, until=lambda rs: len(rs) >= total)
    assert {orjson.loads(r.value)["report"]["report_id"] for r in accepted} == {
        f"r{i}" for i in range(total)
    }


async def test_a_second_worker_joining_mid_stream_double_counts_nothing(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    small_batches = settings.model_copy(update={"consumer_max_batch": 50})
    sent = 0

    async def send(count: int) -> None:
        nonlocal sent
        for _ in range(count):
            subject = f"m{sent % 40}"
            await producer.send(
                topic,
                encode(report(f"r{sent}", reporter=f"u{sent % 500}", subject_id=subject)),
                key=f"message:c1:{subject}".encode(),
            )
            sent += 1
        await producer.flush()

    await send(8_000)
    assignments = assigned()
    async with running(SPEC, small_batches):
        await eventually(lambda: db.fetchval("SELECT count(*) > 500 FROM ingest.reports"))
        async with running(SPEC, small_batches):  # the group rebalances under load
            # Reports keep arriving until both workers hold partitions (the first at start,
            # then both at the rebalance), so the join lands mid-stream however fast the
            # first worker is, and more arrive after it.
            while assigned() < assignments + 3:
                await send(200)
            await send(8_000)
            await eventually(lambda: committed_all(settings), timeout=120)

    assert await db.fetchval("SELECT count(*) FROM ingest.reports") == sent
    assert await db.fetchval("SELECT sum(report_count) FROM ingest.cases") == sent
    assert await db.fetchval("SELECT sum(reporter_count) FROM ingest.cases") == await db.fetchval(
        "SELECT count(DISTINCT (case_id, case_revision, reporter_id)) FROM ingest.reports"
    )


def assigned() -> float:
    """Partition assignments ingest's consumers received in this process so far."""
    return (
        REGISTRY.get_sample_value(
            "crible_partition_assignments_total", {"service": "ingest", "consumer": "main"}
        )
        or 0.0
    )


async def test_reports_of_hundreds_of_kilobytes_on_one_subject_stall_nothing(
    settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    # Valid reports padded with JSON whitespace to about 420 KB each, as a client may send.
    padding = b" " * 420_000
    big = [
        encode(report(f"big{i}", reporter=f"b{i}", subject_id="viral")).replace(
            b", ", b"," + padding, 1
        )
        for i in range(3)
    ]
    ordinary = [
        encode(report(f"ok{i}", reporter=f"o{i}", subject_id="viral" if i % 2 else f"m{i}"))
        for i in range(20)
    ]
    retries = (
        REGISTRY.get_sample_value(
            "crible_transient_retries_total", {"service": "ingest", "stage": "publish"}
        )
        or 0.0
    )
    for value in big:
        await producer.send_and_wait(topic, value, partition=0)
    for i, value in enumerate(ordinary):
        await producer.send_and_wait(topic, value, partition=i % 4)

    async with running(SPEC, settings):
        await eventually(lambda: committed_all(settings), timeout=30)

    accepted_topic = wire_name(REPORTS_ACCEPTED.name, settings.topic_prefix)
    assert await messages_written(settings, accepted_topic) == 23
    accepted = await read_topic(settings, REPORTS_ACCEPTED.name, until=lambda rs: len(rs) >= 23)
    ids = [ReportAccepted.model_validate_json(r.value).report.report_id for r in accepted]
    assert sorted(ids) == sorted([f"big{i}" for i in range(3)] + [f"ok{i}" for i in range(20)])
    assert max(len(r.value) for r in accepted) < 2_000  # re-encoded compactly
    assert await db.fetchval("SELECT count(*) FROM ingest.reports") == 23
    assert (
        REGISTRY.get_sample_value(
            "crible_transient_retries_total", {"service": "ingest", "stage": "publish"}
        )
        or 0.0
    ) == retries
    assert (
        await messages_written(
            settings, wire_name(REPORTS_SUBMITTED.dlq().name, settings.topic_prefix)
        )
        == 0
    )
