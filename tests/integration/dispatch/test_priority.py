"""The README's priority promises, each on the real stack: cases that differ in one factor,
and the order in which ``next case`` serves them.

Trusted reporters and surge signals have theirs in ``test_review.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.dispatch.service import SPEC as DISPATCH
from shared.config import Settings
from shared.topics import REPORTS_ACCEPTED
from tests.integration.conftest import eventually, running, serving
from tests.integration.dispatch.test_api import add_reviewer, api_settings
from tests.integration.dispatch.test_intake import publish_verdicts, verdict
from tests.integration.dispatch.test_review import accepted, publish, take

pytestmark = pytest.mark.integration
__all__ = ["api_settings"]  # the fixture, used by name below


@pytest.fixture
async def client(api_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    url = f"http://127.0.0.1:{api_settings.http_port}"
    async with running(DISPATCH, api_settings), httpx.AsyncClient(base_url=url) as http:
        await serving(f"{url}/openapi.json")
        yield http


def case(case_id: str, *, at: datetime, **changes: Any) -> dict[str, Any]:
    """A verdict screened at ``at``, on a subject of its own."""
    subject = {"kind": "message", "id": f"m-{case_id[:8]}", "chat_id": "c1"}
    return verdict(case_id) | {"screened_at": at.isoformat(), "subject": subject} | changes


async def served(
    client: httpx.AsyncClient, db: asyncpg.Connection, cases: list[str]
) -> list[str | None]:
    """The order a reviewer is given the cases in, once all are queued."""
    await eventually(lambda: db.fetchval("SELECT count(*) = $1 FROM dispatch.cases", len(cases)))
    reviewer = await add_reviewer(db, f"r-{uuid.uuid4().hex[:6]}")
    return [await take(client, reviewer) for _ in range(len(cases))]


async def test_a_more_severe_case_is_served_first(
    api_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer, client: Any
) -> None:
    mild, severe = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC)
    await publish_verdicts(
        producer,
        api_settings,
        [
            case(mild, at=now - timedelta(seconds=1), severity="medium"),
            case(severe, at=now, severity="critical"),
        ],
    )
    assert await served(client, db, [mild, severe]) == [severe, mild]


async def test_a_more_confident_screening_is_served_first(
    api_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer, client: Any
) -> None:
    doubtful, confident = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC)
    await publish_verdicts(
        producer,
        api_settings,
        [
            case(doubtful, at=now - timedelta(seconds=1), confidence=0.2),
            case(confident, at=now, confidence=0.95),
        ],
    )
    assert await served(client, db, [doubtful, confident]) == [confident, doubtful]


async def test_more_distinct_reporters_are_served_first(
    api_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer, client: Any
) -> None:
    one, many = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC)
    await publish_verdicts(
        producer,
        api_settings,
        [
            case(one, at=now - timedelta(seconds=1), report_count=6, reporter_count=1),
            case(many, at=now, report_count=6, reporter_count=6),
        ],
    )
    assert await served(client, db, [one, many]) == [many, one]


async def test_velocity_is_measured_over_the_case_s_own_life(
    api_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer, client: Any
) -> None:
    # 15 reports in a minute, and 15 spread over ten days: the verdicts alike (same counts,
    # screened now, the slow one a second earlier), the reports tell them apart.
    slow, burst = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC)
    reports = [accepted(slow, f"s{i}", "lent", at=now - timedelta(days=10 - i)) for i in range(15)]
    reports += [
        accepted(burst, f"b{i}", "vite", at=now - timedelta(seconds=60 - i)) for i in range(15)
    ]
    for body in reports:
        body["report"]["subject"] = {
            "kind": "message",
            "id": f"m-{body['case_id'][:8]}",
            "chat_id": "c1",
        }
    await publish(producer, api_settings, REPORTS_ACCEPTED.name, reports)
    await eventually(lambda: db.fetchval("SELECT count(*) = 30 FROM dispatch.case_reports"))
    await publish_verdicts(
        producer,
        api_settings,
        [
            case(slow, at=now - timedelta(seconds=1), report_count=15, reporter_count=15),
            case(burst, at=now, report_count=15, reporter_count=15),
        ],
    )
    assert await served(client, db, [slow, burst]) == [burst, slow]
    per_hour = {
        str(r["case_id"]): r["reports_per_hour"]
        for r in await db.fetch("SELECT case_id, reports_per_hour FROM dispatch.cases")
    }
    assert per_hour[slow] < 0.1
    assert per_hour[burst] > 50


async def test_nothing_starves_an_old_mild_case_overtakes_a_fresh_critical_one(
    api_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer, client: Any
) -> None:
    old, fresh = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC)
    await publish_verdicts(
        producer,
        api_settings,
        [
            case(fresh, at=now, severity="critical", confidence=1.0),
            case(old, at=now - timedelta(days=8), severity="low", confidence=0.1),
        ],
    )
    assert await served(client, db, [old, fresh]) == [old, fresh]


async def test_a_case_keeps_its_age_through_new_verdicts(
    api_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer, client: Any
) -> None:
    # The older case draws a new reporter: its new verdict must not send it behind a
    # younger identical case.
    older, younger = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC)
    await publish_verdicts(
        producer,
        api_settings,
        [case(older, at=now - timedelta(days=2)), case(younger, at=now - timedelta(days=1))],
    )
    await eventually(lambda: db.fetchval("SELECT count(*) = 2 FROM dispatch.cases"))
    opened = await db.fetchval(
        "SELECT opened_at FROM dispatch.cases WHERE case_id = $1", uuid.UUID(older)
    )
    again = case(older, at=now, report_count=2, reporter_count=2)
    await publish_verdicts(producer, api_settings, [again])
    await eventually(
        lambda: db.fetchval(
            "SELECT report_count = 2 FROM dispatch.cases WHERE case_id = $1", uuid.UUID(older)
        )
    )
    assert await served(client, db, [older, younger]) == [older, younger]
    assert (
        await db.fetchval(
            "SELECT opened_at FROM dispatch.cases WHERE case_id = $1", uuid.UUID(older)
        )
        == opened
    )


async def test_reviewers_see_the_case_s_own_counts_not_the_last_verdict_s(
    api_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer, client: Any
) -> None:
    case_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    await publish_verdicts(producer, api_settings, [case(case_id, at=now)])
    await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM dispatch.cases"))
    # Four more reports by three people; prescreen issues no new verdict (same hint).
    reports = [accepted(case_id, who, "encore", at=now) for who in ("p1", "p2", "p3", "p3")]
    for body in reports:
        body["report"]["subject"] = {"kind": "message", "id": f"m-{case_id[:8]}", "chat_id": "c1"}
    await publish(producer, api_settings, REPORTS_ACCEPTED.name, reports)
    await eventually(lambda: db.fetchval("SELECT count(*) = 4 FROM dispatch.case_reports"))
    reviewer = await add_reviewer(db, "counter")
    taken = (await client.post("/v1/cases/next", headers=reviewer)).json()["case"]
    assert (taken["report_count"], taken["reporter_count"]) == (4, 3)
    detail = (await client.get(f"/v1/cases/{case_id}/1", headers=reviewer)).json()["case"]
    assert (detail["report_count"], detail["reporter_count"]) == (4, 3)
