"""Requests as the legal service keeps them: the request, its document and any narrowing, sealed.

A request's target may be a phone number and its document names people, and an officer's
reason for narrowing is free text: all three are sealed with the field cipher (AES-256-GCM,
bound to their row) and move to a new key with ``crible legal rotate-key``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from services.legal.core.approval import Officer
from services.legal.core.deadlines import EMERGENCY_INSTRUMENTS, Deadline
from services.legal.core.fieldcrypt import FieldCipher, FieldRef, Sealed
from services.legal.core.lifecycle import OPEN, RequestState, TransitionRefusedError
from services.legal.core.model import Authority, AuthorityKind, Scope
from services.legal.core.narrowing import Narrowing
from services.legal.core.rules import requested_scope
from services.legal.ports import BuiltPackage, PackageAtLink, StoredRequest
from shared.db import Connection
from shared.events.legal import DataCategory, LegalRequest


def authority_from_row(row: Any) -> Authority:
    """An :class:`Authority` from a ``legal.authorities`` row."""
    return Authority(
        authority_id=row["authority_id"],
        country=row["country"],
        kind=AuthorityKind(row["kind"]),
        active=row["active"],
        signing_key=bytes(row["signing_key"]),
        encryption_key=bytes(row["encryption_key"]),
    )


class PostgresRequests:
    """``RequestStore`` over requests, documents, narrowings, approvals and packages."""

    def __init__(self, conn: Connection, cipher: FieldCipher) -> None:
        self._conn = conn
        self._cipher = cipher

    async def load(self, request_id: uuid.UUID, *, lock: bool = False) -> StoredRequest | None:
        """The request opened, or None; ``lock`` holds its row until the transaction ends."""
        row = await self._conn.fetchrow(
            "SELECT body, state, refusals FROM legal.requests WHERE request_id = $1"
            + (" FOR UPDATE" if lock else ""),
            request_id,
        )
        if row is None:
            return None
        plain = self._cipher.decrypt(
            Sealed.unpack(row["body"]), FieldRef("requests", "body", str(request_id))
        )
        return StoredRequest(
            LegalRequest.model_validate_json(plain),
            RequestState(row["state"]),
            orjson.loads(row["refusals"]),
        )

    async def store_received(
        self, request: LegalRequest, *, document: bytes, media_type: str, deadline: Deadline
    ) -> None:
        """Keep a verified request and its document, sealed, in state ``received``."""
        rid = str(request.request_id)
        body = self._cipher.encrypt(
            request.model_dump_json().encode(), FieldRef("requests", "body", rid)
        )
        await self._conn.execute(
            """INSERT INTO legal.requests (request_id, authority_id, instrument, emergency,
                   state, refusals, body, key_id, received_at, due_at, deadline_article,
                   non_disclosure_until)
               VALUES ($1, $2, $3, $4, 'received', '[]', $5, $6, $7, $8, $9, $10)""",
            request.request_id,
            request.authority_id,
            request.instrument.value,
            request.emergency,
            body.pack(),
            body.key_id,
            request.received_at,
            deadline.due_at,
            deadline.article,
            request.non_disclosure_until,
        )
        sealed = self._cipher.encrypt(document, FieldRef("documents", "blob", rid))
        await self._conn.execute(
            """INSERT INTO legal.documents (request_id, sha256, media_type, size, blob, key_id)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            request.request_id,
            request.document_sha256,
            media_type,
            len(document),
            sealed.pack(),
            sealed.key_id,
        )

    async def document(self, request_id: uuid.UUID) -> tuple[bytes, str] | None:
        """The request's legal document and its media type, opened."""
        row = await self._conn.fetchrow(
            "SELECT blob, media_type FROM legal.documents WHERE request_id = $1", request_id
        )
        if row is None:
            return None
        where = FieldRef("documents", "blob", str(request_id))
        return self._cipher.decrypt(Sealed.unpack(row["blob"]), where), row["media_type"]

    async def authority(self, authority_id: str) -> Authority | None:
        """The registered authority, as registered now."""
        row = await self._conn.fetchrow(
            "SELECT * FROM legal.authorities WHERE authority_id = $1", authority_id
        )
        return None if row is None else authority_from_row(row)

    async def authority_encryption_key(self, authority_id: str) -> bytes | None:
        """The authority's X25519 public key."""
        key = await self._conn.fetchval(
            "SELECT encryption_key FROM legal.authorities WHERE authority_id = $1", authority_id
        )
        return None if key is None else bytes(key)

    async def record_checks(
        self,
        request_id: uuid.UUID,
        *,
        state: RequestState,
        refusals: Sequence[Mapping[str, str]],
        checked_at: datetime,
    ) -> None:
        """The checks' verdict; a refusal is the answer: it stops the deadline's clock."""
        await self._conn.execute(
            """UPDATE legal.requests SET state = $2::text, refusals = $3,
                   checked_at = $4::timestamptz,
                   answered_at = CASE WHEN $2::text = 'refused' THEN $4::timestamptz END
               WHERE request_id = $1""",
            request_id,
            state.value,
            orjson.dumps(list(refusals)).decode(),
            checked_at,
        )

    async def set_state(
        self,
        request_id: uuid.UUID,
        state: RequestState,
        *,
        current: RequestState,
        answered_at: datetime | None = None,
    ) -> None:
        """Move the request from ``current`` to ``state`` (the database checks the move)."""
        moved = await self._conn.fetchval(
            """UPDATE legal.requests SET state = $3,
                   answered_at = coalesce($4::timestamptz, answered_at)
               WHERE request_id = $1 AND state = $2 RETURNING 1""",
            request_id,
            current.value,
            state.value,
            answered_at,
        )
        if moved is None:
            raise TransitionRefusedError(current, state)

    async def refuse(
        self,
        request_id: uuid.UUID,
        *,
        current: RequestState,
        refusals: Sequence[Mapping[str, str]],
        at: datetime,
    ) -> None:
        """An officer refuses an open request, with the reasons the authority will read."""
        moved = await self._conn.fetchval(
            """UPDATE legal.requests SET state = 'refused', refusals = $3, answered_at = $4
               WHERE request_id = $1 AND state = $2 RETURNING 1""",
            request_id,
            current.value,
            orjson.dumps(list(refusals)).decode(),
            at,
        )
        if moved is None:
            raise TransitionRefusedError(current, RequestState.REFUSED)

    async def record_refusal_explanation(
        self, request_id: uuid.UUID, officer: Officer, *, code: str, explanation: str
    ) -> None:
        """Keep the officer's explanation sealed (free text: it may name people)."""
        sealed = self._cipher.encrypt(
            explanation.encode(), FieldRef("refusal_explanations", "explanation", str(request_id))
        )
        await self._conn.execute(
            """INSERT INTO legal.refusal_explanations (request_id, officer_id, code,
                   explanation, key_id, refused_at)
               VALUES ($1, $2, $3, $4, $5, now())""",
            request_id,
            officer.officer_id,
            code,
            sealed.pack(),
            sealed.key_id,
        )

    async def refusal_explanation(self, request_id: uuid.UUID) -> str | None:
        """The officer's explanation of a refusal, opened; None when the checks refused."""
        sealed = await self._conn.fetchval(
            "SELECT explanation FROM legal.refusal_explanations WHERE request_id = $1",
            request_id,
        )
        if sealed is None:
            return None
        where = FieldRef("refusal_explanations", "explanation", str(request_id))
        return self._cipher.decrypt(Sealed.unpack(sealed), where).decode()

    async def expire_links(self) -> list[uuid.UUID]:
        """Requests whose package's link ran out untaken: now ``link_expired``."""
        rows = await self._conn.fetch(
            """UPDATE legal.requests r SET state = 'link_expired' FROM legal.packages p
               WHERE p.request_id = r.request_id AND r.state = 'package_ready'
                 AND p.downloaded_at IS NULL AND p.expires_at <= now()
               RETURNING r.request_id"""
        )
        return [r["request_id"] for r in rows]

    async def current_scope(self, request: LegalRequest) -> tuple[Scope, bool]:
        """The scope to approve: the narrowed one if an officer narrowed it; and whether so."""
        row = await self._conn.fetchrow(
            "SELECT categories, date_from, date_to FROM legal.narrowings WHERE request_id = $1",
            request.request_id,
        )
        if row is None:
            return requested_scope(request), False
        categories = frozenset(DataCategory(c) for c in row["categories"])
        return Scope(categories, row["date_from"], row["date_to"]), True

    async def record_narrowing(
        self, request_id: uuid.UUID, narrowing: Narrowing, *, automatic: bool = False
    ) -> None:
        """Keep the narrowed scope (a later narrowing replaces it; the audit chain keeps both).

        ``automatic``: narrowed by the checks (to what is still held), not by an officer.
        """
        reason = self._cipher.encrypt(
            narrowing.reason.encode(), FieldRef("narrowings", "reason", str(request_id))
        )
        after = narrowing.after
        await self._conn.execute(
            """INSERT INTO legal.narrowings (request_id, officer_id, categories, date_from,
                   date_to, reason, key_id, narrowed_at, automatic)
               VALUES ($1, $2, $3, $4, $5, $6, $7, now(), $8)
               ON CONFLICT (request_id) DO UPDATE SET officer_id = $2, categories = $3,
                   date_from = $4, date_to = $5, reason = $6, key_id = $7,
                   narrowed_at = now(), automatic = $8""",
            request_id,
            None if automatic else narrowing.officer_id,
            sorted(c.value for c in after.categories),
            after.date_from,
            after.date_to,
            reason.pack(),
            reason.key_id,
            automatic,
        )

    async def record_preparation(self, request_id: uuid.UUID, officer: Officer) -> bool:
        """``officer`` prepared it (their proof goes along); False if somebody already had."""
        done = await self._conn.fetchval(
            """INSERT INTO legal.approvals (request_id, prepared_by, prepared_at, preparer_proof)
               VALUES ($1, $2, now(), $3) ON CONFLICT DO NOTHING RETURNING 1""",
            request_id,
            officer.officer_id,
            officer.proof,
        )
        return done is not None

    async def preparer(self, request_id: uuid.UUID) -> str | None:
        """Who prepared the request."""
        found: str | None = await self._conn.fetchval(
            "SELECT prepared_by FROM legal.approvals WHERE request_id = $1", request_id
        )
        return found

    async def record_approval(
        self, request_id: uuid.UUID, officer: Officer, *, at: datetime
    ) -> None:
        """The second officer's approval (their proof goes along, checked, never kept)."""
        await self._conn.execute(
            """UPDATE legal.approvals SET approved_by = $2, approved_at = $3, approver_proof = $4
               WHERE request_id = $1""",
            request_id,
            officer.officer_id,
            at,
            officer.proof,
        )

    async def store_package(self, request_id: uuid.UUID, package: BuiltPackage) -> None:
        """Keep the package for its one-time download."""
        await self._conn.execute(
            """INSERT INTO legal.packages (request_id, blob, built_at, package_sha256, link_hash,
                   expires_at) VALUES ($1, $2, $3, $4, $5, $6)""",
            request_id,
            package.blob,
            package.built_at,
            package.package_sha256,
            package.link_hash,
            package.expires_at,
        )

    async def package_at_link(self, link_hash: bytes) -> PackageAtLink | None:
        """The package behind a link, locked until the transaction ends."""
        row = await self._conn.fetchrow(
            """SELECT p.request_id, p.blob, p.expires_at, p.downloaded_at, r.authority_id
               FROM legal.packages p JOIN legal.requests r USING (request_id)
               WHERE p.link_hash = $1 FOR UPDATE OF p""",
            link_hash,
        )
        if row is None:
            return None
        return PackageAtLink(
            request_id=row["request_id"],
            authority_id=row["authority_id"],
            blob=bytes(row["blob"]),
            expires_at=row["expires_at"],
            downloaded_at=row["downloaded_at"],
        )

    async def mark_downloaded(self, request_id: uuid.UUID) -> None:
        """Erase the delivered package (the request then moves to ``downloaded``)."""
        await self._conn.execute(
            """UPDATE legal.packages SET downloads = downloads + 1, downloaded_at = now(),
                   blob = ''::bytea WHERE request_id = $1""",
            request_id,
        )

    async def pending(self) -> list[dict[str, Any]]:
        """Requests accepted by the checks and not yet approved, by urgency.

        Emergencies the law provides for first (``core.deadlines.EMERGENCY_INSTRUMENTS``),
        then by deadline.
        """
        rows = await self._conn.fetch(
            """SELECT r.request_id, r.authority_id, r.instrument,
                      r.emergency AND r.instrument = ANY($2::text[]) AS emergency,
                      r.received_at, r.due_at, r.state, a.prepared_by,
                      n.request_id IS NOT NULL AS narrowed
               FROM legal.requests r LEFT JOIN legal.approvals a USING (request_id)
               LEFT JOIN legal.narrowings n USING (request_id)
               WHERE r.state = ANY($1::text[])
               ORDER BY 4 DESC, r.due_at NULLS LAST, r.received_at""",
            sorted(OPEN),
            sorted(EMERGENCY_INSTRUMENTS),
        )
        return [dict(r) for r in rows]

    async def status(self, request_id: uuid.UUID) -> dict[str, Any] | None:
        """What the authority may read of its request: state, times, refusals, package."""
        row = await self._conn.fetchrow(
            """SELECT r.authority_id, r.state, r.refusals, r.received_at, r.checked_at,
                      r.due_at, r.deadline_article, r.answered_at,
                      p.package_sha256, p.expires_at, p.downloaded_at
               FROM legal.requests r LEFT JOIN legal.packages p USING (request_id)
               WHERE r.request_id = $1""",
            request_id,
        )
        if row is None:
            return None
        return dict(row) | {"explanation": await self.refusal_explanation(request_id)}

    async def seconds_to_answer(self, request_id: uuid.UUID) -> float | None:
        """From receipt to answer, once answered."""
        waited = await self._conn.fetchval(
            """SELECT extract(epoch FROM answered_at - received_at)
               FROM legal.requests WHERE request_id = $1""",
            request_id,
        )
        return None if waited is None else float(waited)
