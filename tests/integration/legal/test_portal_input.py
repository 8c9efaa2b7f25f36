"""The portal's stricter input, and the period the rules check against what is held.

The wrong kind of token gets 403; only application/json is read; free text refuses control
and invisible characters (naming the field, never echoing it) and is stored NFC; an
emergency states its ground and only instruments that provide for one get its deadline and
the front of the queue; a period older than what is held is narrowed to it (recorded and
audited), and data a preservation order kept counts as held for the production order that
follows it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.legal.adapters.postgres.audit_log import entries
from services.legal.adapters.postgres.retention import PostgresRetention
from services.legal.config import LegalSettings
from services.legal.handlers.retention import run_retention
from shared.config import Settings
from tests.integration.conftest import eventually
from tests.integration.legal.test_identity_store import event, send
from tests.integration.legal.test_lifecycle import approve
from tests.integration.legal.test_portal import (
    PATH,
    body,
    officer,
    portal,
    register,
    settled,
    submit,
)

pytestmark = pytest.mark.integration
__all__ = ["portal"]  # the fixture, used by name


def ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


async def stored_requests(db: asyncpg.Connection) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM legal.requests")
    return count


async def test_an_officers_token_is_forbidden_on_the_authorities_route(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    ines = await officer(settings, "ines")
    content = json.dumps(body()).encode()
    headers = paris.headers(content) | ines  # an officer's bearer token, a valid signature
    before = len(await entries(db))
    refused = await portal.post(PATH, content=content, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_an_authority")
    assert await stored_requests(db) == 0
    logged = [dict(e.details) for e in (await entries(db))[before:]]
    assert {"code": "not_an_authority"} in logged
    # And the reverse, as before: an authority's token on an officer's route.
    bearer = {"Authorization": f"Bearer {paris.token}"}
    assert (await portal.get("/v1/officer/requests", headers=bearer)).status_code == 403


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
async def test_only_json_is_read(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient, content_type: str
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    content = json.dumps(body()).encode()
    headers = paris.headers(content) | {"Content-Type": content_type}
    refused = await portal.post(PATH, content=content, headers=headers)
    assert refused.status_code == 415, refused.text
    assert await stored_requests(db) == 0


#: One of each class a legal text refuses.
HIDDEN = {
    "nul": "\x00",
    "escape sequence": "\x1b[31m",
    "c1 control": "\x85",
    "right-to-left override": "\u202e",
    "right-to-left isolate": "\u2067",
    "pop directional isolate": "\u2069",
    "left-to-right mark": "\u200e",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "byte-order mark": "\ufeff",
    "line separator": "\u2028",
    "tag character": "\U000e0041",
}
FIELDS: dict[str, Callable[[str], dict[str, Any]]] = {
    "offence": lambda v: {"offence": f"escroquerie{v} en bande organisée"},
    "case_reference": lambda v: {"case_reference": f"2026/{v}123"},
    "official.name": lambda v: {"official": {"name": f"Claire{v} Martin"}},
    "official.title": lambda v: {"official": {"name": "Claire Martin", "title": f"Proc{v}"}},
}


@pytest.mark.parametrize("field", sorted(FIELDS))
async def test_control_and_invisible_characters_are_refused_naming_the_field(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient, field: str
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    for name, character in HIDDEN.items():
        content = json.dumps(body(**FIELDS[field](character))).encode()
        refused = await portal.post(PATH, content=content, headers=paris.headers(content))
        assert refused.status_code == 422, (field, name, refused.text)
        assert refused.json()["fields"] == [field], (field, name)
        assert character not in refused.text, (field, name)
        assert json.dumps(character)[1:-1] not in refused.text, (field, name)
    assert await stored_requests(db) == 0


async def test_free_text_is_stored_in_nfc(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    decomposed = "Ce\u0301line Ge\u0301rard"  # e + combining acute accent
    content = json.dumps(body(official={"name": decomposed})).encode()
    status = await submit(portal, paris, content)
    details = await portal.get(
        f"/v1/officer/requests/{status['request_id']}", headers=await officer(settings, "ines")
    )
    assert details.json()["request"]["official"]["name"] == "Céline Gérard"


async def test_an_emergency_states_its_ground_and_only_some_instruments_have_one(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"emergency": True, "emergency_ground": None}, "emergency_ground"),
        ({"emergency": False, "emergency_ground": "threat_to_life"}, "emergency_ground"),
        ({"emergency": True, "emergency_ground": "a bad day"}, "emergency_ground"),
    ]
    for changes, field in cases:
        content = json.dumps(body(**changes)).encode()
        refused = await portal.post(PATH, content=content, headers=paris.headers(content))
        assert refused.status_code == 422, refused.text
        assert refused.json()["fields"] == [field]
    # A French réquisition has no emergency form (CPP art. 60-1): the usual deadline.
    urgent = {"emergency": True, "emergency_ground": "threat_to_life"}
    french = await submit(portal, paris, json.dumps(body(**urgent)).encode())
    assert french["state"] == "accepted", french
    waited = datetime.fromisoformat(french["due_at"]) - datetime.fromisoformat(
        french["received_at"]
    )
    assert waited == timedelta(hours=120)
    assert "CPP art. 60-1" in french["deadline_article"]
    # An EPOC in an emergency: 8 hours (Regulation (EU) 2023/1543 art. 10(4)), and first.
    epoc = await submit(
        portal,
        paris,
        json.dumps(body(instrument="eu_epoc", categories=["subscriber"], **urgent)).encode(),
    )
    assert epoc["state"] == "accepted", epoc
    waited = datetime.fromisoformat(epoc["due_at"]) - datetime.fromisoformat(epoc["received_at"])
    assert waited == timedelta(hours=8)
    assert "art. 10(4)" in epoc["deadline_article"]
    queue = await portal.get("/v1/officer/requests", headers=await officer(settings, "ines"))
    listed = queue.json()["requests"]
    assert [r["request_id"] for r in listed] == [epoc["request_id"], french["request_id"]]
    assert [r["emergency"] for r in listed] == [True, False]


async def test_a_period_older_than_what_is_held_is_narrowed_to_it_and_audited(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    asked = body(categories=["identification"], date_from=ago(500), date_to=ago(10))
    status = await submit(portal, paris, json.dumps(asked).encode())
    assert status["state"] == "narrowed", status
    request_id = status["request_id"]
    scope = (
        await portal.get(
            f"/v1/officer/requests/{request_id}", headers=await officer(settings, "ines")
        )
    ).json()["scope"]
    assert scope["narrowed"]
    received = datetime.fromisoformat(status["received_at"])
    held_from = datetime.fromisoformat(scope["date_from"])
    assert abs(held_from - (received - timedelta(days=365))) < timedelta(seconds=1)
    narrowed = [e for e in await entries(db, request_id) if e.step.value == "narrowed"]
    assert len(narrowed) == 1
    assert narrowed[0].actor == "legal"
    assert dict(narrowed[0].details)["reason"] == "retention_limit"
    row = await db.fetchrow(
        "SELECT automatic, officer_id FROM legal.narrowings WHERE request_id = $1",
        uuid.UUID(request_id),
    )
    assert row is not None
    assert (row["automatic"], row["officer_id"]) == (True, None)
    # Entirely past what is held: refused, as before.
    old = body(categories=["identification"], date_from=ago(600), date_to=ago(400))
    refused = await submit(portal, paris, json.dumps(old).encode())
    assert refused["state"] == "refused"
    assert [r["code"] for r in refused["refusals"]] == ["date_range_not_held"]


async def test_data_a_preservation_order_kept_is_produced_for_exactly_its_period(
    settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    portal: httpx.AsyncClient,
) -> None:
    # An account whose sessions of 420 to 380 days ago only a preservation order keeps.
    await send(
        producer,
        settings,
        [
            event("account.registered", "u9", ago(900), phone_number="+33600000009"),
            event("session.observed", "u9", ago(420), ip_address="192.0.2.91", source_port=1),
            event("session.observed", "u9", ago(400), ip_address="192.0.2.92", source_port=2),
            event("session.observed", "u9", ago(381), ip_address="192.0.2.93", source_port=3),
        ],
    )
    await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM legal.sessions"))
    court = await register(settings, "de-ag-berlin", kind="court", country="DE")
    target = {"kind": "platform_user_id", "value": "u9"}
    preserve = body(
        instrument="eu_epoc_pr", target=target, categories=["identification"],
        date_from=ago(30), date_to=ago(1),
    )  # fmt: skip
    preserved = await submit(portal, court, json.dumps(preserve).encode())
    assert preserved["state"] == "accepted", preserved
    assert await approve(portal, settings, preserved["request_id"]) == {"preserved": 1}
    # Retention runs: the sessions are past their year, and kept.
    legal = LegalSettings()
    outcomes = await run_retention(
        PostgresRetention(db, legal.retention(), legal.audit_ring()), now=datetime.now(UTC)
    )
    assert {o.name: o.kept for o in outcomes}["legal.sessions"] == 3
    # The production order asks for exactly the preserved period, all of it a year old.
    produce = body(
        instrument="eu_epoc", target=target, categories=["identification"],
        date_from=ago(421), date_to=ago(380),
    )  # fmt: skip
    production = await submit(portal, court, json.dumps(produce).encode())
    # Narrowed to what is held: from the oldest session the order kept.
    assert production["state"] == "narrowed", production
    assert await approve(portal, settings, production["request_id"]) == {
        "phone_numbers": 0,
        "sessions": 3,
    }
    # Without the order, the same period would have been refused as no longer held.
    other = body(
        instrument="eu_epoc", target={"kind": "platform_user_id", "value": "u-other"},
        categories=["identification"], date_from=ago(421), date_to=ago(380),
    )  # fmt: skip
    refused = await submit(portal, court, json.dumps(other).encode())
    assert refused["state"] == "refused"
    assert [r["code"] for r in refused["refusals"]] == ["date_range_not_held"]
    bearer = {"Authorization": f"Bearer {court.token}"}
    assert (await settled(portal, court, production["request_id"]))["state"] == "package_ready"
    assert (await portal.get(f"{PATH}/{production['request_id']}", headers=bearer)).json()[
        "package"
    ]["url"]
