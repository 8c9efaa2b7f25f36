"""The portal's routes for legal officers: read, narrow, prepare, approve, refuse; verify the chain.

Officers authenticate with bearer tokens (``crible legal officers add``), stored hashed;
any legal role (``legal_officer``, ``legal_admin``) reviews and approves, only
``legal_admin`` verifies the audit chain over HTTP. An authority's token gets 403 here. The
handlers raise domain errors (``core.errors``); this module turns them into statuses. A
refused approval is recorded on the audit chain after its transaction rolled back, so the
refusal itself is never lost.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.legal.adapters.http.chain import verify_and_record
from services.legal.adapters.http.principals import require_officer
from services.legal.adapters.http.steps import Action, count_answer, take_step
from services.legal.adapters.postgres.units import Units
from services.legal.core.approval import Officer, OfficerRole
from services.legal.core.audit import AuditStep
from services.legal.core.errors import (
    InvalidStepError,
    LegalError,
    NotAllowedError,
    StepConflictError,
    UnknownRequestError,
)
from services.legal.handlers import disclosure, preservation
from services.legal.handlers.refusal import MAX_EXPLANATION, refuse_request
from services.legal.ports import Legal
from shared.db import Connection
from shared.events.legal import DataCategory, LegalText

_STATUS: dict[type[LegalError], int] = {
    UnknownRequestError: 404,
    StepConflictError: 409,
    InvalidStepError: 422,
    NotAllowedError: 403,
}


def refusal(error: LegalError) -> JSONResponse:
    """A domain error as the HTTP answer: its status, code and message."""
    return JSONResponse(
        {"detail": error.message, "code": error.code}, status_code=_STATUS[type(error)]
    )


class RefuseBody(BaseModel):
    """An officer's refusal: a code officers may give (``core/refusals.py``) and why."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=64)
    explanation: Annotated[LegalText, Field(min_length=3, max_length=MAX_EXPLANATION)]


class NarrowBody(BaseModel):
    """What an officer keeps of an over-broad request, and why."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[LegalText, Field(min_length=3, max_length=2000)]
    categories: list[DataCategory] | None = Field(default=None, min_length=1, max_length=3)
    date_from: AwareDatetime | None = None
    date_to: AwareDatetime | None = None


def officer_routes(app: FastAPI, units: Units) -> None:
    """Mount the officers' steps on the portal."""
    _disclosure_steps(app, units)
    _preservation_steps(app, units)


async def _answer(units: Units, request: Request, *, request_id: uuid.UUID, action: Action) -> Any:
    """Take one step as the officer the request authenticates: its result, or its refusal."""

    async def authenticate(conn: Connection) -> Officer:
        return await require_officer(conn, request)

    taken = await take_step(units, request_id, action, authenticate=authenticate)
    if taken.refused is not None:
        return refusal(taken.refused)
    return {"request_id": str(request_id), "result": taken.result}


def _disclosure_steps(app: FastAPI, units: Units) -> None:
    """Prepare, narrow, approve or refuse a request: the steps to the authority's answer."""

    @app.post("/v1/officer/requests/{request_id}/prepare")
    async def prepare(request_id: uuid.UUID, request: Request) -> Any:
        """A first legal officer has read the request and its document, and prepares it."""
        return await _answer(units, request, request_id=request_id, action=disclosure.prepare)

    @app.post("/v1/officer/requests/{request_id}/narrow")
    async def narrow(request_id: uuid.UUID, body: NarrowBody, request: Request) -> Any:
        """Keep fewer categories or a shorter period of an over-broad request, with a reason."""

        async def action(legal: Legal, rid: uuid.UUID, officer: Officer) -> Any:
            return await disclosure.narrow_request(
                legal,
                rid,
                officer,
                policy=units.policy,
                now=datetime.now(UTC),
                reason=body.reason,
                categories=body.categories,
                date_from=body.date_from,
                date_to=body.date_to,
            )

        return await _answer(units, request, request_id=request_id, action=action)

    @app.post("/v1/officer/requests/{request_id}/approve")
    async def approve(request_id: uuid.UUID, request: Request) -> Any:
        """A second, different officer approves: the package is built for the authority.

        For a preservation order, approval freezes the account's data instead.
        """

        async def action(legal: Legal, rid: uuid.UUID, officer: Officer) -> Any:
            return await disclosure.approve(
                legal, rid, officer, policy=units.policy, now=datetime.now(UTC)
            )

        answer = await _answer(units, request, request_id=request_id, action=action)
        if isinstance(answer, dict):
            await count_answer(units, request_id)
        return answer

    @app.post("/v1/officer/requests/{request_id}/refuse")
    async def refuse(request_id: uuid.UUID, body: RefuseBody, request: Request) -> Any:
        """Refuse an open request with a code and an explanation for the authority."""

        async def action(legal: Legal, rid: uuid.UUID, officer: Officer) -> Any:
            return await refuse_request(
                legal,
                rid,
                officer,
                code=body.code,
                explanation=body.explanation,
                now=datetime.now(UTC),
            )

        return await _answer(units, request, request_id=request_id, action=action)


