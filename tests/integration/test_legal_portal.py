"""The authority portal on the real stack: signed requests, refusals, the law's checks, and
every step on a hash-chained audit log that refuses to be rewritten."""

from __future__ import annotations

import base64
import json
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

from services.legal.auditlog import entries, verify
from services.legal.config import LegalSettings
from services.legal.package import open_package
from services.legal.service import SPEC as LEGAL
from services.legal.signatures import sign
from shared.config import Settings
from shared.kafka import apply_topics
from shared.topics import IDENTITY_EVENTS
from tests.integration.conftest import eventually, running, serving
from tests.integration.test_identity_store import event, send
from tests.integration.test_prescreen import crible

pytestmark = pytest.mark.integration

PATH = "/v1/requests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raw(public: Any) -> str:
    return base64.b64encode(public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def body(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
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
        "document_sha256": "ab" * 32,
    } | changes


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
    await apply_topics(settings, [IDENTITY_EVENTS, IDENTITY_EVENTS.dlq()])
    served = settings.model_copy(update={"http_port": free_port()})
    async with (
        running(LEGAL, served),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{served.http_port}") as client,
    ):
        await serving(f"http://127.0.0.1:{served.http_port}/openapi.json")
        yield client


async def register(settings: Settings, authority_id: str, kind: str = "prosecutor") -> Authority:
    key = Ed25519PrivateKey.generate()
    token = await crible(
        settings, "legal", "authorities", "add", authority_id, "--name", "Parquet de Paris",
        "--country", "FR", "--kind", kind, "--contact", "permanence du parquet",
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

    accepted = await portal.post(PATH, content=content, headers=paris.headers(content))
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["state"] == "accepted"
    request_id = accepted.json()["request_id"]
    # The authority reads its request's state; nobody else does.
    mine = await portal.get(
        f"{PATH}/{request_id}", headers={"Authorization": f"Bearer {paris.token}"}
    )
    assert mine.json()["state"] == "accepted"
    assert (await portal.get(f"{PATH}/{request_id}")).status_code == 401

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
        ({"Authorization": f"Bearer {paris.token}"}, content, "signature_missing"),
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
    checked = await portal.post(PATH, content=judge_only, headers=police.headers(judge_only))
    assert checked.json()["state"] == "refused"
    assert all(r["article"] for r in checked.json()["refusals"])
    # Not a request: 422, naming fields only.
    bad = json.dumps(body(categories=[])).encode()
    invalid = await portal.post(PATH, content=bad, headers=paris.headers(bad))
    assert invalid.status_code == 422
    assert "+33612345678" not in invalid.text

    # Sealed at rest: the target's phone number is in no column.
    stored = await db.fetch("SELECT * FROM legal.requests")
    assert all(b"+33612345678" not in bytes(r["body"]) for r in stored)
    assert "+33612345678" not in str([dict(r) for r in stored])

    # Every step is on the chain, in order, and the chain verifies.
    log = await entries(db)
    steps = [e.step.value for e in log[before:]]
    assert steps.count("signature_refused") == len(cases)
    assert steps[:2] == ["signature_verified", "checks_passed"]
    assert "checks_refused" in steps
    assert all("+33612345678" not in json.dumps(dict(e.details)) for e in log)
    verdict = await verify(db)
    assert verdict.intact, verdict
    assert (await crible(settings, "legal", "audit", "verify")).startswith("audit chain intact")

    # Append-only: the database itself refuses to rewrite or delete an entry.
    with pytest.raises(asyncpg.RaiseError):
        await db.execute("UPDATE legal.audit SET actor = 'someone' WHERE sequence = $1", 1)
    with pytest.raises(asyncpg.RaiseError):
        await db.execute("DELETE FROM legal.audit")


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


async def test_two_officers_approve_and_the_authority_gets_exactly_what_the_law_allows(
    settings: Settings,
    db: asyncpg.Connection,
    producer: AIOKafkaProducer,
    portal: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    # The platform's records: a number, changed later; sessions before, in and after the period.
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
    ]
    await send(producer, settings, events)
    await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM legal.sessions"))
    await eventually(lambda: db.fetchval("SELECT count(*) = 3 FROM legal.phone_numbers"))

    paris = await register(settings, "fr-parquet-paris")
    authority_key = X25519PrivateKey.generate()
    await db.execute(
        "UPDATE legal.authorities SET encryption_key = $1 WHERE authority_id = $2",
        authority_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        "fr-parquet-paris",
    )
    # Asked by the old number, for 90 to 10 days ago: one session is in the period.
    content = json.dumps(body()).encode()
    submitted = await portal.post(PATH, content=content, headers=paris.headers(content))
    request_id = submitted.json()["request_id"]
    assert submitted.json()["state"] == "accepted"

    ines, hugo = await officer(settings, "ines"), await officer(settings, "hugo")
    path = f"/v1/officer/requests/{request_id}"
    listed = await portal.get("/v1/officer/requests", headers=ines)
    assert listed.status_code == 200, listed.text
    pending = listed.json()["requests"]
    assert request_id in [r["request_id"] for r in pending]
    assert (await portal.post(f"{path}/approve", headers=ines)).json()["code"] == "not_prepared"
    assert (await portal.post(f"{path}/prepare", headers=ines)).status_code == 200
    same = await portal.post(f"{path}/approve", headers=ines)
    assert (same.status_code, same.json()["code"]) == (403, "same_person")
    # The authority cannot download before approval, nor can a stranger ever.
    bearer = {"Authorization": f"Bearer {paris.token}"}
    assert (await portal.get(f"{PATH}/{request_id}/package", headers=bearer)).status_code == 404
    approved = await portal.post(f"{path}/approve", headers=hugo)
    assert approved.status_code == 200, approved.text
    assert approved.json()["result"] == {"phone_numbers": 1, "sessions": 1}
    # The database holds the two-person rule too.
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute(
            "UPDATE legal.approvals SET approved_by = ' INES' WHERE request_id = $1",
            uuid.UUID(request_id),
        )

    package = await portal.get(f"{PATH}/{request_id}/package", headers=bearer)
    assert package.status_code == 200
    assert b"+33612345678" not in package.content  # encrypted to the authority
    platform_public = LegalSettings().platform_key().public_key()
    opened = open_package(package.content, authority_key, platform_public)
    text = b"".join(opened.files.values())
    assert b"+33612345678" in text  # the number the account had during the period
    assert b"+33698765432" not in text  # not the later one
    assert b"2001:db8::7" in text  # the session inside the period
    assert b"203.0.113.1" not in text  # before the period
    assert b"198.51.100.3" not in text  # after it
    assert b"+33611111111" not in text  # another account
    assert opened.manifest["request_id"] == request_id
    await open_with_cli(settings, tmp_path, package.content, authority_key, set(opened.files))
    again = await portal.get(f"{PATH}/{request_id}/package", headers=bearer)
    assert again.status_code == 410

    steps = [e.step.value for e in await entries(db, request_id)]
    assert steps == [
        "signature_verified", "checks_passed", "approval_refused", "reviewed",
        "approval_refused", "download_refused", "approved", "package_built", "downloaded",
        "download_refused",
    ]  # fmt: skip
    assert (await verify(db)).intact


async def test_the_audit_log_cannot_be_rewritten_and_tampering_is_found(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    for _ in range(3):
        content = json.dumps(body()).encode()
        await portal.post(PATH, content=content, headers=paris.headers(content))
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

    # Someone with the owner's powers goes around the trigger: the verifier names the row.
    last = await db.fetchval("SELECT max(sequence) FROM legal.audit")
    tampering = {
        "modified": "UPDATE legal.audit SET actor = 'someone else' WHERE sequence = $1",
        "deleted": "DELETE FROM legal.audit WHERE sequence = $1",
        "reordered": "UPDATE legal.audit SET recorded_at = recorded_at - interval '1 day' "
        "WHERE sequence = $1",
    }
    for what, sql in tampering.items():
        transaction = db.transaction()
        await transaction.start()
        try:
            await db.execute("ALTER TABLE legal.audit DISABLE TRIGGER audit_append_only")
            await db.execute(sql, last - 1)
            verdict = await verify(db)
            assert not verdict.intact, what
            assert verdict.broken_at in {last - 1, last}, (what, verdict)
        finally:
            await transaction.rollback()  # the real chain stays as it was
    assert (await verify(db)).intact


async def test_an_unknown_target_is_answered_no_data(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    content = json.dumps(body(target={"kind": "platform_user_id", "value": "nobody"})).encode()
    request_id = (await portal.post(PATH, content=content, headers=paris.headers(content))).json()[
        "request_id"
    ]
    first, second = await officer(settings, "ines"), await officer(settings, "hugo")
    path = f"/v1/officer/requests/{request_id}"
    await portal.post(f"{path}/prepare", headers=first)
    approved = await portal.post(f"{path}/approve", headers=second)
    assert approved.status_code == 200
    assert approved.json()["result"]["no_data"] == 1
    bearer = {"Authorization": f"Bearer {paris.token}"}
    state = await portal.get(f"{PATH}/{request_id}", headers=bearer)
    assert state.json()["state"] == "no_data"
    assert (await portal.get(f"{PATH}/{request_id}/package", headers=bearer)).status_code == 404
    assert (await verify(db)).intact
