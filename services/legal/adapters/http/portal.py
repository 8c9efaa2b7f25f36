"""The authority portal (FastAPI), served by ``crible run legal`` on ``CRIBLE_HTTP_PORT``.

An authority registered with ``crible legal authorities add`` submits a request with its
bearer token and an Ed25519 signature of the body, a timestamp and a nonce
(``core/signatures.py``: headers ``X-Crible-Timestamp``, ``X-Crible-Nonce``,
``X-Crible-Signature``). The body carries the signed legal document (base64) beside its
SHA-256. The portal refuses a missing or wrong token (401), a missing, malformed, wrong,
expired or replayed signature (401, with its code), and a body that is not a request or
whose document does not match its hash (422); every refusal and every step is written to
the hash-chained audit log (``handlers/submission.py``). Emergency requests go through
exactly the same verification.

The authority follows its request's state, and fetches its package through a one-time link
that expires (``downloads.py``).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Self

import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from services.legal.adapters.http.console.routes import mount_console
from services.legal.adapters.http.downloads import download_routes
from services.legal.adapters.http.officers import mount_officer_routes
from services.legal.adapters.http.principals import bearer, require_authority
from services.legal.adapters.postgres.principals import PostgresNonces, PostgresPrincipals
from services.legal.adapters.postgres.units import Units
from services.legal.core.links import package_link
from services.legal.core.signatures import Submission, Verified
from services.legal.handlers import submission as submissions
from services.legal.handlers.submission import MAX_DOCUMENT, DocumentError, decode_document
from shared.events.legal import (
    AuthorisationKind,
    DataCategory,
    EmergencyGround,
    Instrument,
    LegalRequest,
    LegalText,
    Official,
    Sha256Hex,
    Target,
)
from shared.runtime import ServiceContext

#: Largest request body: the document in base64 (4/3 of it) and the request's fields.
MAX_BODY = MAX_DOCUMENT * 4 // 3 + 64 * 1024

_FIELD = re.compile(r"[a-z_]{1,40}(\.[a-z0-9_]{1,40}){0,3}")


class RequestBody(BaseModel):
    """What an authority submits: the request, without the ids the portal assigns."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    instrument: Instrument
    official: Official
    authorised_by: AuthorisationKind | None = None
    case_reference: Annotated[LegalText, Field(min_length=1, max_length=128)]
    offence: Annotated[LegalText, Field(min_length=1, max_length=500)]
    max_penalty_years: Annotated[float, Field(ge=0, le=100)]
    committed_online: bool
    emergency: bool
    emergency_ground: EmergencyGround | None = Field(
        default=None,
        description="Required with emergency: what the emergency threatens (an imminent "
        "threat to life, physical integrity or safety, or to a critical infrastructure: "
        "Regulation (EU) 2023/1543 art. 3(18)).",
    )
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

    @model_validator(mode="after")
    def _emergency_states_its_ground(self) -> Self:
        if self.emergency and self.emergency_ground is None:
            raise PydanticCustomError(
                "emergency_ground_missing", "an emergency states its ground", {}
            )
        if not self.emergency and self.emergency_ground is not None:
            raise PydanticCustomError(
                "emergency_ground_without_emergency", "a ground is for an emergency only", {}
            )
        return self


def _status(request_id: uuid.UUID, row: dict[str, Any], units: Units) -> dict[str, Any]:
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
        # An officer's refusal comes with their explanation, written for the authority.
        "explanation": row.get("explanation"),
    }
    if row["package_sha256"] is not None:
        usable = row["downloaded_at"] is None and row["expires_at"] > datetime.now(UTC)
        link = package_link(units.keys.blind_index(), request_id, row["package_sha256"])
        answer["package"] = {
            "sha256": row["package_sha256"],
            "expires_at": row["expires_at"].isoformat(),
            "downloaded_at": row["downloaded_at"] and row["downloaded_at"].isoformat(),
            "url": link if usable else None,
        }
    return answer


def _invalid_fields(error: ValidationError) -> list[str]:
    # Names come from the sender (an unknown key is one): odd ones are not echoed. A rule
    # across fields (an emergency without its ground) names the field it is about.
    named = {
        ".".join(map(str, e["loc"])) or _WHOLE_BODY.get(e["type"], "request")
        for e in error.errors()
    }
    return sorted(f if _FIELD.fullmatch(f) else "unexpected_field" for f in named)


