"""The audit trail against a database writer: keyed, and anchored by signed checkpoints.

The legal service signs the chain's head every second here (every minute by default) and
publishes it to ``legal.audit.checkpoints``. Then every tamper class found from outside is
performed on the real table, with a superuser's powers (the only ones left that get around
the append-only trigger), and ``crible audit verify``'s check must name the first bad entry:
the newest entries deleted; a middle entry rewritten and every later hash recomputed, with
and without the audit key; a middle entry deleted, the rest renumbered and re-hashed;
entries reordered; and a checkpoint whose signature does not verify.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.legal.adapters import checkpoint_sources
from services.legal.adapters.postgres import audit_log, legal_unit
from services.legal.config import LegalSettings
from services.legal.core.audit import GENESIS, AuditEntry, AuditStep, BreakKind
from services.legal.core.checkpoint import Checkpoint, sign
from services.legal.handlers import checkpoints
from services.legal.tools.audit_check import AuditReport, check
from shared.config import Settings
from shared.events.legal import AuditCheckpoint
from shared.kafka import make_plain_producer
from shared.topics import LEGAL_AUDIT_CHECKPOINTS, wire_name
from tests.integration.conftest import admin_connection, eventually
from tests.integration.legal.test_portal import body, portal, register, submit

pytestmark = pytest.mark.integration
__all__ = ["portal"]  # the fixture, used by name


@pytest.fixture(autouse=True)
def often(monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkpoint every second (read when the service starts)."""
    monkeypatch.setenv("CRIBLE_LEGAL_CHECKPOINT_EVERY_SECONDS", "1")


async def crible(settings: Settings, *args: str) -> tuple[int, str]:
    """Run ``crible`` as an auditor would; its exit status and output."""
    env = {**os.environ, "CRIBLE_TOPIC_PREFIX": settings.topic_prefix}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def anchored(settings: Settings, db: asyncpg.Connection) -> list[AuditCheckpoint]:
    """The published checkpoints, once one covers the whole chain."""
    head = await db.fetchval("SELECT max(sequence) FROM legal.audit")

    async def covered() -> bool:
        found = await checkpoint_sources.published(settings)
        return bool(found) and max(c.size for c in found) >= head

    await eventually(covered, timeout=60)
    return await checkpoint_sources.published(settings)


async def checked(conn: asyncpg.Connection, notes: Sequence[str]) -> AuditReport:
    legal = LegalSettings()
    return await check(
        conn,
        keys=legal.audit_ring().keys,
        notes=list(notes),
        public=legal.platform_key().public_key(),
        origin=legal.audit_origin,
    )


def rehashed(entries: list[AuditEntry], keys: dict[str, bytes]) -> list[AuditEntry]:
    """The entries renumbered from the first one's sequence and every hash recomputed."""
    out: list[AuditEntry] = []
    first = entries[0].sequence
    for number, entry in enumerate(entries, start=first):
        previous = out[-1].entry_hash if out else entry.previous_hash
        moved = replace(entry, sequence=number, previous_hash=previous)
        out.append(replace(moved, entry_hash=moved.computed_hash(keys)))
    return out


