"""The reviewer API on the real stack: leases, decisions and their events, 401/403."""

from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import REGISTRY

from services.dispatch.adapters.postgres import queue
from services.dispatch.core.statements import validate_statement
from services.dispatch.metrics import refresh
from services.dispatch.service import SPEC
from shared.config import Settings
from shared.events.decisions import ReviewDecision, StatementIssued
from shared.events.enforcement import EnforcementAction
from shared.kafka import apply_topics
from shared.topics import (
    ENFORCEMENT_ACTIONS,
    REVIEW_DECISIONS,
    STATEMENTS_OF_REASONS,
)
from tests.integration.conftest import DISPATCH_TOPICS, eventually, read_topic, running
from tests.integration.dispatch.test_intake import publish_verdicts, verdict
from tests.integration.prescreen.test_prescreen import crible

pytestmark = pytest.mark.integration


def at_least(count: int) -> Any:
    return lambda records: len(records) >= count


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def api_settings(settings: Settings, db: asyncpg.Connection) -> Settings:
    await apply_topics(settings, DISPATCH_TOPICS)
    return settings.model_copy(update={"http_port": free_port()})


async def add_reviewer(
    db: asyncpg.Connection,
    reviewer_id: str,
    *,
    languages: tuple[str, ...] = ("fr", "en"),
    clearances: tuple[str, ...] = ("hate_speech", "spam", "harassment_threats"),
    roles: tuple[str, ...] = ("reviewer",),
) -> dict[str, str]:
    token = queue.new_token()
    await db.execute(
        """INSERT INTO dispatch.reviewers (reviewer_id, name, languages, clearances, roles,
               exposure_cap, token_hash) VALUES ($1, $1, $2, $3, $4, 40, $5)""",
        reviewer_id,
        list(languages),
        list(clearances),
        list(roles),
        queue.token_hash(token),
    )
    return {"Authorization": f"Bearer {token}"}


async def cli_reviewer(settings: Settings, reviewer_id: str, languages: str) -> dict[str, str]:
    """A reviewer registered, and given a token, with the command line."""
    await crible(
        settings, "reviewers", "add", reviewer_id, "--name", reviewer_id, "--languages", languages
    )
    token = (await crible(settings, "reviewers", "token", reviewer_id)).strip()
    return {"Authorization": f"Bearer {token}"}


def decision(
    outcome: str = "remove_content", key: str | None = None, *, reason: str | None = None
) -> dict[str, Any]:
    """A decision with a reason of the catalogue: hate speech's, or no violation's."""
    if reason is None:
        reason = "nv.no_breach" if outcome == "no_violation" else "tos.hate.2"
    return {
        "outcome": outcome,
        "policy_reason": reason,
        "explanation": "Dehumanising generalisation about a protected group.",
        "idempotency_key": key or str(uuid.uuid4()),
    }