_WHOLE_BODY = {
    "emergency_ground_missing": "emergency_ground",
    "emergency_ground_without_emergency": "emergency_ground",
}


def _is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json"


def build_portal(ctx: ServiceContext) -> FastAPI:
    """The portal over the service's pool and outbox."""
    app = FastAPI(title="Crible authority portal", version="1")
    pool, outbox = ctx.pool, ctx.outbox
    if pool is None or outbox is None:
        raise RuntimeError("the portal needs the database")
    units = Units(pool, outbox)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's default answer quotes what was sent; a legal text may hold anything.
        named = {".".join(map(str, e["loc"][1:])) for e in error.errors()}
        fields = sorted(f if _FIELD.fullmatch(f) else "unexpected_field" for f in named)
        return JSONResponse({"detail": "not valid", "fields": fields}, status_code=422)

    @app.post("/v1/requests", status_code=202)
    async def submit(request: Request) -> Any:
        """Submit a signed request with its document; it is checked against the law next.

        The answer gives the request's id at once; ``GET /v1/requests/{id}`` follows it.
        """
        if not _is_json(request):
            return JSONResponse(
                {"detail": "a request is sent as application/json", "code": "not_json"},
                status_code=415,
            )
        body = await request.body()
        if len(body) > MAX_BODY:
            raise HTTPException(413, f"a request body is at most {MAX_BODY} bytes")
        submission = Submission(
            method=request.method,
            path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            body=body,
            timestamp=request.headers.get("x-crible-timestamp"),
            nonce=request.headers.get("x-crible-nonce"),
            signature=request.headers.get("x-crible-signature"),
        )
        now = datetime.now(UTC)
        async with units.transaction() as (legal, conn):
            token, principals = bearer(request), PostgresPrincipals(conn)
            authority = None if token is None else await principals.authority(token)
            if authority is None and token is not None and await principals.officer(token):
                # A valid token of the wrong kind: forbidden here, as on every other route.
                await submissions.refuse_principal(legal)
                return JSONResponse(
                    {"detail": "this route is for authorities", "code": "not_an_authority"},
                    status_code=403,
                )
            verified = await submissions.verify(
                legal, submission, authority=authority, nonces=PostgresNonces(conn), now=now
            )
            if not isinstance(verified, Verified):
                return JSONResponse(
                    {"detail": verified.detail, "code": verified.code.value}, status_code=401
                )
            assert authority is not None  # noqa: S101 - verified implies known
            request_id = str(uuid.uuid4())
            await submissions.signature_verified(
                legal, authority_id=authority.authority_id, request_id=request_id, body=body
            )
            try:
                asked = RequestBody.model_validate_json(body)
                legal_request = LegalRequest(
                    schema_version=1,
                    request_id=uuid.UUID(request_id),
                    authority_id=authority.authority_id,
                    received_at=now,
                    **asked.model_dump(exclude={"document", "document_media_type"}),
                )
                document = decode_document(
                    asked.document,
                    sha256=asked.document_sha256,
                    media_type=asked.document_media_type,
                )
            except ValidationError as error:
                fields = _invalid_fields(error)
                await submissions.refuse_invalid(legal, request_id=request_id, fields=fields)
                return JSONResponse(
                    {"detail": "not a valid request", "fields": fields}, status_code=422
                )
            except DocumentError as error:
                await submissions.refuse_invalid(legal, request_id=request_id, fields=["document"])
                return JSONResponse({"detail": str(error), "fields": ["document"]}, status_code=422)
            await submissions.receive(
                legal,
                legal_request,
                document=document,
                media_type=asked.document_media_type,
                policy=units.policy,
            )
        return {
            "request_id": request_id,
            "state": "received",
            "status_url": f"/v1/requests/{request_id}",
        }

    @app.get("/v1/requests/{request_id}")
    async def status(request_id: uuid.UUID, request: Request) -> Any:
        """A request's state, refusals and package link, for the authority that made it."""
        async with units.transaction() as (legal, conn):
            authority = await require_authority(conn, request)
            row = await legal.requests.status(request_id)
        if row is None:
            raise HTTPException(404, "no such request")
        if row["authority_id"] != authority:
            raise HTTPException(403, "this request was made by another authority")
        return _status(request_id, row, units)

    mount_officer_routes(app, units)
    download_routes(app, units)
    mount_console(app, units)
    return app
