"""The authority portal on the real stack: signed requests, refusals, the law's checks, and
every step on a hash-chained audit log that refuses to be rewritten."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from prometheus_client import REGISTRY, generate_latest

from services.legal.adapters.postgres.audit_log import entries, verify
from services.legal.config import LegalSettings
from services.legal.core.package import open_package
from services.legal.core.signatures import sign
from services.legal.service import SPEC as LEGAL
from shared.config import Settings
from shared.kafka import apply_topics, make_admin, messages_written
from shared.topics import (
    IDENTITY_EVENTS,
    LEGAL_AUDIT_CHECKPOINTS,
    LEGAL_DISCLOSURES,
    LEGAL_REQUESTS,
    USER_NOTIFICATIONS,
)
from tests.integration.conftest import (
    admin_connection,
    audit_keys,
    eventually,
    read_topic,
    running,
    serving,
)
from tests.integration.legal.test_identity_store import event, send
from tests.integration.prescreen.test_prescreen import crible

pytestmark = pytest.mark.integration

PATH = "/v1/requests"
#: The signed réquisition, as the authority uploads it with the request.
DOCUMENT = b"%PDF-1.7 requisition signed by the prosecutor (test document)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raw(public: Any) -> str:
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def body(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return (
        {
            "instrument": "fr_cpp_60_1",
            "official": {"name": "Claire Martin", "title": "Procureure de la République"},
            "case_reference": "2026/123",
            "offence": "escroquerie en bande organisée",
            "max_penalty_years": 10,
            "committed_online": True,
            "emergency": False,
            "target": {"kind": "phone_number", "value": "+33612345678"},
            "categories": ["subscriber", "identification"],
            "date_from": (now - timedelta(days=90)).isoformat(),
            "date_to": (now - timedelta(days=10)).isoformat(),
            "document_sha256": hashlib.sha256(DOCUMENT).hexdigest(),
            "document": base64.b64encode(DOCUMENT).decode(),
            "document_media_type": "application/pdf",
        }
        | emergency_ground(changes)
        | changes
    )


def emergency_ground(changes: dict[str, Any]) -> dict[str, Any]:
    """An emergency states its ground: a valid request has one unless a test says not."""
    return {"emergency_ground": "threat_to_life"} if changes.get("emergency") else {}


class Authority:
    """A registered authority's client: its token and signing key."""

    def __init__(self, token: str, key: Ed25519PrivateKey) -> None:
        self.token = token
        self.key = key

    def headers(
        self, content: bytes, *, at: int | None = None, nonce: str | None = None
    ) -> dict[str, str]:
        at = int(time.time()) if at is None else at
        nonce = nonce or uuid.uuid4().hex
        signature = sign(
            self.key, method="POST", path=PATH, timestamp=at, nonce=nonce, body=content
        )
        return {
            "Authorization": f"Bearer {self.token}",
            "X-Crible-Timestamp": str(at),
            "X-Crible-Nonce": nonce,
            "X-Crible-Signature": signature,
            "Content-Type": "application/json",
        }


@pytest.fixture
async def portal(settings: Settings, db: asyncpg.Connection) -> AsyncIterator[httpx.AsyncClient]:
    topics = [IDENTITY_EVENTS, LEGAL_REQUESTS, LEGAL_DISCLOSURES, USER_NOTIFICATIONS]
    topics.append(LEGAL_AUDIT_CHECKPOINTS)
    await apply_topics(settings, topics + [t.dlq() for t in topics])
    served = settings.model_copy(update={"http_port": free_port()})
    async with (
        running(LEGAL, served),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{served.http_port}") as client,
    ):
        await serving(f"http://127.0.0.1:{served.http_port}/openapi.json")
        yield client


async def submit(portal: httpx.AsyncClient, authority: Authority, content: bytes) -> dict[str, Any]:
    """Submit a request and wait for the legal checks' verdict; the request's status."""
    answer = await portal.post(PATH, content=content, headers=authority.headers(content))
    assert answer.status_code == 202, answer.text
    assert answer.json()["state"] == "received"
    status: dict[str, Any] = await settled(portal, authority, answer.json()["request_id"])
    return status


