"""Dispatch's intake on the real stack: verdicts into the queue, automatic actions at once."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer

from services.dispatch.service import SPEC as DISPATCH
from services.ingest.service import SPEC as INGEST
from services.prescreen.service import SPEC as PRESCREEN
from shared.config import Settings
from shared.events.enforcement import EnforcementAction
from shared.kafka import apply_topics, messages_written
from shared.topics import (
    CASES,
    ENFORCEMENT_ACTIONS,
    HASHBANKS_UPDATES,
    REPORTS_SUBMITTED,
    SCREENING_VERDICTS,
    wire_name,
)
from tests.integration.conftest import DISPATCH_TOPICS, eventually, read_topic, running
from tests.integration.prescreen.test_prescreen import applied_updates, crible, wait_applied

pytestmark = pytest.mark.integration

BANKS = Path(__file__).resolve().parents[3] / "deploy" / "prescreen" / "banks"
TOPICS = [CASES.dlq(), HASHBANKS_UPDATES, HASHBANKS_UPDATES.dlq(), *DISPATCH_TOPICS]


@pytest.fixture
async def stage_settings(settings: Settings) -> Settings:
    await apply_topics(settings, TOPICS)
    return settings


def verdict(
    case_id: str, *, route: str = "human_review", reports: int = 1, qa: bool = False
) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "schema_version": 1, "verdict_id": str(uuid.uuid4()), "case_id": case_id,
        "case_revision": 1, "case_event_id": str(uuid.uuid4()),
        "subject": {"kind": "message", "id": "m1", "chat_id": "c1"},
        "category": "hate_speech", "screened_category": "hate_speech", "route": route,
        "severity": "medium", "priority_hint": 40, "confidence": 0.7, "qa_sample": qa,
        "policy": {"name": "default", "version": 1}, "report_count": reports,
        "reporter_count": reports, "reporter_languages": ["fr"], "screeners": [],
        "screened_at": now,
    }  # fmt: skip


async def publish_verdicts(
    producer: AIOKafkaProducer, settings: Settings, verdicts: list[dict[str, Any]]
) -> None:
    topic = wire_name(SCREENING_VERDICTS.name, settings.topic_prefix)
    for body in verdicts:
        await producer.send_and_wait(topic, json.dumps(body).encode(), key=body["case_id"].encode())


async def test_a_report_of_banked_media_is_removed_at_once_and_queued_for_a_person(
    stage_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    settings = stage_settings
    sha = next(
        h["hash"]
        for h in json.loads((BANKS / "demo-csam.json").read_text())["hashes"]
        if h["algorithm"] == "sha256"
    )
    report = {
        "schema_version": 1, "report_id": uuid.uuid4().hex,
        "reported_at": datetime.now(UTC).isoformat(), "reporter_id": "u1",
        "reporter_language": "fr", "subject": {"kind": "message", "id": "m9", "chat_id": "c9"},
        "category": "other", "evidence": {"media": [{"sha256": sha}]},
    }  # fmt: skip
    async with running(INGEST, settings), running(PRESCREEN, settings), running(DISPATCH, settings):
        before = applied_updates()
        await crible(settings, "banks", "import", str(BANKS / "demo-csam.json"))
        await wait_applied(before, 46)
        topic = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
        await producer.send_and_wait(topic, json.dumps(report).encode(), key=b"message:c9:m9")
        [record] = await read_topic(
            settings, ENFORCEMENT_ACTIONS.name, until=lambda rs: len(rs) >= 1
        )
        row = await eventually(lambda: db.fetchrow("SELECT * FROM dispatch.cases"))
        # The report reaches the preserved evidence too, whenever it arrives.
        evidence = await eventually(
            lambda: db.fetchrow(
                """SELECT e.*, (SELECT jsonb_agg(to_jsonb(r)) FROM dispatch.preserved_reports r
                               WHERE r.case_id = e.case_id) AS reports
                   FROM dispatch.preserved_evidence e
                   WHERE EXISTS (SELECT 1 FROM dispatch.preserved_reports r
                                 WHERE r.case_id = e.case_id)"""
            )
        )

    action = EnforcementAction.model_validate_json(record.value)
    assert action.automatic
    # Evidence first: preserved and referred to the authorities before the removal.
    assert [(m.action.value, m.target.value) for m in action.measures] == [
        ("preserve_evidence", "subject"),
        ("refer_to_authorities", "subject"),
        ("delete_message", "subject"),
    ]
    assert (evidence["case_id"], evidence["action_id"]) == (action.case_id, action.action_id)
    assert json.loads(evidence["subject"])["id"] == "m9"
    assert "demo-csam" in {m["ref"] for m in json.loads(evidence["matches"])}
    [kept] = json.loads(evidence["reports"])
    assert (kept["reporter_id"], kept["evidence"]["media"][0]["sha256"]) == ("u1", sha)
    assert evidence["keep_until"] - evidence["preserved_at"] == timedelta(days=365)
    assert "2021/1232" in evidence["basis"]
    assert evidence["preserved_at"] <= action.issued_at
    assert action.reason == "screening:demo-csam"
    assert action.category == "child_sexual_abuse"
    assert (row["state"], row["route"], row["screened_category"]) == (
        "queued",
        "act_now",
        "child_sexual_abuse",
    )
    assert row["automatic_action_id"] == action.action_id
    assert row["due_at"] - row["opened_at"] <= timedelta(hours=1)


async def test_verdicts_update_a_queued_case_in_place_and_act_once(
    stage_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    settings = stage_settings
    review, dismissed, sampled, acted = (str(uuid.uuid4()) for _ in range(4))
    first = verdict(review, reports=1)
    async with running(DISPATCH, settings):
        await publish_verdicts(
            producer,
            settings,
            [
                first,
                verdict(review, reports=3),
                first,  # redelivered and older: changes nothing
                verdict(dismissed, route="dismiss"),
                verdict(sampled, route="dismiss", qa=True),
                verdict(acted, route="act_now", reports=1),
                verdict(acted, route="act_now", reports=2),
            ],
        )
        await eventually(
            lambda: db.fetchval(
                "SELECT report_count = 2 FROM dispatch.cases WHERE case_id = $1", uuid.UUID(acted)
            )
        )
    rows = {
        str(r["case_id"]): r
        for r in await db.fetch("SELECT case_id, state, report_count FROM dispatch.cases")
    }
    assert len(rows) == 4
    assert (rows[review]["state"], rows[review]["report_count"]) == ("queued", 3)
    assert rows[dismissed]["state"] == "dismissed"
    assert rows[sampled]["state"] == "queued"
    assert rows[acted]["state"] == "queued"
    actions = await messages_written(
        settings, wire_name(ENFORCEMENT_ACTIONS.name, settings.topic_prefix)
    )
    assert actions == 1
