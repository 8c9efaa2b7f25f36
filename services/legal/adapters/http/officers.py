"""The portal's routes for legal officers: read, narrow, prepare, approve; and verify the chain.

Officers authenticate with bearer tokens (``crible legal officers add``), stored hashed;
any legal role (``legal_officer``, ``legal_admin``) reviews and approves, only
``legal_admin`` verifies the audit chain over HTTP. An authority's token gets 403 here. A
refused approval is recorded on the audit chain after its transaction rolled back, so the
refusal itself is never lost.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import asyncpg
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.legal import metrics
from services.legal.adapters.http.principals import require_officer
from services.legal.adapters.postgres import audit_log as auditlog
from services.legal.adapters.postgres.requests import current_scope, document, load
from services.legal.config import LegalSettings
from services.legal.core.approval import Officer, OfficerRole
from services.legal.core.audit import AuditStep
from services.legal.handlers import disclosure, preservation
from services.legal.handlers.disclosure import DisclosureRefusedError
from services.legal.handlers.preservation import PreservationError
from shared.events.legal import DataCategory
from shared.runtime.emit import Emitter, Transaction

#: Refusals of the two-person rule, recorded on the chain.
_AUDITED = frozenset({"same_person", "not_an_officer", "not_prepared"})

Action = Callable[[Transaction, uuid.UUID, Officer, LegalSettings], Awaitable[Any]]


class NarrowBody(BaseModel):
    """What an officer keeps of an over-broad request, and why."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=3, max_length=2000)]
    categories: list[DataCategory] | None = Field(default=None, min_length=1, max_length=3)
    date_from: AwareDatetime | None = None
    date_to: AwareDatetime | None = None


def officer_routes(app: FastAPI, pool: asyncpg.Pool, emitter: Emitter) -> None:
    """Mount the officers' routes on the portal."""

    async def step(request: Request, request_id: uuid.UUID, action: Action) -> Any:
        officer: Officer | None = None
        try:
            # A refusal leaves the transaction with the exception: nothing of it commits.
            async with emitter.transaction() as tx:
                officer = await require_officer(tx.conn, request)
                result = await action(tx, request_id, officer, LegalSettings())
        except DisclosureRefusedError as error:
            refused = error
        else:
            return {"request_id": str(request_id), "result": result}
        assert officer is not None  # noqa: S101 - refusals come after authentication
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

    @app.post("/v1/officer/requests/{request_id}/narrow")
    async def narrow(request_id: uuid.UUID, body: NarrowBody, request: Request) -> Any:
        """Keep fewer categories or a shorter period of an over-broad request, with a reason."""

        async def action(
            tx: Transaction, rid: uuid.UUID, officer: Officer, settings: LegalSettings
        ) -> Any:
            return await disclosure.narrow_request(
                tx,
                rid,
                officer,
                settings,
                reason=body.reason,
                categories=body.categories,
                date_from=body.date_from,
                date_to=body.date_to,
            )

        return await step(request, request_id, action)

    @app.post("/v1/officer/requests/{request_id}/approve")
    async def approve(request_id: uuid.UUID, request: Request) -> Any:
        """A second, different officer approves: the package is built for the authority.

        For a preservation order, approval freezes the account's data instead.
        """
        answer = await step(request, request_id, disclosure.approve)
        if isinstance(answer, dict):
            async with pool.acquire() as conn:
                waited = await conn.fetchval(
                    """SELECT extract(epoch FROM answered_at - received_at)
                       FROM legal.requests WHERE request_id = $1""",
                    request_id,
                )
            if waited is not None:
                metrics.TIME_TO_COMPLY.observe(float(waited))
        return answer


