"""The portal's routes for legal officers (prepare, approve) and the authority's download.

Officers and authorities authenticate with bearer tokens (``crible legal officers add``,
``crible legal authorities add``), stored hashed. A refused approval is recorded on the
audit chain after its transaction rolled back, so the refusal itself is never lost.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from services.legal import auditlog, disclosure
from services.legal.approval import Officer, OfficerRole
from services.legal.audit import AuditStep
from services.legal.config import LegalSettings
from services.legal.disclosure import DisclosureRefusedError
from shared.db import Connection

#: Refusals of the two-person rule, recorded on the chain.
_AUDITED = frozenset({"same_person", "not_an_officer", "not_prepared"})


def token_hash(token: str) -> bytes:
    """What is stored of a portal token (authorities' and officers')."""
    return hashlib.sha256(token.encode()).digest()


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


async def authority_of(conn: Connection, request: Request) -> str | None:
    """The active authority whose bearer token the request carries."""
    token = _bearer(request)
    if token is None:
        return None
    found: str | None = await conn.fetchval(
        "SELECT authority_id FROM legal.authorities WHERE token_hash = $1 AND active",
        token_hash(token),
    )
    return found


async def officer_of(conn: Connection, request: Request) -> Officer | None:
    """The active legal officer whose bearer token the request carries."""
    token = _bearer(request)
    if token is None:
        return None
    row = await conn.fetchrow(
        "SELECT officer_id, roles FROM legal.officers WHERE token_hash = $1 AND active",
        token_hash(token),
    )
    if row is None:
        return None
    return Officer(row["officer_id"], frozenset(OfficerRole(r) for r in row["roles"]))


def officer_routes(app: FastAPI, pool: Any) -> None:
    """Legal officers prepare and approve; the authority downloads its package."""

    async def step(request: Request, request_id: uuid.UUID, action: Any) -> Any:
        async with pool.acquire() as conn, conn.transaction():
            officer = await officer_of(conn, request)
            if officer is None:
                raise HTTPException(401, "a legal officer's bearer token is required")
            try:
                result = await action(conn, request_id, officer, LegalSettings())
            except DisclosureRefusedError as error:
                refused = error
            else:
                return {"request_id": str(request_id), "result": result}
        if refused.code in _AUDITED:
            async with pool.acquire() as conn, conn.transaction():
                await auditlog.record(
                    conn,
                    AuditStep.APPROVAL_REFUSED,
                    actor=officer.officer_id,
                    request_id=str(request_id),
                    details={"code": refused.code},
                )
        return JSONResponse(
            {"detail": refused.message, "code": refused.code}, status_code=refused.status
        )

    @app.post("/v1/officer/requests/{request_id}/prepare")
    async def prepare(request_id: uuid.UUID, request: Request) -> Any:
        """A first legal officer has read the request and its document, and prepares it."""
        return await step(request, request_id, disclosure.prepare)

    @app.post("/v1/officer/requests/{request_id}/approve")
    async def approve(request_id: uuid.UUID, request: Request) -> Any:
        """A second, different officer approves: the package is built for the authority."""
        return await step(request, request_id, disclosure.approve)

    @app.get("/v1/officer/requests")
    async def pending(request: Request) -> Any:
        """Requests accepted by the checks and not yet approved, emergencies first."""
        async with pool.acquire() as conn:
            if await officer_of(conn, request) is None:
                raise HTTPException(401, "a legal officer's bearer token is required")
            rows = await conn.fetch(
                """SELECT r.request_id, r.authority_id, r.instrument, r.emergency,
                          r.received_at, a.prepared_by
                   FROM legal.requests r LEFT JOIN legal.approvals a USING (request_id)
                   WHERE r.state = 'accepted' ORDER BY r.emergency DESC, r.received_at"""
            )
        return {
            "requests": [
                {
                    **dict(r),
                    "request_id": str(r["request_id"]),
                    "received_at": r["received_at"].isoformat(),
                }
                for r in rows
            ]
        }

    @app.get("/v1/requests/{request_id}/package")
    async def download(request_id: uuid.UUID, request: Request) -> Response:
        """The approved package, once, for the authority that made the request (audited)."""
        async with pool.acquire() as conn, conn.transaction():
            authority = await authority_of(conn, request)
            if authority is None:
                raise HTTPException(401, "an authority's bearer token is required")
            row = await conn.fetchrow(
                """SELECT p.blob, p.downloads FROM legal.packages p
                   JOIN legal.requests r USING (request_id)
                   WHERE p.request_id = $1 AND r.authority_id = $2 FOR UPDATE OF p""",
                request_id,
                authority,
            )
            # Once: a second download (a leaked link, a replayed request) gets nothing.
            ready = row is not None and row["downloads"] == 0
            step = AuditStep.DOWNLOADED if ready else AuditStep.DOWNLOAD_REFUSED
            await auditlog.record(
                conn,
                step,
                actor=authority,
                request_id=str(request_id),
                details=None if ready or row is None else {"code": "already_downloaded"},
            )
            if ready:
                await conn.execute(
                    "UPDATE legal.packages SET downloads = downloads + 1 WHERE request_id = $1",
                    request_id,
                )
        if row is None:
            raise HTTPException(404, "no package for this request of yours")
        if not ready:
            raise HTTPException(410, "the package was already downloaded")
        return Response(bytes(row["blob"]), media_type="application/octet-stream")
