"""Legal part 2 on the real stack: retention by law with preservation orders, deadlines and
their gauges, and user notices (with a controllable clock: the jobs take ``now``)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from services.dispatch.adapters.postgres.retention import rules as dispatch_rules
from services.ingest.adapters.postgres.retention import rules as ingest_rules
from services.legal.adapters.postgres import legal_unit
from services.legal.adapters.postgres.audit_log import entries, verify
from services.legal.adapters.postgres.gauges import refresh_deadline_gauges
from services.legal.adapters.postgres.retention import PostgresRetention
from services.legal.config import LegalSettings
from services.legal.handlers import notices
from services.legal.handlers.retention import run_retention
from services.legal.schedule import STATES
from shared.config import Settings
from shared.runtime.periodic import lock_name
from shared.runtime.retention import enforce_rule
from shared.topics import USER_NOTIFICATIONS
from tests.integration.conftest import audit_keys, eventually, read_topic
from tests.integration.dispatch.rows import entry_state, move_case
from tests.integration.legal.test_identity_store import event, send
from tests.integration.legal.test_portal import (
    PATH,
    body,
    officer,
    portal,
    register,
    submit,
    with_package_key,
)

pytestmark = pytest.mark.integration
__all__ = ["portal"]  # the fixture, used by name

NOW = datetime.now(UTC)


@pytest.fixture(autouse=True)
def notices_every_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """The running service's notice task rounds every second, not every minute."""
    monkeypatch.setenv("CRIBLE_LEGAL_NOTICES_EVERY_SECONDS", "1")


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


async def approve(portal: httpx.AsyncClient, settings: Settings, request_id: str) -> Any:
    """Two officers approve ``request_id``; the approval's answer."""
    first, second = await officer(settings, "ines"), await officer(settings, "hugo")
    path = f"/v1/officer/requests/{request_id}"
    assert (await portal.post(f"{path}/prepare", headers=first)).status_code == 200
    approved = await portal.post(f"{path}/approve", headers=second)
    assert approved.status_code == 200, approved.text
    return approved.json()["result"]


async def seed(producer: AIOKafkaProducer, settings: Settings, db: asyncpg.Connection) -> None:
    """Accounts and sessions, some past their retention, one of them to be preserved."""
    events = [
        # u1: open account; one session past a year, one within it.
        event("account.registered", "u1", ago(900), phone_number="+33600000001"),
        event("session.observed", "u1", ago(400), ip_address="192.0.2.1", source_port=1),
        event("session.observed", "u1", ago(100), ip_address="192.0.2.2", source_port=2),
        # u2: closed 6 years ago (identity due); u3: closed 1 year ago (kept).
        event("account.registered", "u2", ago(3000), phone_number="+33600000002"),
        event("account.closed", "u2", ago(6 * 365)),
        event("account.registered", "u3", ago(3000), phone_number="+33600000003"),
        event("account.closed", "u3", ago(365)),
        # u4: an old session, but an authority will ask to preserve the account.
        event("account.registered", "u4", ago(900), phone_number="+33600000004"),
        event("session.observed", "u4", ago(400), ip_address="192.0.2.4", source_port=4),
    ]
    await send(producer, settings, events)
    await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM legal.sessions"))
    await eventually(
        lambda: db.fetchval("SELECT count(*) = 2 FROM legal.accounts WHERE closed_at IS NOT NULL")
    )


async def counts(db: asyncpg.Connection) -> dict[str, int]:
    return {
        table: await db.fetchval(f"SELECT count(*) FROM legal.{table}")
        for table in ("accounts", "phone_numbers", "sessions")
    }