async def settled(portal: httpx.AsyncClient, authority: Authority, request_id: str) -> Any:
    """The request's status once the legal service has checked it."""
    bearer = {"Authorization": f"Bearer {authority.token}"}

    async def checked() -> Any:
        status = (await portal.get(f"{PATH}/{request_id}", headers=bearer)).json()
        return status if status["state"] != "received" else None

    return await eventually(checked)


async def register(
    settings: Settings,
    authority_id: str,
    kind: str = "prosecutor",
    country: str = "FR",
    *,
    name: str = "Parquet de Paris",
) -> Authority:
    key = Ed25519PrivateKey.generate()
    token = await crible(
        settings, "legal", "authorities", "add", authority_id, "--name", name,
        "--country", country, "--kind", kind, "--contact", "permanence du parquet",
        "--signing-key", raw(key.public_key()),
        "--encryption-key", raw(X25519PrivateKey.generate().public_key()),
    )  # fmt: skip
    return Authority(token.strip(), key)


async def test_a_signed_request_is_checked_and_every_forgery_refused_and_audited(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    before = len(await entries(db))
    content = json.dumps(body()).encode()

    accepted = await submit(portal, paris, content)
    assert accepted["state"] == "accepted", accepted

    # Forgeries: no token, no signature, another key's signature, a stale one, a replay, an
    # emergency with a forged signature. Each is refused with its code.
    stranger = Authority(paris.token, Ed25519PrivateKey.generate())
    emergency = json.dumps(body(emergency=True)).encode()
    nonce = uuid.uuid4().hex
    replayed = paris.headers(content, nonce=nonce)
    first = await portal.post(PATH, content=content, headers=replayed)
    assert first.status_code == 202
    cases = [
        ({"Content-Type": "application/json"}, content, "authority_unknown"),
        (
            {"Authorization": f"Bearer {paris.token}", "Content-Type": "application/json"},
            content,
            "signature_missing",
        ),
        (stranger.headers(content), content, "signature_invalid"),
        (paris.headers(content, at=int(time.time()) - 3600), content, "timestamp_expired"),
        (replayed, content, "nonce_replayed"),
        (stranger.headers(emergency), emergency, "signature_invalid"),
        # Signed, then altered on the way: the body no longer matches.
        (paris.headers(content), content.replace(b"2026/123", b"2026/999"), "signature_invalid"),
    ]
    for headers, sent, code in cases:
        refused = await portal.post(PATH, content=sent, headers=headers)
        assert refused.status_code == 401, (code, refused.text)
        assert refused.json()["code"] == code

    # The law's checks: a police officer alone may not use an instruction judge's instrument.
    police = await register(settings, "fr-police-lyon", kind="police")
    judge_only = json.dumps(body(instrument="fr_cpp_99_3")).encode()
    checked = await submit(portal, police, judge_only)
    assert checked["state"] == "refused"
    assert [r["code"] for r in checked["refusals"]] == ["authorisation_missing"]
    assert all(r["article"] for r in checked["refusals"])
    # Sealed at rest: the target's phone number is in no column, the document in none.
    stored = await db.fetch("SELECT * FROM legal.requests")
    assert all(b"+33612345678" not in bytes(r["body"]) for r in stored)
    assert "+33612345678" not in str([dict(r) for r in stored])
    documents = await db.fetch("SELECT blob FROM legal.documents")
    assert documents
    assert all(DOCUMENT not in bytes(d["blob"]) for d in documents)

    # Every step is on the chain, in order, and the chain verifies.
    log = await entries(db)
    steps = [e.step.value for e in log[before:]]
    assert steps.count("signature_refused") == len(cases)
    assert steps[:3] == ["signature_verified", "received", "checks_passed"]
    assert "checks_refused" in steps
    assert all("+33612345678" not in json.dumps(dict(e.details)) for e in log)
    verdict = await verify(db, audit_keys())
    assert verdict.intact, verdict
    assert "audit chain intact" in await crible(settings, "legal", "audit", "verify")
    assert "audit chain intact" in await crible(settings, "audit", "verify")

    # Append-only: the database itself refuses to rewrite or delete an entry.
    with pytest.raises(asyncpg.RaiseError):
        await db.execute("UPDATE legal.audit SET actor = 'someone' WHERE sequence = $1", 1)
    with pytest.raises(asyncpg.RaiseError):
        await db.execute("DELETE FROM legal.audit")


async def test_a_body_that_is_not_a_request_is_refused_without_echoing_it(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    # Not a request: 422, naming fields only.
    bad = json.dumps(body(categories=[])).encode()
    invalid = await portal.post(PATH, content=bad, headers=paris.headers(bad))
    assert invalid.status_code == 422
    assert "+33612345678" not in invalid.text
    # A hostile key is neither echoed nor allowed to break the audit record.
    odd = json.dumps(body() | {"+33 6 99 88 77 66": 1}).encode()
    unexpected = await portal.post(PATH, content=odd, headers=paris.headers(odd))
    assert (unexpected.status_code, unexpected.json()["fields"]) == (422, ["unexpected_field"])
    # A document that is not the one the request's hash names: 422.
    swapped = json.dumps(body(document=base64.b64encode(b"another").decode())).encode()
    mismatch = await portal.post(PATH, content=swapped, headers=paris.headers(swapped))
    assert (mismatch.status_code, mismatch.json()["fields"]) == (422, ["document"])

    assert (await verify(db, audit_keys())).intact


async def officer(settings: Settings, officer_id: str) -> dict[str, str]:
    token = await crible(settings, "legal", "officers", "add", officer_id, "--name", officer_id)
    return {"Authorization": f"Bearer {token.strip()}"}


async def open_with_cli(
    settings: Settings, tmp_path: Path, blob: bytes, key: X25519PrivateKey, files: set[str]
) -> None:
    """What the authority runs: ``crible legal open-package``, with its key in a file."""
    (tmp_path / "package.bin").write_bytes(blob)
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    (tmp_path / "authority.key").write_text(base64.b64encode(private).decode())
    platform = raw(LegalSettings().platform_key().public_key())
    printed = await crible(
        settings, "legal", "open-package", str(tmp_path / "package.bin"),
        "--authority-key", str(tmp_path / "authority.key"),
        "--platform-key", platform, "--out", str(tmp_path / "opened"),
    )  # fmt: skip
    assert "signature verified" in printed
    assert {f.name for f in (tmp_path / "opened").iterdir()} == files


def _has(count: int, records: list[Any]) -> bool:
    return len(records) >= count


async def everything_on_kafka(settings: Settings) -> list[bytes]:
    """Every key, value and header of every topic of this test, but ``identity.events``."""
    admin = make_admin(settings)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(settings.topic_prefix)]
    finally:
        await admin.close()
    seen: list[bytes] = []
    for topic in topics:
        name = topic.removeprefix(settings.topic_prefix)
        if name == IDENTITY_EVENTS.name:
            continue  # the one topic personal data travels on, from the platform
        written = await messages_written(settings, topic)
        records = await read_topic(settings, name, until=functools.partial(_has, written))
        for record in records:
            seen += [record.key or b"", record.value or b""]
            seen += [v for _, v in record.headers]
    return seen


async def sweep(settings: Settings, caplog: pytest.LogCaptureFixture, seeded: list[bytes]) -> None:
    """No ``seeded`` value on Kafka (but identity.events), in the metrics or in our logs."""
    on_kafka = await everything_on_kafka(settings)
    assert any(b"disclosure.downloaded" in v for v in on_kafka)  # the sweep did read
    metrics = generate_latest(REGISTRY)
    logged = [
        (r.getMessage() + str(r.__dict__)).encode()
        for r in caplog.records
        if r.name.startswith(("services", "shared"))
    ]
    assert logged
    for value in seeded:
        assert not [v for v in on_kafka if value in v], value
        assert value not in metrics
        assert not [line for line in logged if value in line], value


async def seed_history(
    settings: Settings, producer: AIOKafkaProducer, db: asyncpg.Connection
) -> None:
    """The platform's records: a number, changed later; sessions before, in and after the
    period the request asks for; another account; an invalid event."""
    now = datetime.now(UTC)

    def at(days: int) -> str:
        return (now - timedelta(days=days)).isoformat()

    events = [
        event("account.registered", "u7", at(400), phone_number="+33612345678"),
        event("session.observed", "u7", at(200), ip_address="203.0.113.1", source_port=1000),
        event("session.observed", "u7", at(50), ip_address="2001:db8::7", source_port=2000),
        event("account.phone_number_changed", "u7", at(5), phone_number="+33698765432"),
        event("session.observed", "u7", at(2), ip_address="198.51.100.3", source_port=3000),
        event("account.registered", "u8", at(30), phone_number="+33611111111"),
        # Invalid: dead-lettered, and the dead letter must not carry it either.
        event("session.observed", "u9", at(3), ip_address="203.0.113.999", source_port=1),
    ]
    await send(producer, settings, events)
    await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM legal.sessions"))
    await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM legal.phone_numbers"))


async def with_package_key(
    settings: Settings, db: asyncpg.Connection, authority_id: str
) -> tuple[Authority, X25519PrivateKey]:
    """A registered authority whose X25519 private key the test holds, to open packages."""
    authority = await register(settings, authority_id)
    key = X25519PrivateKey.generate()
    await db.execute(
        "UPDATE legal.authorities SET encryption_key = $1 WHERE authority_id = $2",
        key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        authority_id,
    )
    return authority, key


def assert_exactly_the_period(files: dict[str, bytes]) -> None:
    """The package of the request for 90 to 10 days ago, by the old number."""
    text = b"".join(files.values())
    assert b"+33612345678" in text  # the number the account had during the period
    assert b"+33698765432" not in text  # not the later one
    assert b"2001:db8::7" in text  # the session inside the period
    assert b"203.0.113.1" not in text  # before the period
    assert b"198.51.100.3" not in text  # after it
    assert b"+33611111111" not in text  # another account


async def two_officers_approve(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient, request_id: str
) -> dict[str, str]:
    """Ines reads and prepares, cannot approve herself; Hugo approves. Ines's headers."""
    ines, hugo = await officer(settings, "ines"), await officer(settings, "hugo")
    path = f"/v1/officer/requests/{request_id}"
    listed = await portal.get("/v1/officer/requests", headers=ines)
    assert listed.status_code == 200, listed.text
    assert request_id in [r["request_id"] for r in listed.json()["requests"]]
    # The officer reads the request and its signed document (the reading is audited).
    details = (await portal.get(path, headers=ines)).json()
    assert details["request"]["target"] == {"kind": "phone_number", "value": "+33612345678"}
    assert (await portal.get(f"{path}/document", headers=ines)).content == DOCUMENT
    assert (await portal.post(f"{path}/approve", headers=ines)).json()["code"] == "not_prepared"
    assert (await portal.post(f"{path}/prepare", headers=ines)).status_code == 200
    same = await portal.post(f"{path}/approve", headers=ines)
    assert (same.status_code, same.json()["code"]) == (403, "same_person")
    approved = await portal.post(f"{path}/approve", headers=hugo)
    assert approved.status_code == 200, approved.text
    assert approved.json()["result"] == {"phone_numbers": 1, "sessions": 1}
    # The database holds the two-person rule too.
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute(
            "UPDATE legal.approvals SET approved_by = ' INES' WHERE request_id = $1",
            uuid.UUID(request_id),
        )

    return ines


async def test_two_officers_approve_and_the_authority_gets_exactly_what_the_law_allows(
    *,
    settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    portal: httpx.AsyncClient,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await seed_history(settings, producer, db)
    paris, authority_key = await with_package_key(settings, db, "fr-parquet-paris")
    # Asked by the old number, for 90 to 10 days ago: one session is in the period.
    status = await submit(portal, paris, json.dumps(body()).encode())
    request_id = status["request_id"]
    assert status["state"] == "accepted"
    assert "package" not in status  # nothing to fetch before two officers approved

    ines = await two_officers_approve(settings, db, portal, request_id)
    bearer = {"Authorization": f"Bearer {paris.token}"}
    ready = (await portal.get(f"{PATH}/{request_id}", headers=bearer)).json()
    link = ready["package"]["url"]
    assert ready["state"] == "package_ready"
    assert link.startswith("/v1/packages/")
    # The link alone is not enough: another authority (or an officer) cannot use it.
    lyon = await register(settings, "fr-police-lyon", kind="police")
    other = await portal.get(link, headers={"Authorization": f"Bearer {lyon.token}"})
    assert (other.status_code, other.json()["code"]) == (403, "other_authority")
    assert (await portal.get(link, headers=ines)).status_code == 403
    assert (await portal.get(link)).status_code == 401

    package = await portal.get(link, headers=bearer)
    assert package.status_code == 200
    assert hashlib.sha256(package.content).hexdigest() == ready["package"]["sha256"]
    assert b"+33612345678" not in package.content  # encrypted to the authority
    platform_public = LegalSettings().platform_key().public_key()
    opened = open_package(package.content, authority_key, platform_public)
    assert_exactly_the_period(opened.files)
    assert opened.manifest["request_id"] == request_id
    await open_with_cli(settings, tmp_path, package.content, authority_key, set(opened.files))
    again = await portal.get(link, headers=bearer)
    assert (again.status_code, again.json()["code"]) == (410, "already_downloaded")
    # Once delivered, the platform keeps no copy of the package.
    assert await db.fetchval(
        "SELECT length(blob) = 0 FROM legal.packages WHERE request_id = $1", uuid.UUID(request_id)
    )
    final = (await portal.get(f"{PATH}/{request_id}", headers=bearer)).json()
    assert final["state"] == "downloaded"
    assert final["package"]["url"] is None

    steps = [e.step.value for e in await entries(db, request_id)]
    # The user's notice goes out when the service's housekeeping next finds it due, after
    # the disclosure: on a slow machine that can fall between the last two downloads.
    notified = [i for i, step in enumerate(steps) if step == "user_notified"]
    assert len(notified) <= 1
    assert all(i > steps.index("downloaded") for i in notified)
    assert [step for step in steps if step != "user_notified"] == [
        "signature_verified", "received", "checks_passed", "document_read", "approval_refused",
        "reviewed", "approval_refused", "approved", "package_built", "download_refused",
        "downloaded", "download_refused",
    ]  # fmt: skip
    assert (await verify(db, audit_keys())).intact

    # legal.disclosures says what happened, with ids and counts only.
    said = await read_topic(
        settings, LEGAL_DISCLOSURES.name, until=lambda r: len(r) >= 2, timeout=30
    )
    kinds = [json.loads(r.value)["event_type"] for r in said]
    assert kinds == ["disclosure.package_ready", "disclosure.downloaded"]
    assert json.loads(said[0].value)["record_counts"] == {"phone_numbers": 1, "sessions": 1}

    # The sweep: no number or address seeded here appears in any Kafka record but those of
    # identity.events, in any metric, or in any log line of Crible's.
    seeded = [b"+33612345678", b"+33698765432", b"+33611111111", b"33612345678",
              b"2001:db8::7", b"203.0.113.1", b"198.51.100.3", b"203.0.113.999"]  # fmt: skip
    await sweep(settings, caplog, seeded)


async def test_who_may_see_what_401_and_403(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    lyon = await register(settings, "fr-police-lyon", kind="police")
    request_id = (await submit(portal, paris, json.dumps(body()).encode()))["request_id"]
    ines = await officer(settings, "ines")
    admin_token = await crible(
        settings, "legal", "officers", "add", "ada", "--name", "Ada", "--roles", "legal_admin"
    )
    ada = {"Authorization": f"Bearer {admin_token.strip()}"}
    as_paris = {"Authorization": f"Bearer {paris.token}"}
    as_lyon = {"Authorization": f"Bearer {lyon.token}"}
    nobody = {"Authorization": "Bearer clo_not-a-token"}
    status = f"{PATH}/{request_id}"
    officer_path = f"/v1/officer/requests/{request_id}"
    cases = [
        ("GET", status, {}, 401),
        ("GET", status, nobody, 401),
        ("GET", status, as_lyon, 403),  # another authority's request
        ("GET", status, ines, 403),  # an officer is not the authority
        ("GET", status, as_paris, 200),
        ("GET", "/v1/officer/requests", {}, 401),
        ("GET", "/v1/officer/requests", as_paris, 403),  # an authority is not an officer
        ("GET", officer_path, as_paris, 403),
        ("GET", f"{officer_path}/document", as_lyon, 403),
        ("POST", f"{officer_path}/prepare", as_paris, 403),
        ("POST", f"{officer_path}/approve", as_paris, 403),
        ("GET", "/v1/officer/audit/verify", ines, 403),  # legal_officer lacks legal_admin
        ("GET", "/v1/officer/audit/verify", ada, 200),
        ("GET", "/v1/packages/anything", {}, 401),
        ("GET", "/v1/packages/anything", ines, 403),
    ]
    for method, url, headers, expected in cases:
        answer = await portal.request(method, url, headers=headers)
        assert answer.status_code == expected, (method, url, answer.text)
    verified = (await portal.get("/v1/officer/audit/verify", headers=ada)).json()
    assert verified["intact"]
    assert verified["unregistered_changes"] == []
    # Nothing of the refused officer routes happened.
    assert await db.fetchval("SELECT count(*) FROM legal.approvals") == 0


async def test_a_narrowed_request_discloses_only_what_remains_and_links_expire(
    settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    portal: httpx.AsyncClient,
) -> None:
    now = datetime.now(UTC)
    await send(producer, settings, [
        event("account.registered", "u5", (now - timedelta(days=300)).isoformat(),
              phone_number="+33655555555"),
        event("session.observed", "u5", (now - timedelta(days=60)).isoformat(),
              ip_address="192.0.2.60", source_port=60),
        event("session.observed", "u5", (now - timedelta(days=20)).isoformat(),
              ip_address="192.0.2.20", source_port=20),
    ])  # fmt: skip
    await eventually(lambda: db.fetchval("SELECT count(*) = 2 FROM legal.sessions"))
    paris, authority_key = await with_package_key(settings, db, "fr-parquet-paris")
    asked = body(target={"kind": "platform_user_id", "value": "u5"})
    request_id = (await submit(portal, paris, json.dumps(asked).encode()))["request_id"]
    ines, hugo = await officer(settings, "ines"), await officer(settings, "hugo")
    path = f"/v1/officer/requests/{request_id}"

    # Only removing: widening, emptying or a missing reason is refused.
    wider = {"reason": "wider", "date_from": (now - timedelta(days=400)).isoformat()}
    for change, code in [
        (wider, "invalid_narrowing"),
        ({"reason": "   ", "categories": ["subscriber"]}, "invalid_narrowing"),
        ({"reason": "more", "categories": ["traffic"]}, "invalid_narrowing"),
    ]:
        refused = await portal.post(f"{path}/narrow", json=change, headers=ines)
        assert refused.status_code in (422, 409), refused.text
        if refused.status_code != 422 or "code" in refused.json():
            assert refused.json()["code"] == code
    # The last 30 days of the period only: the older session is no longer disclosed.
    kept_from = (now - timedelta(days=30)).isoformat()
    narrowed = await portal.post(
        f"{path}/narrow",
        json={"reason": "l'enquête ne porte que sur le dernier mois", "date_from": kept_from},
        headers=ines,
    )
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["result"]["categories"] == ["identification", "subscriber"]
    scope = (await portal.get(path, headers=hugo)).json()["scope"]
    assert scope["narrowed"]
    assert scope["date_from"].startswith(kept_from[:10])
    # The reason is sealed at rest, like everything an officer writes freely.
    sealed = await db.fetchval("SELECT reason FROM legal.narrowings")
    assert "enquête".encode() not in bytes(sealed)

    await portal.post(f"{path}/prepare", headers=ines)
    approved = await portal.post(f"{path}/approve", headers=hugo)
    assert approved.json()["result"] == {"phone_numbers": 1, "sessions": 1}
    bearer = {"Authorization": f"Bearer {paris.token}"}
    link = (await portal.get(f"{PATH}/{request_id}", headers=bearer)).json()["package"]["url"]
    # The package holds only what remained after narrowing.
    blob = await db.fetchval(
        "SELECT blob FROM legal.packages WHERE request_id = $1", uuid.UUID(request_id)
    )
    opened = open_package(bytes(blob), authority_key, LegalSettings().platform_key().public_key())
    text = b"".join(opened.files.values())
    assert b"192.0.2.20" in text
    assert b"192.0.2.60" not in text

    # A link can be cut short, never lengthened (the database refuses it).
    with pytest.raises(asyncpg.CheckViolationError, match="never lengthened"):
        await db.execute(
            "UPDATE legal.packages SET expires_at = expires_at + interval '1 day' "
            "WHERE request_id = $1",
            uuid.UUID(request_id),
        )
    # The link expires: past its time it is refused (and audited), and no longer shown.
    await db.execute(
        "UPDATE legal.packages SET expires_at = now() - interval '1 second' WHERE request_id = $1",
        uuid.UUID(request_id),
    )
    late = await portal.get(link, headers=bearer)
    assert (late.status_code, late.json()["code"]) == (410, "link_expired")
    status = (await portal.get(f"{PATH}/{request_id}", headers=bearer)).json()
    assert status["package"]["url"] is None
    assert status["state"] == "link_expired"
    steps = [e.step.value for e in await entries(db, request_id)]
    assert "narrowed" in steps
    assert steps.index("narrowed") < steps.index("approved")
    narrowed_entry = next(e for e in await entries(db, request_id) if e.step.value == "narrowed")
    assert dict(narrowed_entry.details)["date_from"] == kept_from[:10]
    assert "link_expired" in str([dict(e.details) for e in await entries(db, request_id)])
    assert steps[-2:] == ["link_expired", "download_refused"]


async def test_the_audit_log_cannot_be_rewritten_and_tampering_is_found(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    for _ in range(3):
        await submit(portal, paris, json.dumps(body()).encode())
    # The service's own role may append and read, never change or delete.
    service = await asyncpg.connect(settings.database_url_for("legal").get_secret_value())
    try:
        assert await service.fetchval("SELECT count(*) FROM legal.audit") >= 6
        for sql in (
            "UPDATE legal.audit SET actor = 'x'",
            "DELETE FROM legal.audit",
            "TRUNCATE legal.audit",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await service.execute(sql)
    finally:
        await service.close()

    # The owner role cannot turn the trigger off: the schema guard refuses it.
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="crible guard"):
        await db.execute("ALTER TABLE legal.audit DISABLE TRIGGER guard_audit_append_only")
    # Someone with a superuser's powers goes around the trigger: the verifier names the row.
    last = await db.fetchval("SELECT max(sequence) FROM legal.audit")
    tampering = {
        "modified": "UPDATE legal.audit SET actor = 'someone else' WHERE sequence = $1",
        "deleted": "DELETE FROM legal.audit WHERE sequence = $1",
        "reordered": "UPDATE legal.audit SET recorded_at = recorded_at - interval '1 day' "
        "WHERE sequence = $1",
    }
    async with admin_connection() as admin:
        for what, sql in tampering.items():
            transaction = admin.transaction()
            await transaction.start()
            try:
                await admin.execute(sql, last - 1)
                verdict = await verify(admin, audit_keys())
                assert not verdict.intact, what
                assert verdict.broken_at in {last - 1, last}, (what, verdict)
            finally:
                await transaction.rollback()  # the real chain stays as it was
    assert (await verify(db, audit_keys())).intact


async def test_an_unknown_target_is_answered_no_data(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    content = json.dumps(body(target={"kind": "platform_user_id", "value": "nobody"})).encode()
    request_id = (await submit(portal, paris, content))["request_id"]
    first, second = await officer(settings, "ines"), await officer(settings, "hugo")
    path = f"/v1/officer/requests/{request_id}"
    await portal.post(f"{path}/prepare", headers=first)
    approved = await portal.post(f"{path}/approve", headers=second)
    assert approved.status_code == 200
    assert approved.json()["result"]["no_data"] == 1
    bearer = {"Authorization": f"Bearer {paris.token}"}
    state = await portal.get(f"{PATH}/{request_id}", headers=bearer)
    assert state.json()["state"] == "no_data"
    assert "package" not in state.json()
    assert (await verify(db, audit_keys())).intact
    said = await read_topic(settings, LEGAL_DISCLOSURES.name, until=lambda r: len(r) >= 1)
    assert [json.loads(r.value)["event_type"] for r in said] == ["disclosure.no_data"]


def _ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


#: One request outside its legal basis per rule: (authority kind, country, changes to the
#: request, the refusal code, the article the refusal must cite).
RULES: dict[str, tuple[str, str, dict[str, Any], str, str]] = {
    "issuer_not_allowed": (
        "investigating_judge", "FR", {"instrument": "fr_cpp_60_1"},
        "issuer_not_allowed", "CPP art. 60-1",
    ),
    "authorisation_missing": (
        "police", "FR", {"instrument": "fr_cpp_77_1_1"},
        "authorisation_missing", "CPP art. 77-1-1",
    ),
    "ip_data_for_a_minor_offence": (
        "prosecutor", "FR", {"max_penalty_years": 0.5},
        "category_not_allowed_for_offence", "CPP art. 60-1-2",
    ),
    "offline_offence_under_3_years": (
        "prosecutor", "FR", {"max_penalty_years": 2, "committed_online": False},
        "category_not_allowed_for_offence", "CPP art. 60-1-2",
    ),
    "epoc_traffic_data_for_a_minor_offence": (
        "court", "DE", {"instrument": "eu_epoc", "categories": ["traffic"], "max_penalty_years": 2},
        "category_not_allowed_for_offence", "2023/1543 art. 5(4)",
    ),
    "epoc_traffic_data_without_a_judge": (
        "prosecutor", "DE", {"instrument": "eu_epoc", "categories": ["traffic"]},
        "category_not_allowed_for_issuer", "2023/1543 art. 4(2)",
    ),
    "emergency_traffic_data": (
        "police", "FR",
        {"instrument": "emergency_disclosure", "emergency": True, "categories": ["traffic"]},
        "category_not_allowed_for_instrument", "GDPR art. 5(1)(c)",
    ),
    "emergency_without_an_emergency": (
        "police", "FR", {"instrument": "emergency_disclosure", "emergency": False},
        "not_an_emergency", "GDPR art. 6(1)(d)",
    ),
    "french_requisition_from_abroad": (
        "prosecutor", "DE", {}, "wrong_jurisdiction", "Code de procédure pénale",
    ),
    "eu_order_from_outside_the_union": (
        "court", "US", {"instrument": "eu_epoc"}, "wrong_jurisdiction", "2023/1543 art. 1",
    ),
    "period_in_the_future": (
        "prosecutor", "FR", {"date_to": _ago(-5)}, "date_range_in_future", "DSA art. 10",
    ),
    "connection_data_past_retention": (
        "prosecutor", "FR", {"date_from": _ago(800), "date_to": _ago(400)},
        "date_range_not_held", "2021-1362",
    ),
}  # fmt: skip


@pytest.mark.parametrize("rule", sorted(RULES))
async def test_a_request_outside_its_legal_basis_is_refused_with_the_rule_it_breaks(
    rule: str, settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    kind, country, changes, code, article = RULES[rule]
    authority = await register(settings, f"authority-{rule}"[:60], kind=kind, country=country)
    status = await submit(portal, authority, json.dumps(body(**changes)).encode())
    assert status["state"] == "refused", status
    assert code in [r["code"] for r in status["refusals"]]
    cited = [r["article"] for r in status["refusals"] if r["code"] == code]
    assert any(article in c for c in cited), cited
    # Refused on the chain with its code, and on legal.disclosures for the platform.
    steps = {e.step.value: dict(e.details) for e in await entries(db, status["request_id"])}
    assert code in str(steps["checks_refused"]["codes"])
    said = await read_topic(settings, LEGAL_DISCLOSURES.name, until=lambda r: len(r) >= 1)
    assert code in json.loads(said[0].value)["refusal_codes"]
