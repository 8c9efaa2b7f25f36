"""The authority portal (FastAPI), served by ``crible run legal`` on ``CRIBLE_HTTP_PORT``.

An authority registered with ``crible legal authorities add`` submits a request with its
bearer token and an Ed25519 signature of the body, a timestamp and a nonce
(``signatures.py``: headers ``X-Crible-Timestamp``, ``X-Crible-Nonce``,
``X-Crible-Signature``). The body carries the signed legal document (base64) beside its
SHA-256. The portal refuses a missing or wrong token (401), a missing, malformed, wrong,
expired or replayed signature (401, with its code), and a body that is not a request or
whose document does not match its hash (422); every refusal and every step is written to
the hash-chained audit log. Emergency requests go through exactly the same verification.

A verified request is stored sealed with its document, in state ``received``, and a
:class:`RequestReceived` goes to ``legal.requests`` in the same transaction (the outbox):
the answer is immediate, and the legal service's ``requests`` consumer checks the request
against the law (``checking.py``). The authority follows its request's state, and fetches
its package through a one-time link that expires (``downloads.py``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from services.legal.adapters.http.downloads import download_routes, package_link
from services.legal.adapters.http.officers import mount_officer_routes
from services.legal.adapters.http.principals import require_authority, token_hash
from services.legal.adapters.postgres import audit_log as auditlog
from services.legal.adapters.postgres.requests import authority_from_row, store_received
from services.legal.config import LegalSettings
from services.legal.core.audit import AuditStep
from services.legal.core.deadlines import deadline_for
from services.legal.core.signatures import Submission, Verified, verify_submission
from shared.db import Connection
from shared.events.legal import (
    AuthorisationKind,
    DataCategory,
    Instrument,
    LegalRequest,
    Official,
    RequestReceived,
    Sha256Hex,
    Target,
)
from shared.publisher import Outbound
from shared.runtime import ServiceContext
from shared.topics import LEGAL_REQUESTS

#: The largest legal document accepted (a signed PDF of a few pages is well under it).
MAX_DOCUMENT = 4 * 1024 * 1024
#: Largest request body: the document in base64 (4/3 of it) and the request's fields.
MAX_BODY = MAX_DOCUMENT * 4 // 3 + 64 * 1024
#: Media types a legal document may have.
DOCUMENT_TYPES = frozenset({"application/pdf", "application/pkcs7-mime", "image/png", "image/jpeg"})


_FIELD = re.compile(r"[a-z_]{1,40}(\.[a-z0-9_]{1,40}){0,3}")


class RequestBody(BaseModel):
    """What an authority submits: the request, without the ids the portal assigns."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    instrument: Instrument
    official: Official
    authorised_by: AuthorisationKind | None = None
    case_reference: Annotated[str, Field(min_length=1, max_length=128)]
    offence: Annotated[str, Field(min_length=1, max_length=500)]
    max_penalty_years: Annotated[float, Field(ge=0, le=100)]
    committed_online: bool
    emergency: bool
    target: Target
    categories: Annotated[tuple[DataCategory, ...], Field(min_length=1, max_length=3)]
    date_from: AwareDatetime
    date_to: AwareDatetime
    document_sha256: Sha256Hex
    document: Annotated[str, Field(min_length=1, max_length=MAX_DOCUMENT * 4 // 3 + 4)] = Field(
        description="The signed legal document, base64; its SHA-256 must be document_sha256."
    )
    document_media_type: str = "application/pdf"
    non_disclosure_until: date | None = None


class DocumentError(ValueError):
    """The uploaded document cannot be kept as the request's document."""


def _document(asked: RequestBody) -> bytes:
    try:
        document = base64.b64decode(asked.document, validate=True)
    except (binascii.Error, ValueError):
        raise DocumentError("document is not base64") from None
    if len(document) > MAX_DOCUMENT:
        raise DocumentError(f"document is larger than {MAX_DOCUMENT} bytes")
    if hashlib.sha256(document).hexdigest() != asked.document_sha256:
        raise DocumentError("document does not match document_sha256")
    if asked.document_media_type not in DOCUMENT_TYPES:
        raise DocumentError(
            "document_media_type is not one of " + ", ".join(sorted(DOCUMENT_TYPES))
        )
    return document


class _Nonces:
    """``NonceStorePort`` over ``legal.nonces`` (expired ones are dropped as new ones come)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def claim(self, authority_id: str, nonce: str, *, expires_at: datetime) -> bool:
        await self._conn.execute("DELETE FROM legal.nonces WHERE expires_at < now()")
        claimed = await self._conn.fetchval(
            """INSERT INTO legal.nonces (authority_id, nonce, expires_at) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING RETURNING 1""",
            authority_id,
            nonce,
            expires_at,
        )
        return claimed is not None


async def _refuse_invalid(conn: Connection, request_id: str, fields: list[str]) -> JSONResponse:
    await auditlog.record(
        conn,
        AuditStep.CHECKS_REFUSED,
        actor="portal",
        request_id=request_id,
        details={"invalid_fields": " ".join(fields)[:200]},
    )
    return JSONResponse({"detail": "not a valid request", "fields": fields}, status_code=422)


def _received(legal: LegalRequest) -> Outbound:
    """The event that sends a stored request to its legal checks (ids only)."""
    received = RequestReceived(
        schema_version=1,
        request_id=legal.request_id,
        authority_id=legal.authority_id,
        instrument=legal.instrument,
        emergency=legal.emergency,
        document_sha256=legal.document_sha256,
        received_at=legal.received_at,
    )
    key = str(legal.request_id).encode()
    return Outbound(LEGAL_REQUESTS.name, key, received.model_dump_json().encode())


def _status(request_id: uuid.UUID, row: Any, settings: LegalSettings) -> dict[str, Any]:
    """What the authority sees of its request, with the package's link while it works."""
    answer: dict[str, Any] = {
        "request_id": str(request_id),
        "state": row["state"],
        "refusals": orjson.loads(row["refusals"]),
        "received_at": row["received_at"].isoformat(),
        "checked_at": row["checked_at"] and row["checked_at"].isoformat(),
        "due_at": row["due_at"] and row["due_at"].isoformat(),
        "deadline_article": row["deadline_article"],
        "answered_at": row["answered_at"] and row["answered_at"].isoformat(),
    }
    if row["package_sha256"] is not None:
        usable = row["downloaded_at"] is None and row["expires_at"] > datetime.now(UTC)
        answer["package"] = {
            "sha256": row["package_sha256"],
            "expires_at": row["expires_at"].isoformat(),
            "downloaded_at": row["downloaded_at"] and row["downloaded_at"].isoformat(),
            "url": package_link(settings, request_id, row["package_sha256"]) if usable else None,
        }
    return answer


def build_portal(ctx: ServiceContext) -> FastAPI:
    """The portal over the service's pool and outbox."""
    app = FastAPI(title="Crible authority portal", version="1")
    pool, emitter = ctx.pool, ctx.emitter
    if pool is None or emitter is None:
        raise RuntimeError("the portal needs the database")

    @functools.cache
    def settings() -> LegalSettings:
        # Read on first use: a missing key already stopped the service at start (its
        # consumers load them), and the OpenAPI export needs none.
        return LegalSettings()

    @app.post("/v1/requests", status_code=202)
    async def submit(request: Request) -> Any:
        """Submit a signed request with its document; it is checked against the law next.

        The answer gives the request's id at once; ``GET /v1/requests/{id}`` follows it.
        """
        body = await request.body()
        if len(body) > MAX_BODY:
            raise HTTPException(413, f"a request body is at most {MAX_BODY} bytes")
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        submission = Submission(
            method=request.method,
            path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            body=body,
            timestamp=request.headers.get("x-crible-timestamp"),
            nonce=request.headers.get("x-crible-nonce"),
            signature=request.headers.get("x-crible-signature"),
        )
        now = datetime.now(UTC)
        async with emitter.transaction() as tx:
            conn = tx.conn
            row = None
            if scheme.lower() == "bearer" and token:
                row = await conn.fetchrow(
                    "SELECT * FROM legal.authorities WHERE token_hash = $1 AND active",
                    token_hash(token),
                )
            authority = None if row is None else authority_from_row(row)
            verified = await verify_submission(
                submission, authority=authority, nonces=_Nonces(conn), now=now
            )
            if not isinstance(verified, Verified):
                await auditlog.record(
                    conn,
                    AuditStep.SIGNATURE_REFUSED,
                    actor=authority.authority_id if authority else "unknown",
                    details={"code": verified.code.value},
                )
                return JSONResponse(
                    {"detail": verified.detail, "code": verified.code.value}, status_code=401
                )
            assert authority is not None  # noqa: S101 - verified implies known
            request_id = str(uuid.uuid4())
            await auditlog.record(
                conn,
                AuditStep.SIGNATURE_VERIFIED,
                actor=authority.authority_id,
                request_id=request_id,
                details={"body_sha256": hashlib.sha256(body).hexdigest()},
            )
            try:
                asked = RequestBody.model_validate_json(body)
                legal = LegalRequest(
                    schema_version=1,
                    request_id=uuid.UUID(request_id),
                    authority_id=authority.authority_id,
                    received_at=now,
                    **asked.model_dump(exclude={"document", "document_media_type"}),
                )
                document = _document(asked)
            except ValidationError as error:
                # Names come from the sender (an unknown key is one): odd ones are not echoed.
                named = {".".join(map(str, e["loc"])) for e in error.errors()}
                fields = sorted(f if _FIELD.fullmatch(f) else "unexpected_field" for f in named)
                return await _refuse_invalid(conn, request_id, fields)
            except DocumentError as error:
                await _refuse_invalid(conn, request_id, ["document"])
                return JSONResponse({"detail": str(error), "fields": ["document"]}, status_code=422)
            await store_received(
                conn,
                legal,
                document=document,
                media_type=asked.document_media_type,
                cipher=settings().cipher(),
                deadline=deadline_for(legal, settings().deadlines()),
            )
            await auditlog.record(
                conn,
                AuditStep.RECEIVED,
                actor="portal",
                request_id=request_id,
                details={
                    "instrument": legal.instrument.value,
                    "emergency": legal.emergency,
                    "document_sha256": legal.document_sha256,
                },
            )
            tx.emit(_received(legal))
        return {
            "request_id": request_id,
            "state": "received",
            "status_url": f"/v1/requests/{request_id}",
        }

    @app.get("/v1/requests/{request_id}")
    async def status(request_id: uuid.UUID, request: Request) -> Any:
        """A request's state, refusals and package link, for the authority that made it."""
        async with pool.acquire() as conn:
            authority = await require_authority(conn, request)
            row = await conn.fetchrow(
                """SELECT r.authority_id, r.state, r.refusals, r.received_at, r.checked_at,
                          r.due_at, r.deadline_article, r.answered_at,
                          p.package_sha256, p.expires_at, p.downloaded_at
                   FROM legal.requests r LEFT JOIN legal.packages p USING (request_id)
                   WHERE r.request_id = $1""",
                request_id,
            )
        if row is None:
            raise HTTPException(404, "no such request")
        if row["authority_id"] != authority:
            raise HTTPException(403, "this request was made by another authority")
        return _status(request_id, row, settings())

    mount_officer_routes(app, pool, emitter)
    download_routes(app, emitter)
    return app
