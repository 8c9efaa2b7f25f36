"""What PostgreSQL itself refuses, written to directly as the service's role and as the owner.

The request lifecycle, the two-person rule with officers by id who prove who they are, a
package only for an approved request, records never deleted: every bypass found from
outside is tried here and must fail in the database, whoever writes. The owner role cannot
switch a guard off either (the schema guard, ``shared/db_guard.py``).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.legal.adapters.postgres.audit_log import entries
from services.legal.core.lifecycle import TRANSITIONS, RequestState
from services.legal.metrics import UNREGISTERED_CHANGES
from services.legal.schedule import PERIODIC
from shared.config import Settings
from shared.runtime import ServiceContext
from tests.integration.conftest import admin_connection
from tests.integration.legal.test_portal import (
    body,
    officer,
    portal,
    register,
    seed_history,
    submit,
)
from tests.integration.prescreen.test_prescreen import crible

pytestmark = pytest.mark.integration
__all__ = ["portal"]  # the fixture, used by name

Refused = (asyncpg.CheckViolationError, asyncpg.ForeignKeyViolationError)


def token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


@pytest.fixture(params=["service", "owner", "owner_as_schema_owner"])
async def writer(
    request: pytest.FixtureRequest, settings: Settings, db: asyncpg.Connection
) -> AsyncIterator[asyncpg.Connection]:
    """A connection as crible_legal, as the owner role, or as the owner acting as the schema's
    owning role (what migrations run as)."""
    if request.param == "service":
        conn = await asyncpg.connect(settings.database_url_for("legal").get_secret_value())
    else:
        conn = await asyncpg.connect(settings.database_url.get_secret_value())
        if request.param == "owner_as_schema_owner":
            await conn.execute("SET ROLE crible_legal_owner")
    try:
        yield conn
    finally:
        await conn.close()


async def accepted_request(
    settings: Settings, portal: httpx.AsyncClient
) -> tuple[uuid.UUID, dict[str, str], dict[str, str]]:
    """A checked, accepted request, and two officers' headers (ines, hugo)."""
    paris = await register(settings, "fr-parquet-paris")
    status = await submit(portal, paris, _json(body()))
    assert status["state"] == "accepted", status
    ines, hugo = await officer(settings, "ines"), await officer(settings, "hugo")
    return uuid.UUID(status["request_id"]), ines, hugo


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


async def state(db: asyncpg.Connection, request_id: uuid.UUID) -> str:
    found: str = await db.fetchval(
        "SELECT state FROM legal.requests WHERE request_id = $1", request_id
    )
    return found