def preservation_routes(app: FastAPI, pool: asyncpg.Pool) -> None:
    """Officers extend or lift a running preservation order (audited)."""

    @app.post("/v1/officer/requests/{request_id}/extend")
    async def extend(request_id: uuid.UUID, request: Request) -> Any:
        """Extend a European Preservation Order once by 30 days (Regulation art. 11(1))."""
        return await _preservation_step(request, request_id, preservation.extend)

    @app.post("/v1/officer/requests/{request_id}/lift")
    async def lift(request_id: uuid.UUID, request: Request) -> Any:
        """End a preservation order the authority withdrew: retention applies again."""
        return await _preservation_step(request, request_id, preservation.lift)

    async def _preservation_step(
        request: Request,
        request_id: uuid.UUID,
        action: Callable[[Any, uuid.UUID, Officer], Awaitable[Any]],
    ) -> Any:
        try:
            async with pool.acquire() as conn, conn.transaction():
                officer = await require_officer(conn, request)
                result = await action(conn, request_id, officer)
        except PreservationError as error:
            return JSONResponse({"detail": str(error), "code": error.code}, status_code=409)
        ends = result.isoformat() if isinstance(result, datetime) else None
        return {"request_id": str(request_id), "ends_at": ends}


def officer_views(app: FastAPI, pool: asyncpg.Pool) -> None:
    """What officers read: the pending requests, one request, its document, the chain."""

    @app.get("/v1/officer/requests")
    async def pending(request: Request) -> Any:
        """Requests accepted by the checks and not yet approved, emergencies first."""
        async with pool.acquire() as conn:
            await require_officer(conn, request)
            rows = await conn.fetch(
                """SELECT r.request_id, r.authority_id, r.instrument, r.emergency,
                          r.received_at, a.prepared_by, n.request_id IS NOT NULL AS narrowed
                   FROM legal.requests r LEFT JOIN legal.approvals a USING (request_id)
                   LEFT JOIN legal.narrowings n USING (request_id)
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

    @app.get("/v1/officer/requests/{request_id}")
    async def details(request_id: uuid.UUID, request: Request) -> Any:
        """The request as the authority made it, its state and the scope to be approved."""
        async with pool.acquire() as conn:
            await require_officer(conn, request)
            stored = await load(conn, request_id, LegalSettings().cipher())
            if stored is None:
                raise HTTPException(404, "no such request")
            scope, narrowed = await current_scope(conn, stored.request)
        return {
            "request": stored.request.model_dump(mode="json"),
            "state": stored.state,
            "refusals": stored.refusals,
            "scope": {
                "categories": sorted(c.value for c in scope.categories),
                "date_from": scope.date_from.isoformat(),
                "date_to": scope.date_to.isoformat(),
                "narrowed": narrowed,
            },
        }

    @app.get("/v1/officer/requests/{request_id}/document")
    async def legal_document(request_id: uuid.UUID, request: Request) -> Response:
        """The signed legal document uploaded with the request (each reading audited)."""
        async with pool.acquire() as conn, conn.transaction():
            officer = await require_officer(conn, request)
            found = await document(conn, request_id, LegalSettings().cipher())
            if found is None:
                raise HTTPException(404, "no document for this request")
            await auditlog.record(
                conn, AuditStep.DOCUMENT_READ, actor=officer.officer_id, request_id=str(request_id)
            )
        content, media_type = found
        return Response(content, media_type=media_type)

    @app.get("/v1/officer/audit/verify")
    async def verify_chain(request: Request) -> Any:
        """Recompute the audit chain (legal_admin only); names the first broken entry."""
        async with pool.acquire() as conn:
            await require_officer(conn, request, OfficerRole.LEGAL_ADMIN)
            verdict = await auditlog.verify(conn)
        return {
            "intact": verdict.intact,
            "entries_checked": verdict.entries_checked,
            "broken_at": verdict.broken_at,
            "kind": verdict.kind and verdict.kind.value,
            "detail": verdict.detail,
        }


def mount_officer_routes(app: FastAPI, pool: asyncpg.Pool, emitter: Emitter) -> None:
    """Every route for legal officers."""
    officer_routes(app, pool, emitter)
    officer_views(app, pool)
    preservation_routes(app, pool)