async def check_events(
    db: asyncpg.Connection,
    decisions: list[Any],
    actions: list[Any],
    statements: list[Any],
    *,
    hate: str,
    csam: str,
) -> None:
    """What the platform and the Transparency Database are told of the two decisions."""
    published = [ReviewDecision.model_validate_json(r.value) for r in decisions]
    assert sorted((str(d.case_id), d.outcome.value, d.final) for d in published) == sorted(
        [
            (hate, "remove_content", True),
            (csam, "no_violation", False),
            (csam, "no_violation", True),
        ]
    )
    enforced = [EnforcementAction.model_validate_json(r.value) for r in actions]
    automatic = next(a for a in enforced if a.automatic)
    removal = next(a for a in enforced if str(a.case_id) == hate)
    reversal = next(a for a in enforced if a.reverses is not None)
    assert [m.action.value for m in removal.measures] == ["delete_message"]
    assert reversal.reverses == automatic.action_id
    assert str(reversal.case_id) == csam
    assert await db.fetchval("SELECT count(*) FROM dispatch.decisions") == 3
    assert reversal.reverses in {d.reverses for d in published}
    labels = {"outcome": "remove_content", "category": "hate_speech"}
    assert (REGISTRY.get_sample_value("crible_dispatch_decisions_total", labels) or 0) >= 1
    # Two statements of reasons: the automatic removal's (fully automated) and the hate
    # speech removal's; none for the reversal, which restricts nothing.
    issued = {
        str(i.case_id): i
        for i in (StatementIssued.model_validate_json(r.value) for r in statements)
    }
    assert set(issued) == {hate, csam}
    for one in issued.values():
        assert validate_statement(one.statement) == []
    assert issued[csam].statement["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert issued[hate].statement["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
    assert issued[hate].statement["category"] == "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"
    assert "Dehumanising" not in issued[hate].statement["decision_facts"]  # never free text
    assert await db.fetchval("SELECT count(*) FROM dispatch.statements") == 2


async def test_a_reviewer_takes_the_next_case_decides_and_the_platform_is_told(
    api_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    settings = api_settings
    hate, csam, german = (str(uuid.uuid4()) for _ in range(3))
    csam_verdict = verdict(csam, route="act_now")
    csam_verdict |= {"screened_category": "child_sexual_abuse", "severity": "critical"}
    german_verdict = verdict(german) | {"reporter_languages": ["de"]}
    alice = await add_reviewer(db, "alice")
    child_safety = await add_reviewer(db, "carol", clearances=("child_sexual_abuse",))
    second_opinion = await add_reviewer(db, "erin", clearances=("child_sexual_abuse",))
    admin = await add_reviewer(db, "root", roles=("admin",))
    # The command line registers reviewers and issues tokens too.
    await crible(settings, "reviewers", "add", "dave", "--name", "Dave", "--languages", "de")
    dave = {
        "Authorization": f"Bearer {(await crible(settings, 'reviewers', 'token', 'dave')).strip()}"
    }
    url = f"http://127.0.0.1:{settings.http_port}"
    async with running(SPEC, settings), httpx.AsyncClient(base_url=url) as client:
        await publish_verdicts(producer, settings, [verdict(hate), csam_verdict, german_verdict])
        await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM dispatch.cases"))

        # 401 without a token or with a wrong one; 403 for a role the endpoint refuses.
        assert (await client.post("/v1/cases/next")).status_code == 401
        bad = {"Authorization": "Bearer crv_nope"}
        assert (await client.post("/v1/cases/next", headers=bad)).status_code == 401
        assert (await client.get("/v1/queue/stats", headers=alice)).status_code == 403
        assert (await client.get("/v1/queue/stats", headers=admin)).status_code == 200

        # Alice (no child-safety clearance, no German) gets the French hate-speech case.
        taken = (await client.post("/v1/cases/next", headers=alice)).json()["case"]
        assert taken["case_id"] == hate
        assert (await client.post("/v1/cases/next", headers=alice)).json()["case"] is None
        german_case = (await client.post("/v1/cases/next", headers=dave)).json()["case"]
        assert german_case["case_id"] == german
        path = f"/v1/cases/{hate}/1/decision"
        body = decision()
        first = await client.post(path, json=body, headers=alice)
        again = await client.post(path, json=body, headers=alice)  # a retried request
        assert first.status_code == again.status_code == 200
        assert again.json() == {
            "decision_id": first.json()["decision_id"],
            "repeated": True,
            "final": True,
        }
        # Not leased to him: refused.
        stolen = await client.post(f"/v1/cases/{german}/1/decision", json=decision(), headers=alice)
        assert stolen.status_code == 409
        invalid = await client.post(
            f"/v1/cases/{german}/1/decision", json=decision("ban_group_or_channel"), headers=dave
        )
        assert invalid.status_code == 422

        # Carol, then Erin (child abuse is reviewed twice), find the automatically removed
        # media lawful: after the second decision the removal is reversed.
        for reviewer, final in ((child_safety, False), (second_opinion, True)):
            csam_case = (await client.post("/v1/cases/next", headers=reviewer)).json()["case"]
            assert csam_case["case_id"] == csam
            lawful = await client.post(
                f"/v1/cases/{csam}/1/decision", json=decision("no_violation"), headers=reviewer
            )
            assert lawful.json()["final"] is final

        decisions = await read_topic(settings, REVIEW_DECISIONS.name, until=at_least(3))
        actions = await read_topic(settings, ENFORCEMENT_ACTIONS.name, until=at_least(3))
        statements = await read_topic(settings, STATEMENTS_OF_REASONS.name, until=at_least(2))

    await check_events(db, decisions, actions, statements, hate=hate, csam=csam)


async def test_fifty_reviewers_at_once_never_share_a_case_and_an_expired_lease_returns_it(
    api_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    settings = api_settings
    cases = [str(uuid.uuid4()) for _ in range(60)]
    tokens = [await add_reviewer(db, f"r{i}") for i in range(50)]
    url = f"http://127.0.0.1:{settings.http_port}"
    async with running(SPEC, settings), httpx.AsyncClient(base_url=url, timeout=30) as client:
        await publish_verdicts(producer, settings, [verdict(c) for c in cases])
        await eventually(lambda: db.fetchval("SELECT count(*) = 60 FROM dispatch.cases"))
        answers = await asyncio.gather(
            *(client.post("/v1/cases/next", headers=token) for token in tokens)
        )
        taken = [a.json()["case"]["case_id"] for a in answers]
        assert len(taken) == 50
        assert len(set(taken)) == 50

        # The queue's gauges: ten cases still wait, none past its deadline.
        pool = await asyncpg.create_pool(
            settings.database_url.get_secret_value(), min_size=1, max_size=1
        )
        try:
            await refresh(pool)
        finally:
            await pool.close()
        depth = [
            s
            for m in REGISTRY.collect()
            if m.name == "crible_dispatch_queue_depth"
            for s in m.samples
        ]
        assert sum(s.value for s in depth) == 10
        assert {s.labels["category"] for s in depth} == {"hate_speech"}

        # A lease that runs out puts the case back in the queue for someone else.
        await db.execute(
            "UPDATE dispatch.cases SET lease_expires_at = now() - interval '1 second' "
            "WHERE case_id = $1",
            uuid.UUID(taken[0]),
        )
        late = await client.post(
            f"/v1/cases/{taken[0]}/1/decision", json=decision(), headers=tokens[0]
        )
        assert late.status_code == 409
        newcomer = await add_reviewer(db, "newcomer")
        seen = set()
        for _ in range(11):
            case = (await client.post("/v1/cases/next", headers=newcomer)).json()["case"]
            seen.add(case["case_id"])
        assert taken[0] in seen


async def test_a_held_case_can_be_read_renewed_and_given_back(
    api_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    settings = api_settings
    case_id = str(uuid.uuid4())
    alice, bob = await add_reviewer(db, "alice"), await add_reviewer(db, "bob")
    url = f"http://127.0.0.1:{settings.http_port}"
    async with running(SPEC, settings), httpx.AsyncClient(base_url=url) as client:
        await publish_verdicts(producer, settings, [verdict(case_id)])
        await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM dispatch.cases"))
        taken = (await client.post("/v1/cases/next", headers=alice)).json()["case"]
        path = f"/v1/cases/{case_id}/1"
        detail = await client.get(path, headers=alice)
        assert detail.status_code == 200
        assert detail.json()["case"]["verdict"]["route"] == "human_review"
        assert (await client.get(path, headers=bob)).status_code == 409
        assert (await client.get(f"/v1/cases/{uuid.uuid4()}/1", headers=alice)).status_code == 404
        renewed = await client.post(f"{path}/lease", headers=alice)
        assert renewed.json()["lease_expires_at"] >= taken["lease_expires_at"]
        assert (await client.post("/v1/cases/next", headers=bob)).json()["case"] is None
        assert (await client.delete(f"{path}/lease", headers=alice)).status_code == 200
        again = (await client.post("/v1/cases/next", headers=bob)).json()["case"]
        assert again["case_id"] == case_id


async def test_an_escalated_case_goes_to_a_senior_and_a_held_one_waits_for_resume(
    api_settings: Settings, db: asyncpg.Connection, producer: AIOKafkaProducer
) -> None:
    settings = api_settings
    escalated, held = str(uuid.uuid4()), str(uuid.uuid4())
    alice, bob = await add_reviewer(db, "alice"), await add_reviewer(db, "bob")
    senior = await add_reviewer(db, "sam", roles=("senior",))
    url = f"http://127.0.0.1:{settings.http_port}"
    reason = {"reason": "Needs the context of the whole channel"}
    async with running(SPEC, settings), httpx.AsyncClient(base_url=url) as client:
        await publish_verdicts(producer, settings, [verdict(escalated), verdict(held)])
        await eventually(lambda: db.fetchval("SELECT count(*) = 2 FROM dispatch.cases"))
        first = (await client.post("/v1/cases/next", headers=alice)).json()["case"]
        second = (await client.post("/v1/cases/next", headers=alice)).json()["case"]
        by_id = {first["case_id"], second["case_id"]}
        assert by_id == {escalated, held}
        up = await client.post(f"/v1/cases/{escalated}/1/escalate", json=reason, headers=alice)
        assert up.json() == {"state": "escalated"}
        down = await client.post(f"/v1/cases/{held}/1/hold", json=reason, headers=alice)
        assert down.json() == {"state": "held"}
        # Neither reaches another reviewer; the escalated one reaches the senior.
        assert (await client.post("/v1/cases/next", headers=bob)).json()["case"] is None
        to_senior = (await client.post("/v1/cases/next", headers=senior)).json()["case"]
        assert to_senior["case_id"] == escalated
        # Released by the senior, it stays escalated: still not for bob.
        await client.delete(f"/v1/cases/{escalated}/1/lease", headers=senior)
        assert (await client.post("/v1/cases/next", headers=bob)).json()["case"] is None
        # Only a senior resumes a held case; then anyone may take it.
        path = f"/v1/cases/{held}/1/resume"
        assert (await client.post(path, headers=bob)).status_code == 403
        assert (await client.post(path, headers=senior)).json() == {"state": "queued"}
        assert (await client.post("/v1/cases/next", headers=bob)).json()["case"]["case_id"] == held
    row = await db.fetchrow(
        "SELECT state, reason FROM dispatch.cases WHERE case_id = $1", uuid.UUID(escalated)
    )
    assert row is not None
    assert (row["state"], row["reason"]) == ("escalated", reason["reason"])
