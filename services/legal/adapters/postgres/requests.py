"""Requests as the legal service keeps them: the request, its document and any narrowing, sealed.

A request's target may be a phone number and its document names people, and an officer's
reason for narrowing is free text: all three are sealed with the field cipher (AES-256-GCM,
bound to their row) and move to a new key with ``crible legal rotate-key``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from services.legal.core.deadlines import Deadline
from services.legal.core.fieldcrypt import FieldCipher, FieldRef, Sealed
from services.legal.core.model import Authority, AuthorityKind, Scope
from services.legal.core.narrowing import Narrowing
from services.legal.core.rules import (
    Accepted,
    Refused,
    RetentionPolicy,
    check_request,
    requested_scope,
)
from shared.db import Connection
from shared.events.legal import DataCategory, LegalRequest


@dataclass(frozen=True, slots=True)
class StoredRequest:
    """A request opened from ``legal.requests``, with its state."""

    request: LegalRequest
    state: str
    refusals: list[dict[str, str]]


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


async def check_stored(
    conn: Connection,
    request: LegalRequest,
    *,
    retention: RetentionPolicy,
    scope: Scope | None = None,
) -> Accepted | Refused:
    """``check_request`` on a stored request, with its authority as registered now."""
    row = await conn.fetchrow(
        "SELECT * FROM legal.authorities WHERE authority_id = $1", request.authority_id
    )
    return check_request(
        request,
        authority=None if row is None else authority_from_row(row),
        submitted_by=request.authority_id,
        retention=retention,
        scope=scope,
    )


async def store_received(
    conn: Connection,
    request: LegalRequest,
    *,
    document: bytes,
    media_type: str,
    cipher: FieldCipher,
    deadline: Deadline,
) -> None:
    """Keep a verified request and its document, sealed, in state ``received``."""
    rid = str(request.request_id)
    body = cipher.encrypt(request.model_dump_json().encode(), FieldRef("requests", "body", rid))
    await conn.execute(
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
    sealed = cipher.encrypt(document, FieldRef("documents", "blob", rid))
    await conn.execute(
        """INSERT INTO legal.documents (request_id, sha256, media_type, size, blob, key_id)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        request.request_id,
        request.document_sha256,
        media_type,
        len(document),
        sealed.pack(),
        sealed.key_id,
    )


async def load(
    conn: Connection, request_id: uuid.UUID, cipher: FieldCipher, *, lock: bool = False
) -> StoredRequest | None:
    """The request opened, or None; ``lock`` holds its row until the transaction ends."""
    row = await conn.fetchrow(
        "SELECT body, state, refusals FROM legal.requests WHERE request_id = $1"
        + (" FOR UPDATE" if lock else ""),
        request_id,
    )
    if row is None:
        return None
    plain = cipher.decrypt(
        Sealed.unpack(row["body"]), FieldRef("requests", "body", str(request_id))
    )
    return StoredRequest(
        LegalRequest.model_validate_json(plain), row["state"], orjson.loads(row["refusals"])
    )


async def document(
    conn: Connection, request_id: uuid.UUID, cipher: FieldCipher
) -> tuple[bytes, str] | None:
    """The request's legal document and its media type, opened."""
    row = await conn.fetchrow(
        "SELECT blob, media_type FROM legal.documents WHERE request_id = $1", request_id
    )
    if row is None:
        return None
    where = FieldRef("documents", "blob", str(request_id))
    return cipher.decrypt(Sealed.unpack(row["blob"]), where), row["media_type"]


async def record_narrowing(
    conn: Connection, request_id: uuid.UUID, narrowing: Narrowing, cipher: FieldCipher
) -> None:
    """Keep the narrowed scope (a later narrowing replaces it; the audit chain keeps both)."""
    reason = cipher.encrypt(
        narrowing.reason.encode(), FieldRef("narrowings", "reason", str(request_id))
    )
    after = narrowing.after
    await conn.execute(
        """INSERT INTO legal.narrowings (request_id, officer_id, categories, date_from,
               date_to, reason, key_id, narrowed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, now())
           ON CONFLICT (request_id) DO UPDATE SET officer_id = $2, categories = $3,
               date_from = $4, date_to = $5, reason = $6, key_id = $7, narrowed_at = now()""",
        request_id,
        narrowing.officer_id,
        sorted(c.value for c in after.categories),
        after.date_from,
        after.date_to,
        reason.pack(),
        reason.key_id,
    )


async def current_scope(conn: Connection, request: LegalRequest) -> tuple[Scope, bool]:
    """The scope to approve: the narrowed one if an officer narrowed it; and whether so."""
    row = await conn.fetchrow(
        "SELECT categories, date_from, date_to FROM legal.narrowings WHERE request_id = $1",
        request.request_id,
    )
    if row is None:
        return requested_scope(request), False
    categories = frozenset(DataCategory(c) for c in row["categories"])
    return Scope(categories, _aware(row["date_from"]), _aware(row["date_to"])), True


def _aware(moment: datetime) -> datetime:
    # asyncpg returns timestamptz in UTC, aware; kept explicit for the scope's invariant.
    if moment.utcoffset() is None:
        raise ValueError("timestamptz came back without a time zone")
    return moment