def _preservation_steps(app: FastAPI, units: Units) -> None:
    """Extend or lift a preservation order."""

    @app.post("/v1/officer/requests/{request_id}/extend")
    async def extend(request_id: uuid.UUID, request: Request) -> Any:
        """Extend a European Preservation Order once by 30 days (Regulation art. 11(1))."""

        async def action(legal: Legal, rid: uuid.UUID, officer: Officer) -> Any:
            return await preservation.extend(legal, rid, officer, now=datetime.now(UTC))

        answer = await _answer(units, request, request_id=request_id, action=action)
        if isinstance(answer, dict):
            return {"request_id": str(request_id), "ends_at": answer["result"].isoformat()}
        return answer

    @app.post("/v1/officer/requests/{request_id}/lift")
    async def lift(request_id: uuid.UUID, request: Request) -> Any:
        """End a preservation order the authority withdrew: retention applies again."""
        answer = await _answer(units, request, request_id=request_id, action=preservation.lift)
        if isinstance(answer, dict):
            return {"request_id": str(request_id), "ends_at": None}
        return answer


def officer_views(app: FastAPI, units: Units) -> None:
    """What officers read: the pending requests, one request, its document, the chain."""

    @app.get("/v1/officer/requests")
    async def pending(request: Request) -> Any:
        """Requests accepted by the checks and not yet approved, emergencies first."""
        async with units.transaction() as (legal, conn):
            await require_officer(conn, request)
            rows = await legal.requests.pending()
        return {
            "requests": [
                {
                    **r,
                    "request_id": str(r["request_id"]),
                    "received_at": r["received_at"].isoformat(),
                    "due_at": r["due_at"] and r["due_at"].isoformat(),
                }
                for r in rows
            ]
        }

    @app.get("/v1/officer/requests/{request_id}")
    async def details(request_id: uuid.UUID, request: Request) -> Any:
        """The request as the authority made it, its state and the scope to be approved."""
        async with units.transaction() as (legal, conn):
            await require_officer(conn, request)
            stored = await legal.requests.load(request_id)
            if stored is None:
                raise HTTPException(404, "no such request")
            scope, narrowed = await legal.requests.current_scope(stored.request)
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
        async with units.transaction() as (legal, conn):
            officer = await require_officer(conn, request)
            found = await legal.requests.document(request_id)
            if found is None:
                raise HTTPException(404, "no document for this request")
            await legal.audit.record(
                AuditStep.DOCUMENT_READ, actor=officer.officer_id, request_id=str(request_id)
            )
        content, media_type = found
        return Response(content, media_type=media_type)

    @app.get("/v1/officer/audit/verify")
    async def verify_chain(request: Request) -> Any:
        """Recompute the keyed chain against the checkpoints kept beside it (legal_admin only).

        The run is itself audited. Auditors check against the published checkpoints with
        ``crible audit verify``, which reads them from the topic and from their own copies.
        """
        async with units.transaction() as (legal, conn):
            officer = await require_officer(conn, request, OfficerRole.LEGAL_ADMIN)
            return await verify_and_record(legal, conn, units.keys, officer)


def mount_officer_routes(app: FastAPI, units: Units) -> None:
    """Every route for legal officers."""
    officer_routes(app, units)
    officer_views(app, units)
