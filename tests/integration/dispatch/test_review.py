"""Review rounds on the real stack: dual review, appeals, reports, trust, surges, roles."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from services.dispatch.service import SPEC as DISPATCH
from services.ingest.service import SPEC as INGEST
from services.prescreen.service import SPEC as PRESCREEN
from shared.config import Settings
from shared.events.decisions import ReviewDecision, StatementIssued
from shared.events.enforcement import EnforcementAction
from shared.kafka import apply_topics
from shared.topics import (
    CASES,
    ENFORCEMENT_ACTIONS,
    HASHBANKS_UPDATES,
    REPORTS_ACCEPTED,
    REPORTS_SUBMITTED,
    REVIEW_DECISIONS,
    SCREENING_VERDICTS,
    STATEMENTS_OF_REASONS,
    SURGE_SIGNALS,
    wire_name,
)
from tests.integration.conftest import eventually, read_topic, running, serving
from tests.integration.dispatch.test_api import add_reviewer, api_settings, at_least, decision
from tests.integration.dispatch.test_intake import publish_verdicts, verdict

pytestmark = pytest.mark.integration
__all__ = ["api_settings"]  # the fixture, used by name below


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


TERRORISM = "terrorism_violent_extremism"
DISAGREEMENTS = "crible_dispatch_dual_review_disagreements_total"


def extremism(outcome: str) -> dict[str, Any]:
    """A decision on a terrorism case, with a reason of that category."""
    return decision(outcome, reason=None if outcome == "no_violation" else "fr.cp.421-2-5")


def severe(case_id: str) -> dict[str, Any]:
    return verdict(case_id) | {"screened_category": TERRORISM, "severity": "critical"}


@pytest.fixture
async def client(api_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    url = f"http://127.0.0.1:{api_settings.http_port}"
    async with running(DISPATCH, api_settings), httpx.AsyncClient(base_url=url) as http:
        await serving(f"{url}/openapi.json")
        yield http


async def take(client: httpx.AsyncClient, who: dict[str, str]) -> str | None:
    case = (await client.post("/v1/cases/next", headers=who)).json()["case"]
    return None if case is None else str(case["case_id"])


async def test_dual_review_agreeing_decides_once_and_disagreeing_goes_to_a_senior(
    api_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    client: httpx.AsyncClient,
) -> None:
    settings = api_settings
    agreed, disputed = str(uuid.uuid4()), str(uuid.uuid4())
    cleared = (TERRORISM,)
    ann = await add_reviewer(db, "ann", clearances=cleared)
    ben = await add_reviewer(db, "ben", clearances=cleared)
    sue = await add_reviewer(db, "sue", clearances=cleared, roles=("senior",))
    before = sample(DISAGREEMENTS, {"category": TERRORISM})
    await publish_verdicts(producer, settings, [severe(agreed), severe(disputed)])
    await eventually(lambda: db.fetchval("SELECT count(*) = 2 FROM dispatch.cases"))

    # Ann takes both first reviews; neither is final, and neither comes back to her.
    outcomes = {agreed: "remove_content", disputed: "remove_content"}
    for _ in range(2):
        case = await take(client, ann)
        assert case is not None
        answer = await client.post(
            f"/v1/cases/{case}/1/decision", json=extremism(outcomes[case]), headers=ann
        )
        assert answer.json()["final"] is False
    assert await take(client, ann) is None
    # Ben agrees on one (final) and disagrees on the other (escalated).
    ben_outcomes = {agreed: "remove_content", disputed: "no_violation"}
    finals = {}
    for _ in range(2):
        case = await take(client, ben)
        assert case is not None
        answer = await client.post(
            f"/v1/cases/{case}/1/decision", json=extremism(ben_outcomes[case]), headers=ben
        )
        finals[case] = answer.json()["final"]
    assert finals == {agreed: True, disputed: False}
    state = await db.fetchval(
        "SELECT state FROM dispatch.cases WHERE case_id = $1", uuid.UUID(disputed)
    )
    assert state == "escalated"
    # The disagreement reaches the senior only; her decision is final.
    assert await take(client, ann) is None
    assert await take(client, sue) == disputed
    last = await client.post(
        f"/v1/cases/{disputed}/1/decision", json=extremism("remove_content"), headers=sue
    )
    assert last.json()["final"] is True
    after = sample(DISAGREEMENTS, {"category": TERRORISM})
    assert after == before + 1

    decisions = await read_topic(settings, REVIEW_DECISIONS.name, until=at_least(5))
    finals_published = [
        d for d in (ReviewDecision.model_validate_json(r.value) for r in decisions) if d.final
    ]
    assert sorted(str(d.case_id) for d in finals_published) == sorted([agreed, disputed])
    actions = await read_topic(settings, ENFORCEMENT_ACTIONS.name, until=at_least(2))
    enforced = [EnforcementAction.model_validate_json(r.value) for r in actions]
    # One removal per case, issued by its final decision only.
    assert sorted(str(a.case_id) for a in enforced) == sorted([agreed, disputed])
    assert {a.decision_id for a in enforced} == {d.decision_id for d in finals_published}
    statements = await read_topic(settings, STATEMENTS_OF_REASONS.name, until=at_least(2))
    assert len(statements) == 2


async def test_an_appeal_goes_to_another_reviewer_who_can_reverse_the_decision(
    api_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    client: httpx.AsyncClient,
) -> None:
    settings = api_settings
    case_id = str(uuid.uuid4())
    alice, bob = await add_reviewer(db, "alice"), await add_reviewer(db, "bob")
    platform = await add_reviewer(db, "backend", roles=("platform",))
    senior = await add_reviewer(db, "sam", roles=("senior",))
    await publish_verdicts(producer, settings, [verdict(case_id)])
    await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM dispatch.cases"))
    assert await take(client, alice) == case_id
    removed = await client.post(f"/v1/cases/{case_id}/1/decision", json=decision(), headers=alice)
    assert removed.json()["final"] is True

    path = f"/v1/cases/{case_id}/1/appeal"
    body = {"reason": "The user says the post quoted the insult to condemn it.",
            "idempotency_key": str(uuid.uuid4())}  # fmt: skip
    assert (await client.post(path, json=body, headers=alice)).status_code == 403
    filed = await client.post(path, json=body, headers=platform)
    assert filed.status_code == 200
    assert (await client.post(path, json=body, headers=platform)).json()["repeated"] is True
    other = body | {"idempotency_key": str(uuid.uuid4())}
    assert (await client.post(path, json=other, headers=platform)).status_code == 409
    # The appeals view lists it for seniors; the original reviewer never gets it back.
    listed = (await client.get("/v1/appeals", headers=senior)).json()["appeals"]
    assert [(a["case_id"], a["original_reviewer"]) for a in listed] == [(case_id, "alice")]
    assert await take(client, alice) is None
    assert await take(client, bob) == case_id
    detail = (await client.get(f"/v1/cases/{case_id}/1", headers=bob)).json()["case"]
    assert [d["reviewer_id"] for d in detail["history"][0]["decisions"]] == ["alice"]
    assert detail["history"][0]["appeals"][0]["reason"] == body["reason"]
    lifted = await client.post(
        f"/v1/cases/{case_id}/1/decision", json=decision("no_violation"), headers=bob
    )
    assert lifted.json()["final"] is True
    assert (await client.get("/v1/appeals", headers=senior)).json()["appeals"] == []

    actions = await read_topic(settings, ENFORCEMENT_ACTIONS.name, until=at_least(2))
    first, reversal = (EnforcementAction.model_validate_json(r.value) for r in actions)
    assert reversal.reverses == first.action_id
    assert [m.action for m in reversal.measures] == [m.action for m in first.measures]
    decisions = await read_topic(settings, REVIEW_DECISIONS.name, until=at_least(2))
    last = ReviewDecision.model_validate_json(decisions[-1].value)
    assert (last.outcome.value, last.final, last.reverses) == (
        "no_violation",
        True,
        first.action_id,
    )
    overturned = {"category": "hate_speech", "result": "overturned"}
    assert sample("crible_dispatch_appeals_decided_total", overturned) >= 1
    # Decided on appeal: a second appeal is refused.
    again = body | {"idempotency_key": str(uuid.uuid4())}
    assert (await client.post(path, json=again, headers=platform)).status_code == 409


def accepted(case_id: str, reporter: str, text: str, *, at: datetime) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "report": {
            "schema_version": 1, "report_id": uuid.uuid4().hex, "reported_at": at.isoformat(),
            "reporter_id": reporter, "reporter_language": "fr",
            "subject": {"kind": "message", "id": "m1", "chat_id": "c1"},
            "category": "hate_speech", "text": text,
        },
        "case_id": case_id, "case_revision": 1, "repeat": False,
        "accepted_at": at.isoformat(),
    }  # fmt: skip


async def publish(
    producer: AIOKafkaProducer, settings: Settings, topic: str, bodies: list[dict[str, Any]]
) -> None:
    wire = wire_name(topic, settings.topic_prefix)
    for body in bodies:
        key = str(body.get("case_id") or body.get("signal_id")).encode()
        await producer.send_and_wait(wire, json.dumps(body).encode(), key=key)


async def test_reviewers_read_the_reports_and_false_reports_cost_their_reporters_trust(
    api_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    client: httpx.AsyncClient,
) -> None:
    settings = api_settings
    false_alarm, later_by_them, later_by_others = (str(uuid.uuid4()) for _ in range(3))
    alice = await add_reviewer(db, "alice")
    now = datetime.now(UTC)
    brigade = ["b1", "b2", "b3"]
    await publish(
        producer,
        settings,
        REPORTS_ACCEPTED.name,
        [accepted(false_alarm, r, f"signalé par {r}", at=now) for r in brigade],
    )
    await publish_verdicts(producer, settings, [verdict(false_alarm, reports=3)])
    await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM dispatch.case_reports"))
    await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM dispatch.cases"))
    assert await take(client, alice) == false_alarm
    detail = (await client.get(f"/v1/cases/{false_alarm}/1", headers=alice)).json()["case"]
    assert sorted(r["text"] for r in detail["reports"]) == [f"signalé par {r}" for r in brigade]
    await client.post(
        f"/v1/cases/{false_alarm}/1/decision", json=decision("no_violation"), headers=alice
    )
    await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM dispatch.reporters"))
    weights = await db.fetch("SELECT weight, rejected FROM dispatch.reporters")
    assert all(r["weight"] < 1.0 and r["rejected"] == 1 for r in weights)

    # The same three reporting again count for less than three unknown reporters would.
    await publish(
        producer,
        settings,
        REPORTS_ACCEPTED.name,
        [accepted(later_by_them, r, "encore", at=now) for r in brigade]
        + [accepted(later_by_others, f"n{i}", "encore", at=now) for i in range(3)],
    )
    await eventually(lambda: db.fetchval("SELECT count(*) = 9 FROM dispatch.case_reports"))
    same = verdict(later_by_them, reports=3) | {"screened_at": now.isoformat()}
    others = verdict(later_by_others, reports=3) | {"screened_at": now.isoformat()}
    await publish_verdicts(producer, settings, [same, others])
    await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM dispatch.cases"))
    ranks = {
        str(r["case_id"]): r
        for r in await db.fetch("SELECT case_id, reporter_weight, rank_at FROM dispatch.cases")
    }
    assert ranks[later_by_them]["reporter_weight"] < ranks[later_by_others]["reporter_weight"]
    assert ranks[later_by_them]["rank_at"] > ranks[later_by_others]["rank_at"]
    assert await take(client, alice) == later_by_others


def signal(subject: dict[str, str], kind: str, count: int, *, signal_id: str) -> dict[str, Any]:
    start = datetime.now(UTC) - timedelta(minutes=10)
    return {
        "schema_version": 1, "signal_id": signal_id, "subject": subject,
        "category": "hate_speech", "kind": kind, "window_start": start.isoformat(),
        "window_end": (start + timedelta(minutes=10)).isoformat(), "count": count,
        "distinct_reporters": count, "emitted_at": datetime.now(UTC).isoformat(),
    }  # fmt: skip


async def test_surge_signals_raise_viral_content_and_discount_campaigns(
    api_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    settings = api_settings
    viral, plain, brigaded = (str(uuid.uuid4()) for _ in range(3))
    subjects = {c: {"kind": "channel", "id": f"ch-{c[:8]}"} for c in (viral, plain, brigaded)}
    now = datetime.now(UTC).isoformat()
    bodies = [verdict(c, reports=20) | {"subject": subjects[c], "screened_at": now}
              for c in (viral, plain, brigaded)]  # fmt: skip
    async with running(DISPATCH, settings):
        await publish_verdicts(producer, settings, bodies)
        await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM dispatch.cases"))
        grows, campaign = str(uuid.uuid4()), str(uuid.uuid4())
        await publish(
            producer,
            settings,
            SURGE_SIGNALS.name,
            [
                signal(subjects[viral], "viral", 400, signal_id=grows),
                # An older copy of the same signal: smaller figures change nothing.
                signal(subjects[viral], "viral", 40, signal_id=grows),
                signal(subjects[brigaded], "coordinated", 300, signal_id=campaign),
            ],
        )
        await eventually(
            lambda: db.fetchval(
                "SELECT count(*) = 2 FROM dispatch.cases WHERE surge_viral + surge_coordinated > 0"
            )
        )
    rows = {
        str(r["case_id"]): r
        for r in await db.fetch(
            "SELECT case_id, rank_at, surge_viral, surge_coordinated FROM dispatch.cases"
        )
    }
    assert rows[viral]["surge_viral"] == 400
    assert rows[brigaded]["surge_coordinated"] == 300
    assert rows[viral]["rank_at"] < rows[plain]["rank_at"] < rows[brigaded]["rank_at"]


ROUTES = [
    ("POST", "/v1/cases/next", None),
    ("GET", "/v1/cases/{case}/1", None),
    ("POST", "/v1/cases/{case}/1/lease", None),
    ("DELETE", "/v1/cases/{case}/1/lease", None),
    ("POST", "/v1/cases/{case}/1/decision", "decision"),
    ("POST", "/v1/cases/{case}/1/escalate", "reason"),
    ("POST", "/v1/cases/{case}/1/hold", "reason"),
    ("POST", "/v1/cases/{case}/1/resume", None),
    ("POST", "/v1/cases/{case}/1/appeal", "appeal"),
    ("GET", "/v1/appeals", None),
    ("GET", "/v1/queue/stats", None),
    ("GET", "/v1/me", None),
]
#: Who may call what: every other role gets 403.
ALLOWED = {
    "/v1/cases/{case}/1/resume": {"senior", "admin"},
    "/v1/cases/{case}/1/appeal": {"platform", "admin"},
    "/v1/appeals": {"senior", "admin"},
    "/v1/queue/stats": {"senior", "admin"},
}
REVIEWING = {"reviewer", "senior", "admin"}


async def test_every_endpoint_refuses_strangers_with_401_and_other_roles_with_403(
    api_settings: Settings, db: asyncpg.Connection, client: httpx.AsyncClient
) -> None:
    tokens = {role: await add_reviewer(db, f"{role}-1", roles=(role,)) for role in
              ("reviewer", "senior", "admin", "platform")}  # fmt: skip
    disabled = await add_reviewer(db, "gone")
    await db.execute("UPDATE dispatch.reviewers SET active = false WHERE reviewer_id = 'gone'")
    bodies = {
        "decision": decision(),
        "reason": {"reason": "why"},
        "appeal": {"reason": "why", "idempotency_key": str(uuid.uuid4())},
    }
    case = str(uuid.uuid4())
    for method, template, body in ROUTES:
        path = template.format(case=case)
        payload = bodies[body] if body else None
        for headers in ({}, {"Authorization": "Bearer crv_wrong"}, disabled,
                        {"Authorization": "Basic YWxpY2U6cHc="}):  # fmt: skip
            answer = await client.request(method, path, json=payload, headers=headers)
            assert answer.status_code == 401, (method, path, headers)
        for role, token in tokens.items():
            answer = await client.request(method, path, json=payload, headers=token)
            allowed = role in ALLOWED.get(template, REVIEWING)
            assert (answer.status_code == 403) is not allowed, (method, path, role)


async def test_the_whole_path_from_report_to_enforcement_closes_and_reopens_the_case(
    api_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    """Report → case → verdict → queue → next case → decision → enforcement action and
    statement on Kafka → case closed in ingest → a later report reopens it."""
    settings = api_settings
    await apply_topics(settings, [CASES.dlq(), HASHBANKS_UPDATES, HASHBANKS_UPDATES.dlq()])
    alice = await add_reviewer(db, "alice", clearances=("hate_speech", "other", "spam"))
    subject = {"kind": "message", "id": "m77", "chat_id": "c77"}

    def report(reporter: str) -> dict[str, Any]:
        return {
            "schema_version": 1, "report_id": uuid.uuid4().hex,
            "reported_at": datetime.now(UTC).isoformat(), "reporter_id": reporter,
            "reporter_language": "fr", "subject": subject, "category": "hate_speech",
            "text": "Ce message traite un groupe entier de vermine.",
        }  # fmt: skip

    submitted = wire_name(REPORTS_SUBMITTED.name, settings.topic_prefix)
    url = f"http://127.0.0.1:{settings.http_port}"
    async with (
        running(INGEST, settings),
        running(PRESCREEN, settings),
        running(DISPATCH, settings),
        httpx.AsyncClient(base_url=url) as client,
    ):
        await producer.send_and_wait(submitted, json.dumps(report("u1")).encode())
        row = await eventually(
            lambda: db.fetchrow("SELECT case_id, route FROM dispatch.cases WHERE revision = 1")
        )
        case_id = str(row["case_id"])
        await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM dispatch.case_reports"))
        if row["route"] == "dismiss":  # the text rules decide; make it a person's call
            await db.execute("UPDATE dispatch.cases SET state = 'queued'")
        assert await take(client, alice) == case_id
        detail = (await client.get(f"/v1/cases/{case_id}/1", headers=alice)).json()["case"]
        assert detail["reports"][0]["text"].startswith("Ce message")
        decided = await client.post(
            f"/v1/cases/{case_id}/1/decision", json=decision(), headers=alice
        )
        assert decided.json()["final"] is True
        closed = await eventually(
            lambda: db.fetchval(
                "SELECT status = 'closed' FROM ingest.cases WHERE case_id = $1",
                uuid.UUID(case_id),
            )
        )
        assert closed
        # A later report on the same message reopens the case as revision 2, screened anew.
        await producer.send_and_wait(submitted, json.dumps(report("u2")).encode())
        reopened = await eventually(
            lambda: db.fetchval(
                "SELECT count(*) = 1 FROM dispatch.cases WHERE case_id = $1 AND revision = 2",
                uuid.UUID(case_id),
            )
        )
        assert reopened
        actions = await read_topic(settings, ENFORCEMENT_ACTIONS.name, until=at_least(1))
        statements = await read_topic(settings, STATEMENTS_OF_REASONS.name, until=at_least(1))
    action = EnforcementAction.model_validate_json(actions[-1].value)
    assert (str(action.case_id), action.automatic) == (case_id, False)
    issued = StatementIssued.model_validate_json(statements[0].value)
    assert str(issued.case_id) == case_id
    stored = await db.fetchval(
        "SELECT status FROM dispatch.statements WHERE puid = $1", issued.puid
    )
    assert stored == "pending"  # kept for the submitter, which is off unless configured


async def test_bad_input_gets_a_clear_error_or_the_dead_letter_topic_and_nothing_stops(
    api_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    client: httpx.AsyncClient,
) -> None:
    settings = api_settings
    alice = await add_reviewer(db, "alice")
    good = str(uuid.uuid4())
    topic = wire_name(SCREENING_VERDICTS.name, settings.topic_prefix)
    # A verdict that is not one, and one with an unknown route, beside a good one.
    await producer.send_and_wait(topic, b"\xff not json", key=b"k")
    await producer.send_and_wait(
        topic, json.dumps(verdict(good) | {"route": "nuke"}).encode(), key=good.encode()
    )
    await publish_verdicts(producer, settings, [verdict(good)])
    await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM dispatch.cases"))
    dead = await read_topic(settings, SCREENING_VERDICTS.dlq().name, until=at_least(2))
    reasons = [dict(r.headers)["crible.error.message"].decode() for r in dead]
    assert any("route" in reason for reason in reasons)
    assert all("nuke" not in reason for reason in reasons)  # the value is never echoed

    assert await take(client, alice) == good
    path = f"/v1/cases/{good}/1/decision"
    for body in (
        decision("nuke"),
        decision() | {"explanation": "x" * 2001},
        decision() | {"idempotency_key": "not-a-uuid"},
        decision() | {"policy_reason": "spaces are not allowed"},
        {k: v for k, v in decision().items() if k != "outcome"},
    ):
        assert (await client.post(path, json=body, headers=alice)).status_code == 422
    assert (await client.post(path, content=b"{", headers=alice)).status_code == 422
    missing = f"/v1/cases/{uuid.uuid4()}/1/decision"
    assert (await client.post(missing, json=decision(), headers=alice)).status_code == 404
    assert (await client.get("/v1/cases/nope/1", headers=alice)).status_code == 422
    # The case is still held and decidable: nothing above changed it.
    assert (await client.post(path, json=decision(), headers=alice)).status_code == 200
    assert await db.fetchval("SELECT count(*) FROM dispatch.decisions") == 1