async def write(admin: asyncpg.Connection, start: int, entries: list[AuditEntry]) -> None:
    """Replace the chain from ``start`` on with ``entries`` (triggers are off for admin)."""
    await admin.execute("DELETE FROM legal.audit WHERE sequence >= $1", start)
    for e in entries:
        await admin.execute(
            """INSERT INTO legal.audit (sequence, recorded_at, request_id, step, actor, details,
                   previous_hash, entry_hash, key_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
            e.sequence, e.recorded_at, e.request_id, e.step.value, e.actor,
            orjson.dumps(dict(e.details)).decode(), e.previous_hash, e.entry_hash, e.key_id,
        )  # fmt: skip


async def test_every_tamper_class_is_named_and_the_intact_chain_verifies(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient, tmp_path: Path
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    for _ in range(3):
        await submit(portal, paris, json.dumps(body()).encode())
    published = await anchored(settings, db)
    notes = [c.note for c in published]
    keys = dict(LegalSettings().audit_ring().keys)

    # Intact: the command says so, with the checkpoint it was checked against.
    status, out = await crible(settings, "audit", "verify")
    assert status == 0, out
    assert "audit chain intact" in out
    assert "newest checkpoint:" in out
    assert "schema guard installed" in out
    # An auditor's own copy verifies it just as well, without the topic.
    copy = tmp_path / "checkpoints.jsonl"
    status, out = await crible(settings, "audit", "checkpoints", "export", "--out", str(copy))
    assert status == 0, out
    assert len(checkpoint_sources.from_file(copy)) == len(published)
    status, out = await crible(
        settings, "audit", "verify", "--no-topic", "--checkpoints", str(copy)
    )
    assert status == 0, out

    async with admin_connection() as admin:
        chain = await audit_log.entries(admin)
        size = max(c.size for c in published)
        middle = size - 3
        guessed = {k: hashlib.sha256(b"guess" + v).digest() for k, v in keys.items()}
        rewritten = [replace(chain[middle - 1], actor="someone else"), *chain[middle:]]
        swapped = [
            replace(chain[middle], sequence=middle),
            replace(chain[middle - 1], sequence=middle + 1),
            *chain[middle + 1 :],
        ]
        tampering: dict[str, tuple[int, list[AuditEntry], BreakKind, int]] = {
            # The newest entries deleted: the checkpoint counted more.
            "truncated": (size - 1, [], BreakKind.DELETED, size - 1),
            # A middle entry rewritten, every later hash recomputed without the key.
            "rewritten without the key": (
                middle, rehashed(rewritten, guessed), BreakKind.MODIFIED, middle
            ),
            # The same by someone who holds the key: the checkpoint no longer matches.
            "rewritten with the key": (
                middle, rehashed(rewritten, keys), BreakKind.MODIFIED, 0
            ),
            # A middle entry deleted, the rest renumbered and re-hashed with the key.
            "deleted and renumbered": (
                middle, rehashed(chain[middle:], keys), BreakKind.DELETED, 0
            ),
            # Two entries swapped.
            "reordered": (middle, swapped, BreakKind.MODIFIED, middle),
        }  # fmt: skip
        for what, (start, replacement, kind, at) in tampering.items():
            transaction = admin.transaction()
            await transaction.start()
            try:
                await write(admin, start, replacement)
                report = await checked(admin, notes)
                assert not report.ok, what
                assert report.verdict.kind is kind, (what, report.lines)
                if at:
                    assert report.verdict.broken_at == at, (what, report.lines)
                else:  # only the checkpoint knew: the first entry it can no longer vouch for
                    assert report.verdict.broken_at is not None, what
                    assert report.verdict.broken_at <= middle + 1, (what, report.lines)
                assert any("BROKEN" in line for line in report.lines)
            finally:
                await transaction.rollback()  # the real chain stays as it was
    assert (await checked(db, notes)).ok


async def test_a_checkpoint_that_does_not_verify_fails_the_check(
    settings: Settings, db: asyncpg.Connection, portal: httpx.AsyncClient
) -> None:
    paris = await register(settings, "fr-parquet-paris")
    await submit(portal, paris, json.dumps(body()).encode())
    await anchored(settings, db)
    legal = LegalSettings()
    # Someone who can write to the topic signs a checkpoint of their own.
    forged = sign(
        Checkpoint(legal.audit_origin, 1, GENESIS, datetime.now(UTC)),
        key=Ed25519PrivateKey.generate(),
        name=legal.audit_origin,
    )
    event = AuditCheckpoint(
        schema_version=1, origin=legal.audit_origin, size=1,
        head=base64.b64encode(GENESIS).decode(), signed_at=datetime.now(UTC), note=forged,
    )  # fmt: skip
    producer = make_plain_producer(settings)
    await producer.start()
    try:
        topic = wire_name(LEGAL_AUDIT_CHECKPOINTS.name, settings.topic_prefix)
        await producer.send_and_wait(topic, event.model_dump_json().encode(), key=b"checkpoint")
    finally:
        await producer.stop()
    status, out = await crible(settings, "audit", "verify")
    assert status == 1, out
    assert "checkpoint REFUSED" in out
    assert "signature does not verify" in out or "no signature by" in out


async def test_the_service_never_signs_a_chain_that_does_not_verify(
    settings: Settings, db: asyncpg.Connection
) -> None:
    keys = LegalSettings().keys()
    async with db.transaction():  # anchor what is there, as the scheduled job does
        await checkpoints.anchor(legal_unit(db, keys), now=datetime.now(UTC))
    async with db.transaction():
        for _ in range(2):
            await audit_log.record(
                db, AuditStep.RETENTION_RUN, ring=keys.audit_ring(), actor="legal",
                details={"dry_run": True},
            )  # fmt: skip
    newest = await db.fetchval("SELECT max(sequence) FROM legal.audit")
    async with admin_connection() as admin:
        transaction = admin.transaction()
        await transaction.start()
        try:
            # An entry not yet anchored, rewritten: the next checkpoint is refused.
            await admin.execute(
                "UPDATE legal.audit SET actor = 'someone else' WHERE sequence = $1", newest - 1
            )
            unit = legal_unit(admin, keys)
            with pytest.raises(checkpoints.ChainTamperedError, match=f"entry {newest - 1}"):
                await checkpoints.anchor(unit, now=datetime.now(UTC))
            assert unit.events == []
        finally:
            await transaction.rollback()
    # Untouched, the same entries are signed.
    async with db.transaction():
        unit = legal_unit(db, keys)
        signed = await checkpoints.anchor(unit, now=datetime.now(UTC))
    assert signed is not None
    assert signed.size == newest
    assert len(unit.events) == 1
