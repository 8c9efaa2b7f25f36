"""The officers' console over HTTP on the real stack: sessions the database checks, CSRF,
roles, the document read under an audited reading, refusals, and a legal admin's pages."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import timedelta

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.legal.adapters.http.console.sessions import COOKIE
from shared.config import Settings
from shared.events.legal import DisclosureEvent
from shared.topics import LEGAL_DISCLOSURES
from tests.integration.conftest import read_topic
from tests.integration.legal.console_fixtures import (
    closing,
    csrf_in,
    emergency_epoc,
    post_form,
    preservation_order,
    signed_in,
    signed_pdf,
    token_of,
)
from tests.integration.legal.test_portal import body, portal, register, seed_history, submit

pytestmark = pytest.mark.integration
__all__ = ["portal"]


async def head(db: asyncpg.Connection) -> int:
    """The audit chain's last sequence (the chain grows across tests, never emptied)."""
    last: int = await db.fetchval("SELECT coalesce(max(sequence), 0) FROM legal.audit")
    return last


async def test_sign_in_once_then_a_session_the_database_checks(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    base = str(portal.base_url)
    before = await head(db)
    ines = await token_of(settings, "ines")
    authority = await register(settings, "fr-pj-lyon")
    async with httpx.AsyncClient(base_url=base) as browser:
        page = await browser.get("/console/login")
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["x-frame-options"] == "DENY"
        # Without the login form's token: refused, nobody signed in.
        forged = await browser.post("/console/login", data={"csrf": "x", "token": ines})
        assert forged.status_code == 403
        token = csrf_in(page.text)
        # An authority's token (or any other) opens nothing.
        wrong = await browser.post("/console/login", data={"csrf": token, "token": authority.token})
        assert wrong.status_code == 401
        assert "Unknown or disabled token." in wrong.text
        assert await db.fetchval("SELECT count(*) FROM legal.officer_sessions") == 0

        behind_tls = await browser.post(
            "/console/login",
            data={"csrf": token, "token": ines},
            headers={"X-Forwarded-Proto": "https"},
        )
        assert behind_tls.status_code == 303
        cookie = behind_tls.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        for flag in ("HttpOnly", "SameSite=strict", "Path=/console", "Secure"):
            assert flag.lower() in cookie.lower(), flag
        secret = cookie.split(";", 1)[0].split("=", 1)[1]
    # The database keeps the secret's hash only, and never the token it was opened with.
    row = await db.fetchrow("SELECT * FROM legal.officer_sessions")
    assert row is not None
    assert bytes(row["session_hash"]) == hashlib.sha256(secret.encode()).digest()
    assert row["sign_in_proof"] is None
    assert row["expires_at"] - row["created_at"] <= timedelta(hours=12)
    signed = await db.fetchval(
        "SELECT count(*) FROM legal.audit WHERE step = 'officer_signed_in' AND actor = 'ines' "
        "AND sequence > $1",
        before,
    )
    assert signed == 1

    client = await signed_in(base, ines)
    async with closing(client):
        assert (await client.get("/console/requests")).status_code == 200
        # A legal officer is not a legal admin.
        admin_page = await client.get("/console/admin/audit")
        assert admin_page.status_code == 403
        assert "This page is for legal admins." in admin_page.text
        # Signing out ends the session in the database: the cookie proves nothing more.
        signed_out = client.cookies[COOKIE]
        out = await post_form(client, "/console/logout", "/console/requests", {})
        assert out.status_code == 303
        ended = await db.fetchval(
            "SELECT ended_at IS NOT NULL FROM legal.officer_sessions WHERE session_hash = $1",
            hashlib.sha256(signed_out.encode()).digest(),
        )
        assert ended
    async with httpx.AsyncClient(base_url=base, cookies={COOKIE: signed_out}) as stale:
        again = await stale.get("/console/requests")
        assert (again.status_code, again.headers["location"]) == (303, "/console/login")


async def test_the_session_is_the_officers_proof_and_the_two_person_rule_holds(
    settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    portal: httpx.AsyncClient,
) -> None:
    base = str(portal.base_url)
    await seed_history(settings, producer, db)
    _, status = await emergency_epoc(settings, portal, signed_pdf(2))
    rid = status["request_id"]
    page = f"/console/requests/{rid}"
    ines = await signed_in(base, await token_of(settings, "ines"))
    hugo = await signed_in(base, await token_of(settings, "hugo"))
    async with closing(ines, hugo):
        listed = await ines.get("/console/requests")
        assert rid in listed.text
        assert "Emergency" in listed.text
        # A form posted without the session's CSRF token (another site's) is refused.
        forged = await ines.post(f"{page}/prepare", data={"csrf": "forged"})
        assert forged.status_code == 403
        assert "did not come from this console" in forged.text
        assert await db.fetchval("SELECT count(*) FROM legal.approvals") == 0

        prepared = await post_form(ines, f"{page}/prepare", page, {})
        assert prepared.headers["location"] == f"{page}?m=prepared_done"
        shown = (await ines.get(page)).text
        assert "You prepared this request" in shown
        assert 'id="approve"' not in shown  # the page offers her no approval
        same = await post_form(ines, f"{page}/approve", page, {"confirmed": "yes"})
        assert same.headers["location"] == f"{page}?m=same_person"
        refused = await db.fetchval(
            "SELECT count(*) FROM legal.audit WHERE step = 'approval_refused' AND actor = 'ines' "
            "AND request_id = $1",
            rid,
        )
        assert refused == 1

        # The database, written to directly as the service's role with her session's secret:
        # the preparer cannot approve, and an ended session proves nothing.
        secret = ines.cookies[COOKIE]
        service = await asyncpg.connect(settings.database_url_for("legal").get_secret_value())
        try:
            with pytest.raises(asyncpg.CheckViolationError):
                await service.execute(
                    "UPDATE legal.approvals SET approved_by = 'ines', approver_proof = $2 "
                    "WHERE request_id = $1",
                    uuid.UUID(rid),
                    secret,
                )
            hugo_secret = hugo.cookies[COOKIE]
            await db.execute(
                "UPDATE legal.officer_sessions SET ended_at = now() WHERE session_hash = $1",
                hashlib.sha256(hugo_secret.encode()).digest(),
            )
            with pytest.raises(asyncpg.CheckViolationError, match="did not prove"):
                await service.execute(
                    "UPDATE legal.approvals SET approved_by = 'hugo', approver_proof = $2 "
                    "WHERE request_id = $1",
                    uuid.UUID(rid),
                    hugo_secret,
                )
        finally:
            await service.close()
    hugo = await signed_in(base, await token_of(settings, "hugo"))
    async with closing(hugo):
        unconfirmed = await post_form(hugo, f"{page}/approve", page, {})
        assert unconfirmed.headers["location"] == f"{page}?m=needs_confirmation"
        approved = await post_form(hugo, f"{page}/approve", page, {"confirmed": "yes"})
        assert approved.headers["location"] == f"{page}?m=approved_done"
    row = await db.fetchrow(
        "SELECT r.state, a.prepared_by, a.approved_by FROM legal.requests r "
        "JOIN legal.approvals a USING (request_id) WHERE request_id = $1",
        uuid.UUID(rid),
    )
    assert row is not None
    assert tuple(row) == ("package_ready", "ines", "hugo")


async def test_the_document_is_read_under_an_audited_reading(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    base = str(portal.base_url)
    _, status = await emergency_epoc(settings, portal, signed_pdf(3))
    rid = status["request_id"]
    readings = "SELECT count(*) FROM legal.audit WHERE step = 'document_read' AND request_id = $1"
    ines = await signed_in(base, await token_of(settings, "ines"))
    hugo = await signed_in(base, await token_of(settings, "hugo"))
    async with closing(ines, hugo):
        page = await ines.get(f"/console/requests/{rid}")
        assert page.status_code == 200
        assert "Server-Timing" in page.headers or "server-timing" in page.headers
        assert await db.fetchval(readings, rid) == 0  # opening the request reads nothing
        read = await ines.get(f"/console/requests/{rid}/read")
        assert await db.fetchval(readings, rid) == 1
        entry = await db.fetchrow(
            "SELECT sequence, actor, details::text AS d FROM legal.audit "
            "WHERE step = 'document_read' AND request_id = $1",
            rid,
        )
        assert entry is not None
        assert entry["actor"] == "ines"
        assert '"pages":3' in entry["d"].replace(" ", "")
        reading = entry["sequence"]
        assert read.text.count(f"/document/{reading}/") == 3
        image = await ines.get(f"/console/requests/{rid}/document/{reading}/2")
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/png"
        assert image.content.startswith(b"\x89PNG")
        assert image.headers["cache-control"] == "no-store"
        assert (await ines.get(f"/console/requests/{rid}/document/{reading}/4")).status_code == 404
        # Another officer cannot borrow her reading: each reading is one officer's.
        borrowed = await hugo.get(f"/console/requests/{rid}/document/{reading}/1")
        assert borrowed.status_code == 404
        assert await db.fetchval(readings, rid) == 1  # pages served under the one reading
        original = await ines.get(f"/console/requests/{rid}/original")
        assert original.headers["content-disposition"].startswith("attachment")
        assert original.content.startswith(b"%PDF")
        assert await db.fetchval(readings, rid) == 2


async def test_an_officer_refuses_with_a_code_and_the_authority_reads_why(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    base = str(portal.base_url)
    paris, status = await emergency_epoc(settings, portal, signed_pdf(1))
    rid = status["request_id"]
    page = f"/console/requests/{rid}"
    why = "Le rappel au numéro enregistré du parquet n'a pas confirmé cette demande."
    ines = await signed_in(base, await token_of(settings, "ines"))
    async with closing(ines):
        empty = await post_form(
            ines, f"{page}/refuse", page,
            {"code": "authority_not_confirmed", "explanation": "", "confirmed": "yes"},
        )  # fmt: skip
        assert empty.headers["location"] == f"{page}?m=invalid_explanation"
        done = await post_form(
            ines, f"{page}/refuse", page,
            {"code": "authority_not_confirmed", "explanation": why, "confirmed": "yes"},
        )  # fmt: skip
        assert done.headers["location"] == f"{page}?m=refused_done"
        shown = (await ines.get(page)).text
        assert "authority_not_confirmed" in shown
        assert "rappel au num" in shown  # the explanation, opened for the officers
    sealed = await db.fetchval("SELECT explanation FROM legal.refusal_explanations")
    assert why.encode() not in bytes(sealed)
    answer = (
        await portal.get(f"/v1/requests/{rid}", headers={"Authorization": f"Bearer {paris.token}"})
    ).json()
    assert answer["state"] == "refused"
    assert answer["refusals"][0]["code"] == "authority_not_confirmed"
    assert answer["refusals"][0]["article"].startswith("platform policy")
    assert answer["explanation"] == why
    events = await read_topic(
        settings,
        LEGAL_DISCLOSURES.name,
        until=lambda records: any(b"disclosure.refused" in r.value for r in records),
    )
    refused = [DisclosureEvent.model_validate_json(r.value) for r in events]
    assert [e.refusal_codes for e in refused if str(e.request_id) == rid] == [
        ("authority_not_confirmed",)
    ]
    assert why.encode() not in b"".join(r.value for r in events)
    # Over the API too: a refused request is no longer open.
    hugo = {"Authorization": f"Bearer {await token_of(settings, 'hugo')}"}
    late = await portal.post(
        f"/v1/officer/requests/{rid}/refuse",
        json={"code": "over_broad", "explanation": "trop large"},
        headers=hugo,
    )
    assert (late.status_code, late.json()["code"]) == (409, "wrong_state")


async def test_a_legal_admin_verifies_the_chain_and_deactivates_an_authority(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    base = str(portal.base_url)
    before = await head(db)
    paris, _ = await emergency_epoc(settings, portal, signed_pdf(1))
    alba_token = await token_of(settings, "alba", "legal_admin")
    ines_token = await token_of(settings, "ines")
    alba = await signed_in(base, alba_token)
    async with closing(alba):
        audit = await alba.get("/console/admin/audit")
        assert audit.status_code == 200
        assert 'id="not-anchored"' in audit.text
        verified = await post_form(alba, "/console/admin/audit/verify", "/console/admin/audit", {})
        assert "The chain verifies." in verified.text
        runs = "SELECT count(*) FROM legal.audit WHERE step = 'chain_verified' AND sequence > $1"
        assert await db.fetchval(runs, before) == 1

        listed = (await alba.get("/console/admin/authorities")).text
        assert "fr-pj-paris" in listed
        assert "sha256:" in listed  # key fingerprints, never a token
        assert paris.token not in listed
        # A legal officer's session cannot do it, even by calling the database's function.
        service = await asyncpg.connect(settings.database_url_for("legal").get_secret_value())
        try:
            with pytest.raises(asyncpg.CheckViolationError, match="legal admin"):
                await service.fetchval(
                    "SELECT legal.guard_deactivate_authority('fr-pj-paris', 'ines', $1)",
                    ines_token,
                )
            with pytest.raises(asyncpg.CheckViolationError, match="legal admin"):
                await service.fetchval(
                    "SELECT legal.guard_deactivate_authority('fr-pj-paris', 'alba', 'guess')"
                )
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await service.execute("UPDATE legal.authorities SET active = false")
        finally:
            await service.close()
        page = "/console/admin/authorities"
        done = await post_form(
            alba, "/console/admin/authorities/fr-pj-paris/deactivate", page, {"confirmed": "yes"}
        )
        assert done.headers["location"] == f"{page}?m=deactivated_done"
        assert not await db.fetchval(
            "SELECT active FROM legal.authorities WHERE authority_id = 'fr-pj-paris'"
        )
        audited = await db.fetchval(
            "SELECT actor FROM legal.audit WHERE step = 'authority_deactivated' AND sequence > $1",
            before,
        )
        assert audited == "alba"
        officers = (await alba.get("/console/admin/officers")).text
        assert "ines" in officers
        assert "alba" in officers
        report = await alba.get("/console/admin/transparency?period=2026")
        assert report.status_code == 200
        assert 'id="figures"' in report.text
        assert (await alba.get("/console/admin/transparency?period=soon")).status_code == 422
    # The deactivated authority's token no longer works at the portal.
    status = await portal.get(
        "/v1/requests/" + str(uuid.uuid4()), headers={"Authorization": f"Bearer {paris.token}"}
    )
    assert status.status_code == 401


async def test_a_preservation_order_is_listed_extended_once_and_lifted_with_a_confirmation(
    settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    portal: httpx.AsyncClient,
) -> None:
    base = str(portal.base_url)
    await seed_history(settings, producer, db)
    rid = await preservation_order(settings, portal)
    page = f"/console/requests/{rid}"
    ends = "SELECT ends_at - starts_at FROM legal.preservations WHERE request_id = $1"
    ines = await signed_in(base, await token_of(settings, "ines"))
    hugo = await signed_in(base, await token_of(settings, "hugo"))
    async with closing(ines, hugo):
        assert rid not in (await ines.get("/console/preservations")).text
        await post_form(ines, f"{page}/prepare", page, {})
        approved = await post_form(hugo, f"{page}/approve", page, {"confirmed": "yes"})
        assert approved.headers["location"] == f"{page}?m=approved_done"
        # Running: listed with its end, 60 days on (Regulation 2023/1543 art. 11(1)).
        assert await db.fetchval(ends, uuid.UUID(rid)) == timedelta(days=60)
        listed = (await ines.get("/console/preservations")).text
        row = listed.split(f'href="{page}"', 1)[1].split("</tr>", 1)[0]
        assert "Amtsgericht Berlin (DE)" in row
        assert row.rstrip().endswith("<td>—</td>")  # not extended yet

        extended = await post_form(ines, f"{page}/extend", page, {})
        assert extended.headers["location"] == f"{page}?m=extended_done"
        assert await db.fetchval(ends, uuid.UUID(rid)) == timedelta(days=90)
        row = (await ines.get("/console/preservations")).text.split(f'href="{page}"', 1)[1]
        assert not row.split("</tr>", 1)[0].rstrip().endswith("<td>—</td>")
        # Once only: the second extension is refused and the end stays.
        again = await post_form(hugo, f"{page}/extend", page, {})
        assert again.headers["location"] == f"{page}?m=already_extended"
        assert "It was already extended once." in (await hugo.get(again.headers["location"])).text
        assert await db.fetchval(ends, uuid.UUID(rid)) == timedelta(days=90)

        # Lifting gives the account back to retention: it asks a confirmation first.
        unconfirmed = await post_form(ines, f"{page}/lift", page, {})
        assert unconfirmed.headers["location"] == f"{page}?m=needs_confirmation"
        assert rid in (await ines.get("/console/preservations")).text
        lifted = await post_form(ines, f"{page}/lift", page, {"confirmed": "yes"})
        assert lifted.headers["location"] == f"{page}?m=lifted_done"
        assert rid not in (await ines.get("/console/preservations")).text
    state = await db.fetchval(
        "SELECT state FROM legal.requests WHERE request_id = $1", uuid.UUID(rid)
    )
    assert state == "preservation_ended"
    steps = await db.fetch(
        "SELECT step, actor FROM legal.audit WHERE request_id = $1 AND step LIKE 'preservation%' "
        "ORDER BY sequence",
        rid,
    )
    assert [tuple(s) for s in steps] == [
        ("preservation_started", "legal"),  # the service, once hugo approved
        ("preservation_extended", "ines"),
        ("preservation_ended", "ines"),
    ]


_ROW = re.compile(
    r'<tr class="([^"]*)">\s*<th scope="row"><a href="/console/requests/([^"]+)">(.*?)</tr>', re.S
)


def listed(html: str) -> list[tuple[str, str, str]]:
    """The list's rows in order: (request id, the row's classes, its text)."""
    return [
        (rid, classes.strip(), re.sub(r"<[^>]+>", " ", rest))
        for classes, rid, rest in _ROW.findall(html)
    ]


async def test_the_list_puts_emergencies_first_then_deadlines_marks_the_overdue_and_filters(
    settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    portal: httpx.AsyncClient,
) -> None:
    base = str(portal.base_url)
    await seed_history(settings, producer, db)
    lyon = await register(settings, "fr-pj-lyon")
    ordinary = await submit(portal, lyon, json.dumps(body()).encode())  # 120 hours (CPP 60-1)
    assert ordinary["state"] == "accepted", ordinary
    preserve = await preservation_order(settings, portal)  # due at once: overdue at once
    _, emergency = await emergency_epoc(settings, portal, signed_pdf(1))  # 8 hours
    ines = await signed_in(base, await token_of(settings, "ines"))
    async with closing(ines):
        rows = listed((await ines.get("/console/requests")).text)
        assert [r[0] for r in rows] == [emergency["request_id"], preserve, ordinary["request_id"]]
        assert rows[0][1] == "emergency"
        assert rows[1][1] == "overdue"
        assert "overdue" in rows[1][2]
        assert rows[2][1] == ""
        assert "overdue" not in rows[2][2]

        page = f"/console/requests/{ordinary['request_id']}"
        await post_form(ines, f"{page}/prepare", page, {})
        prepared = listed((await ines.get("/console/requests?state=prepared")).text)
        assert [r[0] for r in prepared] == [ordinary["request_id"]]
        assert prepared[0][2].split()[-1] == "ines"  # who prepared it
        of_lyon = listed((await ines.get("/console/requests?authority=fr-pj-lyon")).text)
        assert [r[0] for r in of_lyon] == [ordinary["request_id"]]
        none = (await ines.get("/console/requests?state=refused")).text
        assert listed(none) == []
        assert "No request in this view." in none
