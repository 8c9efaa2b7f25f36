"""Reasons from the policy catalogue only, the right DSA ground, and the console in French."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.dispatch.core.statements import validate_statement
from services.dispatch.service import SPEC as DISPATCH
from shared.config import Settings
from shared.events.decisions import ReviewDecision, StatementIssued
from shared.topics import REVIEW_DECISIONS, STATEMENTS_OF_REASONS
from tests.integration.conftest import eventually, read_topic, running, serving
from tests.integration.dispatch.test_api import add_reviewer, api_settings, at_least
from tests.integration.dispatch.test_intake import publish_verdicts, verdict

pytestmark = pytest.mark.integration
__all__ = ["api_settings"]  # the fixture, used by name below


@pytest.fixture
async def client(api_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    url = f"http://127.0.0.1:{api_settings.http_port}"
    async with running(DISPATCH, api_settings), httpx.AsyncClient(base_url=url) as http:
        await serving(f"{url}/openapi.json")
        yield http


def body(outcome: str, reason: str) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "policy_reason": reason,
        "explanation": "Jean Dupont est un menteur",
        "idempotency_key": str(uuid.uuid4()),
    }


async def test_a_reason_outside_the_catalogue_is_refused_and_grounds_follow_the_reason(
    api_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    client: httpx.AsyncClient,
) -> None:
    settings = api_settings
    by_law, by_terms, lawful = (str(uuid.uuid4()) for _ in range(3))
    alice = await add_reviewer(db, "alice")
    await publish_verdicts(producer, settings, [verdict(c) for c in (by_law, by_terms, lawful)])
    await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM dispatch.cases"))
    decided: dict[str, str] = {}
    for choice in (("remove_content", "fr.loi1881.24"), ("ban_user", "tos.hate.2")):
        case_id = (await client.post("/v1/cases/next", headers=alice)).json()["case"]["case_id"]
        path = f"/v1/cases/{case_id}/1/decision"
        # A reviewer's own words, a reason of another category, a violation's reason for no
        # violation, a no violation's reason for a removal: all refused, nothing recorded.
        for outcome, reason, code in (
            ("remove_content", "Jean_Dupont.est.un.menteur", "unknown_reason"),
            ("remove_content", "fr.cp.227-23", "reason_not_for_category"),
            ("no_violation", "fr.cp.222-33-2-2", "reason_not_for_outcome"),
            ("remove_content", "nv.no_breach", "reason_not_for_outcome"),
        ):
            refused = await client.post(path, json=body(outcome, reason), headers=alice)
            assert (refused.status_code, refused.json().get("code")) == (422, code)
        assert await db.fetchval("SELECT count(*) FROM dispatch.decisions") == len(decided)
        answer = await client.post(path, json=body(*choice), headers=alice)
        assert answer.status_code == 200, answer.text
        decided[case_id] = choice[1]
    case_id = (await client.post("/v1/cases/next", headers=alice)).json()["case"]["case_id"]
    answer = await client.post(
        f"/v1/cases/{case_id}/1/decision",
        json=body("no_violation", "nv.lawful_context"),
        headers=alice,
    )
    assert answer.status_code == 200
    decided[case_id] = "nv.lawful_context"

    published = [
        ReviewDecision.model_validate_json(r.value)
        for r in await read_topic(settings, REVIEW_DECISIONS.name, until=at_least(3))
    ]
    assert {str(d.case_id): d.policy_reason for d in published} == decided
    issued = {
        decided[str(s.case_id)]: s.statement
        for s in (
            StatementIssued.model_validate_json(r.value)
            for r in await read_topic(settings, STATEMENTS_OF_REASONS.name, until=at_least(2))
        )
    }
    assert set(issued) == {"fr.loi1881.24", "tos.hate.2"}  # none for no violation
    law, terms = issued["fr.loi1881.24"], issued["tos.hate.2"]
    assert validate_statement(law) == validate_statement(terms) == []
    assert law["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert "Law of 29 July 1881" in law["illegal_content_legal_ground"]
    assert "article 24" in law["illegal_content_legal_ground"]
    assert law["illegal_content_explanation"].startswith("The content publicly incites")
    assert law["territorial_scope"] == ["FR"]  # where French law applies
    assert terms["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert terms["incompatible_content_ground"].startswith("Terms of service, section 3.2")
    assert "clause tos." not in terms["incompatible_content_ground"]
    assert len(terms["territorial_scope"]) == 30
    for statement in (law, terms):
        assert "Dupont" not in str(statement)


@pytest.fixture
async def console(api_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    url = f"http://127.0.0.1:{api_settings.http_port}"
    async with (
        running(DISPATCH, api_settings),
        httpx.AsyncClient(base_url=url, follow_redirects=True) as http,
    ):
        await serving(f"{url}/console/login")
        yield http


async def test_the_case_page_preselects_no_reason_and_speaks_french(
    api_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    console: httpx.AsyncClient,
) -> None:
    case_id = str(uuid.uuid4())
    screened = verdict(case_id) | {
        "screeners": [
            {
                "name": "text", "version": "1", "usability": "used",
                "scores": {"hate_speech": 0.7},
                "matches": [{"kind": "rule", "category": "hate_speech", "ref": "r1"}],
                "notes": [],
            }
        ]
    }  # fmt: skip
    await publish_verdicts(producer, api_settings, [screened])
    await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM dispatch.cases"))
    token = (await add_reviewer(db, "amelie"))["Authorization"].removeprefix("Bearer ")
    console.cookies.set("crible_lang", "fr")
    login = await console.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert csrf is not None
    queue = await console.post("/console/login", data={"csrf": csrf.group(1), "token": token})
    session_csrf = re.search(r'name="csrf" value="([^"]+)"', queue.text)
    assert session_csrf is not None
    page = await console.post("/console/next", data={"csrf": session_csrf.group(1)})
    html = page.text
    select = re.search(r'<select id="policy_reason"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    options = re.findall(r"<option([^>]*)>", select.group(1))
    # The only option selected is the empty, disabled prompt: a reviewer must choose.
    assert [o for o in options if "selected" in o] == [' value="" selected disabled']
    assert 'value="nv.no_breach"' in select.group(1)
    assert "Pas d&#39;infraction" in select.group(1) or "Pas d'infraction" in select.group(1)
    assert "required" in re.search(r'<select id="policy_reason"[^>]*>', html).group(0)  # type: ignore[union-attr]
    # French for every value a reviewer reads: category, severity, route, state, screener.
    for french in (
        "Discours de haine",
        "moyenne",
        "examen humain",
        "en cours d&#39;examen",
        "utilisé",
        "règle",
    ):
        assert french in html, french
    for english in ("hate speech", "human review", "being reviewed", ">used<"):
        assert english not in html, english
    # Escalating and holding ask different questions.
    assert "Pourquoi un senior doit décider" in html
    assert "Ce que le cas attend" in html
    assert '<link rel="icon" href="/console/static/favicon.svg"' in html
    icon = await console.get("/console/static/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