async def test_retention_deletes_what_is_due_and_a_preservation_order_keeps_its_account(
    settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    portal: httpx.AsyncClient,
) -> None:
    before = len(await entries(db))
    await seed(producer, settings, db)
    # A European Preservation Order for u4, from a German court, approved by two officers.
    court = await register(settings, "de-ag-berlin", kind="court", country="DE")
    order = body(
        instrument="eu_epoc_pr",
        target={"kind": "platform_user_id", "value": "u4"},
        date_from=ago(500),
        date_to=ago(1),
    )
    status = await submit(portal, court, json.dumps(order).encode())
    assert status["state"] == "accepted", status
    # Preservation is due at once (Regulation 2023/1543 art. 11(1)).
    assert status["due_at"] == status["received_at"]
    assert await approve(portal, settings, status["request_id"]) == {"preserved": 1}
    bearer = {"Authorization": f"Bearer {court.token}"}
    state = (await portal.get(f"{PATH}/{status['request_id']}", headers=bearer)).json()
    assert state["state"] == "preserving"
    config = LegalSettings()

    # A dry run counts and deletes nothing.
    dry = await run_retention(
        PostgresRetention(db, config.retention(), config.audit_ring()), now=NOW, dry_run=True
    )
    assert {o.name: (o.due, o.kept) for o in dry} == {
        "legal.sessions": (1, 1),
        "legal.accounts": (1, 0),
    }
    assert await counts(db) == {"accounts": 4, "phone_numbers": 4, "sessions": 3}

    # Now: u1's old session and all of u2 go; u4's old session is kept by the order.
    done = await run_retention(
        PostgresRetention(db, config.retention(), config.audit_ring()), now=NOW
    )
    assert {o.name: (o.due, o.kept) for o in done} == {
        "legal.sessions": (1, 1),
        "legal.accounts": (1, 0),
    }
    assert await counts(db) == {"accounts": 3, "phone_numbers": 3, "sessions": 2}
    assert (
        await db.fetchval("SELECT count(*) FROM legal.accounts WHERE platform_user_id = 'u2'") == 0
    )
    kept = await db.fetch("SELECT platform_user_id FROM legal.sessions ORDER BY 1")
    assert [r[0] for r in kept] == ["u1", "u4"]
    # The same run again deletes nothing: what is kept is kept.
    again = await run_retention(
        PostgresRetention(db, config.retention(), config.audit_ring()), now=NOW
    )
    assert sum(o.due for o in again) == 0

    # Extended once by 30 days: 61 days on, the order still holds; a second extension is refused.
    ines = await officer(settings, "ines")
    path = f"/v1/officer/requests/{status['request_id']}"
    extended = await portal.post(f"{path}/extend", headers=ines)
    assert extended.status_code == 200, extended.text
    twice = await portal.post(f"{path}/extend", headers=ines)
    assert (twice.status_code, twice.json()["code"]) == (409, "already_extended")
    later = await run_retention(
        PostgresRetention(db, config.retention(), config.audit_ring()), now=NOW + timedelta(days=61)
    )
    assert {o.name: o.kept for o in later}["legal.sessions"] == 1
    assert (
        await db.fetchval("SELECT count(*) FROM legal.sessions WHERE platform_user_id = 'u4'") == 1
    )
    # 91 days on, the order has ended (60 + 30): retention applies again.
    ended = await run_retention(
        PostgresRetention(db, config.retention(), config.audit_ring()), now=NOW + timedelta(days=91)
    )
    assert {o.name: (o.due, o.kept) for o in ended}["legal.sessions"] == (1, 0)
    assert (
        await db.fetchval("SELECT count(*) FROM legal.sessions WHERE platform_user_id = 'u4'") == 0
    )

    # Counts, never values, on the chain; and the chain still verifies.
    runs = [
        dict(e.details) for e in (await entries(db))[before:] if e.step.value == "retention_run"
    ]
    assert runs[-1]["sessions_deleted"] == 1
    assert runs[0]["dry_run"] is True
    assert runs[1]["sessions_kept_preserved"] == 1
    steps = [e.step.value for e in await entries(db, status["request_id"])]
    assert "preservation_started" in steps
    assert "preservation_extended" in steps
    assert (await verify(db, audit_keys())).intact


