"""The authority portal (FastAPI), served by ``crible run legal`` on ``CRIBLE_HTTP_PORT``.

An authority registered with ``crible legal authorities add`` submits a request with its
bearer token and an Ed25519 signature of the body, a timestamp and a nonce
(``signatures.py``: headers ``X-Crible-Timestamp``, ``X-Crible-Nonce``,
``X-Crible-Signature``). The portal refuses a missing or wrong token (401), a missing,
malformed, wrong, expired or replayed signature (401, with its code), and a body that is
not a request (422); every refusal and every step is written to the hash-chained audit log.
An authentic request is checked against the law (``rules.check_request``: CPP 60-1, 77-1-1,
99-3, 60-2, Regulation 2023/1543) and recorded as accepted, for two legal officers to
approve, or refused with the article of each refusal. Emergency requests go through exactly
the same verification.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from services.legal import auditlog
from services.legal.audit import AuditStep
from services.legal.config import LegalSettings
from services.legal.fieldcrypt import FieldCipher, FieldRef
from services.legal.model import Authority, AuthorityKind, Refusal
from services.legal.officers import authority_of, officer_routes, token_hash
from services.legal.rules import Accepted, RetentionPolicy, check_request
from services.legal.signatures import Submission, Verified, verify_submission
from shared.db import Connection
from shared.events.legal import (
    AuthorisationKind,
    DataCategory,
    Instrument,
    LegalRequest,
    Official,
    Sha256Hex,
    Target,
)
from shared.runtime import ServiceContext

#: Largest request body accepted (a request is a few hundred bytes; its document is hashed).
MAX_BODY = 64 * 1024


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
    non_disclosure_until: date | None = None


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


def _authority(row: Any) -> Authority:
    return Authority(
        authority_id=row["authority_id"],
        country=row["country"],
        kind=AuthorityKind(row["kind"]),
        active=row["active"],
        signing_key=bytes(row["signing_key"]),
        encryption_key=bytes(row["encryption_key"]),
    )


def _refusals(refusals: tuple[Refusal, ...]) -> list[dict[str, str]]:
    return [{"code": r.code.value, "article": r.article, "detail": r.detail} for r in refusals]


async def _store(
    conn: Connection,
    legal: LegalRequest,
    cipher: FieldCipher,
    *,
    accepted: bool,
    refusals: list[dict[str, str]],
) -> None:
    """Record the request, sealed (its target may be a phone number)."""
    request_id = str(legal.request_id)
    sealed = cipher.encrypt(
        legal.model_dump_json().encode(), FieldRef("requests", "body", request_id)
    )
    await conn.execute(
        """INSERT INTO legal.requests (request_id, authority_id, instrument, emergency,
               state, refusals, body, key_id, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        legal.request_id,
        legal.authority_id,
        legal.instrument.value,
        legal.emergency,
        "accepted" if accepted else "refused",
        orjson.dumps(refusals).decode(),
        sealed.pack(),
        sealed.key_id,
        legal.received_at,
    )


def build_portal(ctx: ServiceContext) -> FastAPI:
    """The portal over the service's pool."""
    app = FastAPI(title="Crible authority portal", version="1")
    pool = ctx.pool
    if pool is None:
        raise RuntimeError("the portal needs the database")
    retention = RetentionPolicy()

    @functools.cache
    def cipher() -> FieldCipher:
        # Read on first use: a missing key already stopped the service at start (the
        # identity consumer loads them), and the OpenAPI export needs none.
        return LegalSettings().cipher()

    @app.post("/v1/requests", status_code=202)
    async def submit(request: Request) -> Any:
        """Submit a signed request; the answer says whether the law allows it, and why not."""
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
        async with pool.acquire() as conn, conn.transaction():
            row = None
            if scheme.lower() == "bearer" and token:
                row = await conn.fetchrow(
                    "SELECT * FROM legal.authorities WHERE token_hash = $1 AND active",
                    token_hash(token),
                )
            authority = None if row is None else _authority(row)
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
                    **asked.model_dump(),
                )
            except ValidationError as error:
                fields = sorted({".".join(map(str, e["loc"])) for e in error.errors()})
                await auditlog.record(
                    conn,
                    AuditStep.CHECKS_REFUSED,
                    actor="portal",
                    request_id=request_id,
                    details={"invalid_fields": ",".join(fields)[:500]},
                )
                return JSONResponse(
                    {"detail": "not a valid request", "fields": fields}, status_code=422
                )
            verdict = check_request(
                legal,
                authority=authority,
                submitted_by=authority.authority_id,
                retention=retention,
            )
            accepted = isinstance(verdict, Accepted)
            refusals = [] if isinstance(verdict, Accepted) else _refusals(verdict.refusals)
            await _store(conn, legal, cipher(), accepted=accepted, refusals=refusals)
            await auditlog.record(
                conn,
                AuditStep.CHECKS_PASSED if accepted else AuditStep.CHECKS_REFUSED,
                actor="portal",
                request_id=request_id,
                details={
                    "instrument": legal.instrument.value,
                    "emergency": legal.emergency,
                    "codes": ",".join(r["code"] for r in refusals) or None,
                },
            )
        return {
            "request_id": request_id,
            "state": "accepted" if accepted else "refused",
            "refusals": refusals,
        }

    @app.get("/v1/requests/{request_id}")
    async def status(request_id: uuid.UUID, request: Request) -> Any:
        """A request's state, for the authority that submitted it (bearer token)."""
        async with pool.acquire() as conn:
            authority = await authority_of(conn, request)
            if authority is None:
                raise HTTPException(401, "an authority's bearer token is required")
            row = await conn.fetchrow(
                """SELECT state, refusals, received_at FROM legal.requests
                   WHERE request_id = $1 AND authority_id = $2""",
                request_id,
                authority,
            )
        if row is None:
            raise HTTPException(404, "no such request of yours")
        return {
            "request_id": str(request_id),
            "state": row["state"],
            "refusals": orjson.loads(row["refusals"]),
            "received_at": row["received_at"].isoformat(),
        }

    officer_routes(app, pool)
    return app