async def test_no_writer_can_skip_a_step_or_sign_for_an_officer(
    settings: Settings,
    db: asyncpg.Connection,
    portal: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    writer: asyncpg.Connection,
) -> None:
    await seed_history(settings, producer, db)
    request_id, ines, hugo = await accepted_request(settings, portal)
    # Straight to approved, disclosed or ready: not a transition of the lifecycle.
    for target in ("approved", "package_ready", "downloaded", "no_data", "preserving"):
        with pytest.raises(asyncpg.CheckViolationError, match="cannot become"):
            await writer.execute(
                "UPDATE legal.requests SET state = $2 WHERE request_id = $1", request_id, target
            )
    # Prepared by a made-up officer, or by a real one without their proof, or a false one.
    for preparer, proof in (("mallory", None), ("ines", None), ("ines", "not-her-token")):
        with pytest.raises(Refused):
            await writer.execute(
                """INSERT INTO legal.approvals (request_id, prepared_by, prepared_at,
                       preparer_proof) VALUES ($1, $2, now(), $3)""",
                request_id,
                preparer,
                proof,
            )
    # A package for a request nobody approved.
    with pytest.raises(asyncpg.CheckViolationError, match="only for an approved request"):
        await writer.execute(
            """INSERT INTO legal.packages (request_id, blob, built_at, package_sha256)
               VALUES ($1, 'x', now(), $2)""",
            request_id,
            "ab" * 32,
        )
    # Ines prepares it for real; nobody can then approve it without Hugo's proof.
    prepared = await portal.post(f"/v1/officer/requests/{request_id}/prepare", headers=ines)
    assert prepared.status_code == 200, prepared.text
    assert await state(db, request_id) == "prepared"
    tries = [
        ("hugo", None),
        ("hugo", "a guess"),
        ("ines", token(ines)),  # herself, with her own token
        ("ines\t", token(ines)),  # what a trimming comparison took for someone else
        ("ines\u00a0", token(ines)),
        ("INES", token(ines)),
        ("mallory", token(hugo)),
    ]
    for approver, proof in tries:
        with pytest.raises(Refused):
            await writer.execute(
                """UPDATE legal.approvals SET approved_by = $2, approved_at = now(),
                       approver_proof = $3 WHERE request_id = $1""",
                request_id,
                approver,
                proof,
            )
    # Rewriting who prepared it, or forgetting it, is refused too.
    with pytest.raises(asyncpg.CheckViolationError, match="never rewritten"):
        await writer.execute(
            "UPDATE legal.approvals SET prepared_by = 'hugo' WHERE request_id = $1", request_id
        )
    with pytest.raises(asyncpg.CheckViolationError, match="never deleted"):
        await writer.execute("DELETE FROM legal.approvals WHERE request_id = $1", request_id)
    # Without an approval, the request cannot be marked approved.
    with pytest.raises(asyncpg.CheckViolationError, match="two different"):
        await writer.execute(
            "UPDATE legal.requests SET state = 'approved' WHERE request_id = $1", request_id
        )
    # Records are never deleted nor truncated.
    with pytest.raises(asyncpg.CheckViolationError, match="never deleted"):
        await writer.execute("DELETE FROM legal.requests WHERE request_id = $1", request_id)
    for table in ("legal.requests", "legal.approvals", "legal.packages"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await writer.execute(f"TRUNCATE {table} CASCADE")
    # Nothing of all that reached the request: Hugo approves it through the portal.
    assert await state(db, request_id) == "prepared"
    approved = await portal.post(f"/v1/officer/requests/{request_id}/approve", headers=hugo)
    assert approved.status_code == 200, approved.text
    assert await state(db, request_id) == "package_ready"
    row = await db.fetchrow("SELECT * FROM legal.approvals WHERE request_id = $1", request_id)
    assert row is not None
    assert (row["prepared_by"], row["approved_by"]) == ("ines", "hugo")
    assert (row["preparer_proof"], row["approver_proof"]) == (None, None)  # never kept
    # What was built is never rewritten, and ready is not downloaded.
    with pytest.raises(asyncpg.CheckViolationError):
        await writer.execute(
            "UPDATE legal.approvals SET approved_by = 'ines' WHERE request_id = $1", request_id
        )
    with pytest.raises(asyncpg.CheckViolationError, match="downloaded without a download"):
        await writer.execute(
            "UPDATE legal.requests SET state = 'downloaded' WHERE request_id = $1", request_id
        )
    with pytest.raises(asyncpg.CheckViolationError, match="never rewritten"):
        await writer.execute(
            "UPDATE legal.packages SET package_sha256 = $2 WHERE request_id = $1",
            request_id,
            "cd" * 32,
        )


async def test_an_inactive_officer_cannot_approve(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    request_id, ines, hugo = await accepted_request(settings, portal)
    await portal.post(f"/v1/officer/requests/{request_id}/prepare", headers=ines)
    service = await asyncpg.connect(settings.database_url_for("legal").get_secret_value())
    try:
        await db.execute("UPDATE legal.officers SET active = false WHERE officer_id = 'hugo'")
        with pytest.raises(asyncpg.CheckViolationError, match="prove"):
            await service.execute(
                """UPDATE legal.approvals SET approved_by = 'hugo', approver_proof = $2
                   WHERE request_id = $1""",
                request_id,
                token(hugo),
            )
    finally:
        await service.close()


async def test_the_owner_cannot_switch_a_guard_off(
    settings: Settings, db: asyncpg.Connection
) -> None:
    owner = await asyncpg.connect(settings.database_url.get_secret_value())
    try:
        for as_schema_owner in (False, True):
            if as_schema_owner:
                await owner.execute("SET ROLE crible_legal_owner")
            for ddl in (
                "ALTER TABLE legal.requests DISABLE TRIGGER guard_request_lifecycle",
                "ALTER TABLE legal.approvals DISABLE TRIGGER USER",
                "ALTER TABLE legal.audit DISABLE TRIGGER USER",
                "DROP TRIGGER guard_packages ON legal.packages",
                "ALTER TRIGGER guard_approvals ON legal.approvals RENAME TO approvals_check",
                "ALTER TABLE legal.audit RENAME TO audit_old",
                "DROP TABLE legal.audit",
                "DROP SCHEMA legal CASCADE",
                """CREATE OR REPLACE FUNCTION legal.guard_officer_proof(officer text, proof text)
                   RETURNS boolean LANGUAGE sql AS 'SELECT true'""",
                "ALTER FUNCTION legal.guard_refuse(text) RENAME TO nothing_refused",
                """CREATE OR REPLACE TRIGGER guard_request_lifecycle BEFORE UPDATE
                   ON legal.requests FOR EACH ROW EXECUTE FUNCTION legal.guard_narrowings()""",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match="crible guard"):
                    await owner.execute(ddl)
        # Adding to what protects people is allowed; the new trigger is guarded at once.
        await owner.execute(
            """CREATE TRIGGER guard_extra BEFORE DELETE ON legal.nonces
               FOR EACH STATEMENT EXECUTE FUNCTION legal.guard_no_truncate()"""
        )
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="crible guard"):
            await owner.execute("DROP TRIGGER guard_extra ON legal.nonces")
        # Nor the guard itself: it is the superuser's.
        await owner.execute("RESET ROLE")
        for ddl in (
            "DELETE FROM crible_guard.triggers",
            "ALTER EVENT TRIGGER crible_guard_ddl DISABLE",
            "DROP EVENT TRIGGER crible_guard_drop",
            (
                "CREATE OR REPLACE FUNCTION crible_guard.on_ddl() RETURNS event_trigger "
                "LANGUAGE plpgsql AS 'BEGIN END'"
            ),
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await owner.execute(ddl)
        assert await owner.fetchval(
            """SELECT r.rolsuper FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner
               WHERE n.nspname = 'crible_guard'"""
        )
    finally:
        await owner.close()
    # An administrator (superuser) may change a guard: the registry follows.
    async with admin_connection() as admin:
        await admin.execute("DROP TRIGGER guard_extra ON legal.nonces")
    assert (await db.fetchval("SELECT count(*) FROM pg_trigger WHERE tgname = 'guard_extra'")) == 0


async def test_the_database_lifecycle_is_the_python_one(db: asyncpg.Connection) -> None:
    rows = await db.fetch("SELECT from_state, to_state FROM legal.guard_request_transitions()")
    in_sql = {(r["from_state"], r["to_state"]) for r in rows}
    in_python = {(a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets}
    assert in_sql == in_python
    check = await db.fetchval(
        """SELECT pg_get_constraintdef(oid) FROM pg_constraint
           WHERE conname = 'requests_state_check'
             AND conrelid = 'legal.requests'::regclass"""
    )
    assert set(re.findall(r"'([a-z_]+)'", check)) == {s.value for s in RequestState}


async def test_who_may_act_is_registered_on_the_chain_and_officers_have_one_spelling(
    settings: Settings, db: asyncpg.Connection
) -> None:
    before = await db.fetchval("SELECT max(sequence) FROM legal.audit") or 0
    await officer(settings, "ines")
    await register(settings, "fr-parquet-paris")
    logged = [(e.step.value, dict(e.details)) for e in await entries(db) if e.sequence > before]
    assert [step for step, _ in logged] == ["officer_registered", "authority_registered"]
    assert logged[0][1]["officer"] == "ines"
    assert str(logged[1][1]["signing_key"]).startswith("sha256:")
    # No second spelling of a person: the command and the database refuse it.
    for variant in ("Ines", "ines ", "ines\t", "in\u00e9s"):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services", "legal", "officers", "add", variant,
            "--name", "Ines", env={**os.environ, "CRIBLE_TOPIC_PREFIX": settings.topic_prefix},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await process.communicate()
        assert process.returncode != 0, variant
        assert b"one spelling per person" in err
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute(
            "INSERT INTO legal.officers (officer_id, name, roles) VALUES ('Ines', 'x', '{}')"
        )
    # The service's role reads who may act, and never writes it.
    service = await asyncpg.connect(settings.database_url_for("legal").get_secret_value())
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await service.execute(
                "UPDATE legal.officers SET token_hash = $1 WHERE officer_id = 'ines'", b"x" * 32
            )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await service.execute("UPDATE legal.authorities SET active = true")
    finally:
        await service.close()


async def test_credentials_changed_around_the_commands_fail_the_audit_check(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    admin = await crible(
        settings, "legal", "officers", "add", "ada", "--name", "Ada", "--roles", "legal_admin"
    )
    ada = {"Authorization": f"Bearer {admin.strip()}"}
    await officer(settings, "hugo")
    await register(settings, "fr-parquet-paris")
    status, out = await verify_command(settings)
    assert status == 0, out
    # Someone with the owner's credentials gives Hugo a token of their own...
    await db.execute(
        "UPDATE legal.officers SET token_hash = sha256('mine'::bytea) WHERE officer_id = 'hugo'"
    )
    status, out = await verify_command(settings)
    assert status == 1, out
    assert "registration REFUSED: officer hugo's credentials changed" in out
    assert "crible_owner" in out
    # ... or an authority a key of their own: named too.
    await db.execute(
        "UPDATE legal.authorities SET encryption_key = $1 WHERE authority_id = 'fr-parquet-paris'",
        bytes(32),
    )
    status, out = await verify_command(settings)
    assert "registration REFUSED: authority fr-parquet-paris" in out
    # Registering again through the command does not erase the window the swap opened.
    await officer(settings, "hugo")
    await register(settings, "fr-parquet-paris")
    status, out = await verify_command(settings)
    assert status == 1, out
    assert out.count("registration REFUSED") == 2
    # A legal_admin sees them in the console's check too.
    verified = (await portal.get("/v1/officer/audit/verify", headers=ada)).json()
    assert [(c["kind"], c["principal_id"], c["acknowledged_by_incident"])
            for c in verified["unregistered_changes"]] == [
        ("officer", "hugo", None), ("authority", "fr-parquet-paris", None)
    ]  # fmt: skip
    # After the investigation, the incident goes on the chain; both stay listed.
    swaps = await db.fetch(
        "SELECT change_id FROM legal.registrations WHERE changed_by = current_user "
        "AND change_id NOT IN (SELECT (details::jsonb->>'change')::bigint FROM legal.audit "
        "WHERE details::jsonb ? 'change') ORDER BY change_id"
    )
    assert len(swaps) == 2
    for swap in swaps:
        status, out = await command(settings, "audit", "acknowledge", str(swap[0]),
                                    "--incident", "INC-2031")  # fmt: skip
        assert status == 0, out
    status, out = await verify_command(settings)
    assert status == 0, out
    assert out.count("registration acknowledged (INC-2031)") == 2
    # The log is written by its triggers only, and never rewritten, whoever connects.
    service = await asyncpg.connect(settings.database_url_for("legal").get_secret_value())
    try:
        for writer in (db, service):
            for statement in (
                (
                    "INSERT INTO legal.registrations (kind, principal_id, active, credentials) "
                    "VALUES ('officer', 'x', false, 'none')"
                ),
                "UPDATE legal.registrations SET changed_by = 'nobody'",
                "DELETE FROM legal.registrations",
                "TRUNCATE legal.registrations",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await writer.execute(statement)
    finally:
        await service.close()


async def test_the_service_counts_unregistered_changes_for_the_alert(
    settings: Settings, db: asyncpg.Connection
) -> None:
    await officer(settings, "hugo")
    pool = await asyncpg.create_pool(settings.database_url_for("legal").get_secret_value())
    ctx = ServiceContext("legal", settings, pool, None, asyncio.Event())
    try:
        tripwire = next(p for p in PERIODIC if p.name == "registrations")
        await tripwire.run(ctx)
        assert UNREGISTERED_CHANGES._value.get() == 0
        await db.execute("UPDATE legal.officers SET roles = '{legal_admin}'")
        await tripwire.run(ctx)
        assert UNREGISTERED_CHANGES._value.get() == 1
    finally:
        await pool.close()


async def verify_command(settings: Settings) -> tuple[int, str]:
    return await command(settings, "audit", "verify", "--no-topic")


async def command(settings: Settings, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services", *args,
        env={**os.environ, "CRIBLE_TOPIC_PREFIX": settings.topic_prefix},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()