async def test_a_production_order_discloses_what_a_preservation_order_kept(
    settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    portal: httpx.AsyncClient,
) -> None:
    await seed(producer, settings, db)
    court = await register(settings, "de-ag-berlin", kind="court", country="DE")
    preserve = body(
        instrument="eu_epoc_pr",
        target={"kind": "platform_user_id", "value": "u4"},
        date_from=ago(500),
        date_to=ago(1),
    )
    preserved = await submit(portal, court, json.dumps(preserve).encode())
    await approve(portal, settings, preserved["request_id"])
    await run_retention(
        PostgresRetention(db, LegalSettings().retention(), LegalSettings().audit_ring()), now=NOW
    )
    # The production order that follows finds the session retention would have deleted.
    produce = body(
        instrument="eu_epoc",
        target={"kind": "platform_user_id", "value": "u4"},
        categories=["subscriber", "identification"],
        date_from=ago(500),
        date_to=ago(1),
    )
    production = await submit(portal, court, json.dumps(produce).encode())
    assert production["state"] == "accepted", production
    # Regulation 2023/1543 art. 10(2): ten days.
    due = datetime.fromisoformat(production["due_at"])
    assert due - datetime.fromisoformat(production["received_at"]) == timedelta(days=10)
    result = await approve(portal, settings, production["request_id"])
    assert result == {"phone_numbers": 1, "sessions": 1}
    # Lifted: the order no longer protects the account.
    lifted = await portal.post(
        f"/v1/officer/requests/{preserved['request_id']}/lift",
        headers=await officer(settings, "ines"),
    )
    assert lifted.status_code == 200
    assert (
        sum(
            o.due
            for o in await run_retention(
                PostgresRetention(db, LegalSettings().retention(), LegalSettings().audit_ring()),
                now=NOW,
            )
        )
        == 1
    )


async def test_two_retention_runs_never_overlap(settings: Settings, db: asyncpg.Connection) -> None:
    # Another process holds the job's lock (as the service's scheduled run would).
    holder = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        name = lock_name("legal", "retention")
        assert await holder.fetchval("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", name)
        env = {**os.environ, "CRIBLE_TOPIC_PREFIX": settings.topic_prefix}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services", "legal", "retention", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode == 1
        assert b"in progress" in out
    finally:
        await holder.close()


async def test_ingest_keeps_open_cases_and_deletes_closed_ones_past_their_period(
    db: asyncpg.Connection,
) -> None:
    old, recent = NOW - timedelta(days=500), NOW - timedelta(days=10)
    for case, status, when in (
        (uuid.uuid4(), "closed", old),
        (uuid.uuid4(), "open", old),
        (uuid.uuid4(), "closed", recent),
    ):
        await db.execute(
            """INSERT INTO ingest.cases (case_id, subject_kind, subject_id, category, revision,
                   status, report_count, reporter_count, first_reported_at, last_reported_at,
                   reporter_languages, updated_at)
               VALUES ($1, 'user', $2, 'spam', 1, $3, 1, 1, $4, $4, '{fr}', $4)""",
            case,
            str(case),
            status,
            when,
        )
        await db.execute(
            """INSERT INTO ingest.reports (report_id, case_id, case_revision, reporter_id,
                   repeat, reported_at, accepted_at, body)
               VALUES ($1, $2, 1, 'r', false, $3, $3, '{}')""",
            f"report-{case}",
            case,
            when,
        )
    outcomes = [await enforce_rule(db, rule, now=NOW) for rule in ingest_rules()]
    assert [(o.name, o.due) for o in outcomes] == [("ingest.reports", 1), ("ingest.cases", 1)]
    assert await db.fetchval("SELECT count(*) FROM ingest.cases") == 2
    assert await db.fetchval("SELECT count(*) FROM ingest.reports") == 2


