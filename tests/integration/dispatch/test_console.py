"""The reviewer console over HTTP (no browser): sessions, CSRF, clearances, the case page."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.dispatch.service import SPEC as DISPATCH
from shared.config import Settings
from shared.topics import ENFORCEMENT_ACTIONS, REPORTS_ACCEPTED, STATEMENTS_OF_REASONS
from tests.integration.conftest import eventually, read_topic, running, serving
from tests.integration.dispatch.test_api import add_reviewer, api_settings, at_least
from tests.integration.dispatch.test_intake import publish_verdicts, verdict
from tests.integration.dispatch.test_review import accepted, publish

pytestmark = pytest.mark.integration
__all__ = ["api_settings"]


@pytest.fixture
async def console(api_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    url = f"http://127.0.0.1:{api_settings.http_port}"
    async with (
        running(DISPATCH, api_settings),
        httpx.AsyncClient(base_url=url, follow_redirects=True) as http,
    ):
        await serving(f"{url}/console/login")
        yield http


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


async def sign_in(http: httpx.AsyncClient, token: str) -> str:
    """Sign in; the CSRF token of the session's forms."""
    page = await http.get("/console/login")
    answer = await http.post("/console/login", data={"csrf": csrf_of(page.text), "token": token})
    assert answer.status_code == 200, answer.text
    assert str(answer.url).endswith("/console/queue")
    return csrf_of(answer.text)


async def test_sign_in_sets_a_strict_http_only_cookie_and_forms_need_their_csrf_token(
    api_settings: Settings, db: asyncpg.Connection, console: httpx.AsyncClient
) -> None:
    headers = await add_reviewer(db, "alice")
    token = headers["Authorization"].removeprefix("Bearer ")
    # Not signed in: the sign-in page.
    assert str((await console.get("/console/queue")).url).endswith("/console/login")
    page = await console.get("/console/login")
    wrong = await console.post("/console/login", data={"csrf": csrf_of(page.text), "token": "x"})
    assert wrong.status_code == 401
    csrf = await sign_in(console, token)
    cookie = next(c for c in console.cookies.jar if c.name == "crible_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite") == "strict"
    assert cookie.value is not None
    assert token not in cookie.value  # a session of its own, not the reviewer's token
    stored = await db.fetchval("SELECT session_hash FROM dispatch.sessions")
    assert cookie.value.encode() not in stored
    # A form without its token (a forged cross-site post) is refused and changes nothing.
    forged = await console.post("/console/next", data={})
    assert forged.status_code == 403
    assert "did not come from this console" in forged.text
    assert (await console.post("/console/next", data={"csrf": "guess"})).status_code == 403
    # With it: no case waits, the queue says so.
    taken = await console.post("/console/next", data={"csrf": csrf})
    assert "No case is waiting for you." in taken.text
    # French by the browser's language, or by the switch.
    french = await console.get("/console/queue", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "Prendre le cas suivant" in french.text
    assert 'lang="fr"' in french.text
    await console.get("/console/lang/fr?next=/console/queue")
    assert "Prendre le cas suivant" in (await console.get("/console/queue")).text
    await console.get("/console/lang/en?next=/console/queue")
    # Headers: no framing, no caching, no script from elsewhere.
    queue_page = await console.get("/console/queue")
    assert "frame-ancestors 'none'" in queue_page.headers["content-security-policy"]
    assert queue_page.headers["cache-control"] == "no-store"
    # Sign-out ends the session at once.
    await console.post("/console/logout", data={"csrf": csrf})
    assert await db.fetchval("SELECT count(*) FROM dispatch.sessions") == 0
    assert str((await console.get("/console/queue")).url).endswith("/console/login")


async def test_the_case_page_shows_reports_links_as_text_and_hides_media_until_revealed(
    api_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    console: httpx.AsyncClient,
) -> None:
    settings = api_settings
    headers = await add_reviewer(db, "alice")
    csrf = await sign_in(console, headers["Authorization"].removeprefix("Bearer "))
    case_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    report = accepted(case_id, "u1", "<script>alert(1)</script> regardez ce lien", at=now)
    report["report"]["evidence"] = {
        "urls": ["https://login.paypa1-secure.example.co.uk/verify?x=1"],
        "media": [{"sha256": "ab" * 32}],
    }
    await publish(producer, settings, REPORTS_ACCEPTED.name, [report])
    await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM dispatch.case_reports"))
    await publish_verdicts(producer, settings, [verdict(case_id)])
    await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM dispatch.cases"))

    page = await console.post("/console/next", data={"csrf": csrf})
    assert f"/console/cases/{case_id}/1" in str(page.url)
    html = page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; regardez ce lien" in html  # escaped
    assert "<mark>example.co.uk</mark>" in html
    assert 'href="https://login' not in html  # never a live link
    assert "sha256 " + "ab" * 32 in html
    assert "/media/0" not in html  # nothing of the media loads before it is revealed
    assert re.search(r"app;dur=[0-9.]+", page.headers["server-timing"])
    revealed = await console.post(f"/console/cases/{case_id}/1/reveal/0", data={"csrf": csrf})
    assert "The platform does not provide this media" in revealed.text  # no media service set
    shown = await db.fetchval("SELECT count(*) FROM dispatch.exposures WHERE media_index = 0")
    assert shown == 1

    form = re.search(r'name="idempotency_key" value="([^"]+)"', revealed.text)
    assert form is not None
    decided = await console.post(
        f"/console/cases/{case_id}/1/decide",
        data={
            "csrf": csrf,
            "idempotency_key": form.group(1),
            "outcome": "remove_content",
            "policy_reason": "tos.hate.2",
            "explanation": "",
        },
    )
    assert "Decision recorded." in decided.text
    actions = await read_topic(settings, ENFORCEMENT_ACTIONS.name, until=at_least(1))
    statements = await read_topic(settings, STATEMENTS_OF_REASONS.name, until=at_least(1))
    assert len(actions) == len(statements) == 1


async def test_clearance_is_enforced_even_by_typing_the_url(
    api_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    console: httpx.AsyncClient,
) -> None:
    settings = api_settings
    headers = await add_reviewer(db, "alice")
    await sign_in(console, headers["Authorization"].removeprefix("Bearer "))
    csam = str(uuid.uuid4())
    body = verdict(csam) | {"screened_category": "child_sexual_abuse", "severity": "critical"}
    await publish_verdicts(producer, settings, [body])
    await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM dispatch.cases"))
    page = await console.get(f"/console/cases/{csam}/1")
    assert page.status_code == 403
    assert "You are not cleared to see this case." in page.text
    assert "child" not in page.text.split("<main")[1]  # nothing of the case leaks
    missing = await console.get(f"/console/cases/{uuid.uuid4()}/1")
    assert missing.status_code == 404


async def test_irreversible_decisions_need_confirmation_and_oversight_pages_follow_roles(
    api_settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    console: httpx.AsyncClient,
) -> None:
    settings = api_settings
    alice = await add_reviewer(db, "alice")
    case_id = str(uuid.uuid4())
    await publish_verdicts(producer, settings, [verdict(case_id)])
    await eventually(lambda: db.fetchval("SELECT count(*) = 1 FROM dispatch.cases"))
    csrf = await sign_in(console, alice["Authorization"].removeprefix("Bearer "))
    # A reviewer has neither the appeals view nor the supervision page.
    assert (await console.get("/console/appeals")).status_code == 403
    assert (await console.get("/console/supervisor")).status_code == 403
    page = await console.post("/console/next", data={"csrf": csrf})
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text)
    assert key is not None
    ban = {
        "csrf": csrf,
        "idempotency_key": key.group(1),
        "outcome": "ban_user",
        "policy_reason": "tos.hate.2",
        "explanation": "",
    }
    unconfirmed = await console.post(f"/console/cases/{case_id}/1/decide", data=ban)
    assert "This decision needs your confirmation." in unconfirmed.text
    assert await db.fetchval("SELECT count(*) FROM dispatch.decisions") == 0
    # A reason that is not one of the category's is refused too, and so is none at all.
    foreign = ban | {"confirmed": "yes", "policy_reason": "fr.cp.227-23"}
    refused = await console.post(f"/console/cases/{case_id}/1/decide", data=foreign)
    assert "does not fit this decision" in refused.text
    missing = await console.post(
        f"/console/cases/{case_id}/1/decide", data=ban | {"confirmed": "yes", "policy_reason": ""}
    )
    assert "Choose the reason of your decision." in missing.text
    assert await db.fetchval("SELECT count(*) FROM dispatch.decisions") == 0
    confirmed = await console.post(
        f"/console/cases/{case_id}/1/decide", data=ban | {"confirmed": "yes"}
    )
    assert "Decision recorded." in confirmed.text
    assert await db.fetchval("SELECT outcome FROM dispatch.decisions") == "ban_user"
    await console.post("/console/logout", data={"csrf": csrf})

    token = (await add_reviewer(db, "boss", roles=("admin",)))["Authorization"]
    await sign_in(console, token.removeprefix("Bearer "))
    supervision = await console.get("/console/supervisor")
    assert supervision.status_code == 200
    assert "alice" in supervision.text
    assert (await console.get("/console/appeals")).status_code == 200