def gauge(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


async def test_deadlines_per_instrument_and_an_emergency_near_its_deadline_shows(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    court = await register(settings, "de-ag-berlin", kind="court", country="DE")
    emergency = body(instrument="eu_epoc", emergency=True, categories=["subscriber"])
    status = await submit(portal, court, json.dumps(emergency).encode())
    received = datetime.fromisoformat(status["received_at"])
    # Regulation 2023/1543 art. 10(4): eight hours from receipt.
    assert datetime.fromisoformat(status["due_at"]) - received == timedelta(hours=8)
    assert "10(4)" in status["deadline_article"]
    paris = await register(settings, "fr-parquet-paris")
    requisition = await submit(portal, paris, json.dumps(body()).encode())
    policy = LegalSettings()
    assert datetime.fromisoformat(requisition["due_at"]) - datetime.fromisoformat(
        requisition["received_at"]
    ) == timedelta(hours=policy.fr_requisition_hours)

    await refresh_deadline_gauges(db, now=received + timedelta(hours=7, minutes=30), states=STATES)
    assert gauge("crible_legal_requests_due", {"within": "1h"}) == 1
    assert gauge("crible_legal_requests_overdue") == 0
    assert gauge("crible_legal_requests", {"state": "accepted"}) == 2
    await refresh_deadline_gauges(db, now=received + timedelta(hours=9), states=STATES)
    assert gauge("crible_legal_requests_overdue") == 1
    assert gauge("crible_legal_oldest_overdue_seconds") == pytest.approx(3600, abs=5)
    # Answered requests are no longer due.
    await approve(portal, settings, status["request_id"])
    await refresh_deadline_gauges(db, now=received + timedelta(hours=9), states=STATES)
    assert gauge("crible_legal_requests_overdue") == 0


async def disclose(
    portal: httpx.AsyncClient, settings: Settings, db: asyncpg.Connection, **changes: Any
) -> str:
    """A request for u1's data, approved and downloaded by the authority; its id."""
    paris, _ = await with_package_key(settings, db, "fr-parquet-paris")
    asked = body(target={"kind": "platform_user_id", "value": "u1"}, **changes)
    status = await submit(portal, paris, json.dumps(asked).encode())
    await approve(portal, settings, status["request_id"])
    bearer = {"Authorization": f"Bearer {paris.token}"}
    link = (await portal.get(f"{PATH}/{status['request_id']}", headers=bearer)).json()["package"]
    assert (await portal.get(link["url"], headers=bearer)).status_code == 200
    return str(status["request_id"])


async def notices_at(db: asyncpg.Connection, now: datetime) -> list[dict[str, Any]]:
    async with db.transaction():
        legal = legal_unit(db, LegalSettings().keys())
        await notices.send_due(legal, now=now)
    return [json.loads(event.value) for event in legal.events]


async def test_users_are_told_after_a_disclosure_unless_an_order_delays_it(
    settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    portal: httpx.AsyncClient,
) -> None:
    await seed(producer, settings, db)
    # Under a non-disclosure order for ten days: nothing now, the notice once it ends.
    until = NOW.date() + timedelta(days=10)
    secret = await disclose(portal, settings, db, non_disclosure_until=until.isoformat())
    assert await notices_at(db, NOW + timedelta(minutes=1)) == []
    steps = {e.step.value: dict(e.details) for e in await entries(db, secret)}
    assert steps["notice_delayed"] == {"reason": "non_disclosure_order", "until": until.isoformat()}
    sent = await notices_at(db, NOW + timedelta(days=11))
    assert [(n["platform_user_id"], n["delayed"]) for n in sent] == [("u1", True)]
    assert set(sent[0]) >= {"notification_id", "kind", "instrument", "categories"}
    assert "+33600000001" not in json.dumps(sent)
    # Sent once: a later round sends nothing more.
    assert await notices_at(db, NOW + timedelta(days=12)) == []
    # An emergency: the user is told once it has passed (30 days by default).
    urgent = await disclose(
        portal, settings, db, instrument="emergency_disclosure", emergency=True,
        categories=["subscriber"],
    )  # fmt: skip
    assert await notices_at(db, NOW + timedelta(days=1)) == []
    assert len(await notices_at(db, NOW + timedelta(days=31))) == 1
    # Without either: at once, and the running service's scheduled task publishes it.
    plain = await disclose(portal, settings, db)
    published = await read_topic(
        settings, USER_NOTIFICATIONS.name, until=lambda r: len(r) >= 1, timeout=90
    )
    assert [json.loads(r.value)["delayed"] for r in published] == [False]
    for request_id in (secret, urgent, plain):
        assert "user_notified" in [e.step.value for e in await entries(db, request_id)]
    assert (await verify(db, audit_keys())).intact


async def dispatch_case(
    db: asyncpg.Connection, *, state: str, updated: datetime, statement: str | None = None
) -> uuid.UUID:
    """One case revision in dispatch with a reviewer's decision, last changed at ``updated``."""
    case = uuid.uuid4()
    await db.execute(
        """INSERT INTO dispatch.reviewers (reviewer_id, name, languages, clearances, roles,
               exposure_cap) VALUES ('rita', 'Rita', '{fr}', '{}', '{reviewer}', 10)
           ON CONFLICT DO NOTHING"""
    )
    await db.execute(
        """INSERT INTO dispatch.cases (case_id, revision, subject, category, screened_category,
               route, severity, confidence, qa_sample, report_count, reporter_count, languages,
               urgency, opened_at, due_at, state, verdict_id, verdict, updated_at,
               subject_key, rank_at)
           VALUES ($1, 1, '{}', 'spam', 'spam', 'human_review', 'low', 0.5, false, 1, 1,
                   '{fr}', 0.1, $2, $2, $3, $1, '{}', $2, $4, $2)""",
        case,
        updated,
        entry_state(state),
        str(case),
    )
    await move_case(db, case, state, reviewer="rita")
    decision = uuid.uuid4()
    await db.execute(
        """INSERT INTO dispatch.decisions (decision_id, case_id, revision, reviewer_id, outcome,
               policy_reason, explanation, final, decided_at)
           VALUES ($1, $2, 1, 'rita', 'no_violation', 'none', 'checked', true, $3)""",
        decision,
        case,
        updated,
    )
    if statement is not None:
        await db.execute(
            """INSERT INTO dispatch.statements (puid, decision_id, case_id, statement,
                   issued_at, status) VALUES ($1, $2, $3, '{}', $4, $5)""",
            str(decision),
            decision,
            case,
            updated,
            statement,
        )
    return case


async def test_dispatch_keeps_decisions_for_their_period_and_open_or_unsubmitted_cases(
    db: asyncpg.Connection,
) -> None:
    old, recent = NOW - timedelta(days=800), NOW - timedelta(days=30)
    gone = await dispatch_case(db, state="decided", updated=old, statement="submitted")
    await dispatch_case(db, state="decided", updated=recent)  # within its period
    await dispatch_case(db, state="queued", updated=old)  # still waiting: never deleted
    await dispatch_case(db, state="decided", updated=old, statement="pending")  # not yet sent
    # Preserved evidence has its own end, whatever becomes of the case: the deleted case's
    # is still kept, an expired one goes.
    expired = uuid.uuid4()
    for case_id, until in ((gone, NOW + timedelta(days=10)), (expired, NOW - timedelta(days=1))):
        await db.execute(
            """INSERT INTO dispatch.preserved_evidence (case_id, revision, category, action_id,
                   subject, matches, preserved_at, keep_until, basis)
               VALUES ($1, 1, 'terrorism_violent_extremism', $1, '{}', '[]', $2, $3,
                       'Regulation (EU) 2021/784 art. 6')""",
            case_id,
            until - timedelta(days=183),
            until,
        )
    outcomes = [await enforce_rule(db, rule, now=NOW) for rule in dispatch_rules()]
    assert [(o.name, o.due) for o in outcomes] == [
        ("dispatch.cases", 1),
        ("dispatch.preserved_evidence", 1),
    ]
    kept = await db.fetch("SELECT case_id FROM dispatch.preserved_evidence")
    assert [r["case_id"] for r in kept] == [gone]
    assert await db.fetchval("SELECT count(*) FROM dispatch.cases WHERE case_id = $1", gone) == 0
    assert (
        await db.fetchval("SELECT count(*) FROM dispatch.decisions WHERE case_id = $1", gone) == 0
    )
    assert await db.fetchval("SELECT count(*) FROM dispatch.cases") == 3
