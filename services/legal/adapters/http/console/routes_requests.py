"""The requests: the list, one request beside its document, and the officers' steps.

Each step goes through the API's step (``adapters/http/steps.py``) with the handler the API
calls; a refusal comes back to the request's page as a message, and the two-person rule's
refusals are audited as they are over the API.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response

from services.legal.adapters.documents import RenderError, page_count, render_page
from services.legal.adapters.http.console.pages import HOME, LegalConsole, seconds_left, to
from services.legal.adapters.http.console.sessions import COOKIE, OfficerSession, find_session
from services.legal.adapters.http.steps import Action, Authenticate, count_answer, take_step
from services.legal.adapters.postgres.console_views import ConsoleViews
from services.legal.adapters.postgres.requests_store import PostgresRequests
from services.legal.adapters.postgres.units import Units
from services.legal.core.approval import Officer
from services.legal.core.audit import AuditStep
from services.legal.core.documents import DocumentForm, viewable
from services.legal.core.errors import NotAllowedError
from services.legal.core.lifecycle import OPEN, RequestState
from services.legal.core.refusals import OFFICER_REFUSALS
from services.legal.core.rules import law_checks
from services.legal.handlers import disclosure, preservation
from services.legal.handlers.preview import preview
from services.legal.handlers.refusal import refuse_request
from services.legal.handlers.targets import preserved_since
from services.legal.ports import Legal
from shared.console.web import SECURITY_HEADERS
from shared.db import Connection
from shared.events.legal import DataCategory, plain_text

PER_PAGE = 50


def _states(chosen: str | None) -> list[str]:
    if chosen in {s.value for s in RequestState}:
        return [str(chosen)]
    return sorted(OPEN)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def request_routes(app: FastAPI, console: LegalConsole) -> None:
    """Mount the list, the request page, its document, the steps and the preservations."""
    _list_route(app, console)
    _page_routes(app, console)
    _step_routes(app, console)
    _preservations_route(app, console)


def _list_route(app: FastAPI, console: LegalConsole) -> None:
    officer_only = console.requires()
    units = console.units

    @app.get("/console/requests", include_in_schema=False)
    async def requests(request: Request, session: OfficerSession = officer_only) -> Response:
        chosen = request.query_params.get("state")
        authority = request.query_params.get("authority") or None
        try:
            page = max(1, int(request.query_params.get("page", "1")))
        except ValueError:
            page = 1
        async with units.pool.acquire() as conn:
            views = ConsoleViews(conn)
            rows, total = await views.requests(
                states=_states(chosen),
                authority=authority,
                limit=PER_PAGE,
                offset=(page - 1) * PER_PAGE,
            )
            counts = await views.state_counts()
            authorities = await views.authority_names()
        now = datetime.now(UTC)
        for row in rows:
            row["left"] = seconds_left(row["due_at"], now)
            # From the time itself: the countdown's whole seconds read 0 for the first second.
            row["overdue"] = row["due_at"] is not None and row["due_at"] < now
        return console.page(
            request,
            "requests.html",
            session,
            rows=rows,
            total=total,
            page=page,
            pages=max(1, -(-total // PER_PAGE)),
            counts=counts,
            open_total=sum(counts.get(s, 0) for s in OPEN),
            chosen=chosen if chosen in counts or chosen in {s.value for s in RequestState} else "",
            authority=authority or "",
            authorities=authorities,
            states=[s.value for s in RequestState],
        )


def _page_routes(app: FastAPI, console: LegalConsole) -> None:
    officer_only = console.requires()
    units = console.units

    async def show(
        request: Request, request_id: uuid.UUID, session: OfficerSession, *, read: bool
    ) -> Response:
        now = datetime.now(UTC)
        async with units.transaction() as (legal, conn):
            facts = await ConsoleViews(conn).request_facts(request_id)
            stored = await legal.requests.load(request_id)
            if facts is None or stored is None:
                return console.problem(request, session, 404, "not_found")
            asked = stored.request
            scope, narrowed = await legal.requests.current_scope(asked)
            authority = await legal.requests.authority(asked.authority_id)
            since = await preserved_since(legal, asked, policy=units.policy, now=now)
            checks = law_checks(
                asked,
                authority=authority,
                retention=units.policy.retention,
                scope=scope,
                preserved_since=since,
            )
            state = RequestState(facts["state"])
            shown = await preview(legal, asked, scope) if state in OPEN else None
            document = await _read(legal, request_id, session.officer) if read else None
            history = await legal.audit.entries(str(request_id))
            explanation = None
            if facts["refused_by"] is not None:
                opened = PostgresRequests(conn, units.keys.cipher())
                explanation = await opened.refusal_explanation(request_id)
        return console.page(
            request,
            "request.html",
            session,
            request_id=request_id,
            asked=asked,
            facts=facts,
            state=state,
            open=state in OPEN,
            refusals=orjson.loads(facts["refusals"]),
            explanation=explanation,
            scope=scope,
            narrowed=narrowed,
            checks=checks,
            preview=shown,
            document=document,
            history=history,
            left=seconds_left(facts["due_at"], now) if facts["answered_at"] is None else None,
            codes=list(OFFICER_REFUSALS),
            categories=[c.value for c in DataCategory],
            mine=facts["prepared_by"] == session.officer.officer_id,
        )

    @app.get("/console/requests/{request_id}", include_in_schema=False)
    async def request_page(
        request: Request, request_id: uuid.UUID, session: OfficerSession = officer_only
    ) -> Response:
        return await show(request, request_id, session, read=False)

    @app.get("/console/requests/{request_id}/read", include_in_schema=False)
    async def reading_page(
        request: Request, request_id: uuid.UUID, session: OfficerSession = officer_only
    ) -> Response:
        """The request with its signed document shown: the reading is audited."""
        return await show(request, request_id, session, read=True)

    @app.get("/console/requests/{request_id}/document/{reading}/{page}", include_in_schema=False)
    async def document_page(
        request_id: uuid.UUID,
        reading: int,
        page: int,
        session: OfficerSession = officer_only,
    ) -> Response:
        """One page of the document as a PNG, only under this officer's audited reading."""
        async with units.transaction() as (legal, conn):
            allowed = await ConsoleViews(conn).reading(
                reading, request_id=request_id, officer_id=session.officer.officer_id
            )
            found = await legal.requests.document(request_id) if allowed else None
        if found is None:
            return Response(status_code=404, headers=SECURITY_HEADERS)
        try:
            png = await render_page(viewable(*found), page)
        except RenderError:
            return Response(status_code=404, headers=SECURITY_HEADERS)
        return Response(png, media_type="image/png", headers=SECURITY_HEADERS)

    @app.get("/console/requests/{request_id}/original", include_in_schema=False)
    async def original(request_id: uuid.UUID, session: OfficerSession = officer_only) -> Response:
        """The signed original, as a download (each one audited)."""
        async with units.transaction() as (legal, _):
            found = await legal.requests.document(request_id)
            if found is None:
                return Response(status_code=404, headers=SECURITY_HEADERS)
            await legal.audit.record(
                AuditStep.DOCUMENT_READ,
                actor=session.officer.officer_id,
                request_id=str(request_id),
                details={"via": "console", "original": True},
            )
        content, media_type = found
        suffix = {"application/pdf": "pdf", "application/pkcs7-mime": "p7m", "image/png": "png",
                  "image/jpeg": "jpg"}.get(media_type, "bin")  # fmt: skip
        headers = SECURITY_HEADERS | {
            "Content-Disposition": f'attachment; filename="request-{request_id}.{suffix}"'
        }
        return Response(content, media_type="application/octet-stream", headers=headers)


async def _read(legal: Legal, request_id: uuid.UUID, officer: Officer) -> dict[str, Any] | None:
    """Open the document for this page, and record the reading (its pages are served under it)."""
    found = await legal.requests.document(request_id)
    if found is None:
        return None
    shown = viewable(*found)
    try:
        pages = await page_count(shown)
    except RenderError:
        pages = 0
    entry = await legal.audit.record(
        AuditStep.DOCUMENT_READ,
        actor=officer.officer_id,
        request_id=str(request_id),
        details={"via": "console", "pages": pages},
    )
    return {
        "reading": entry.sequence,
        "pages": pages,
        "form": shown.form.value if pages else DocumentForm.NOT_SHOWN.value,
        "signed_container": shown.signed_container,
    }


def _narrowing(fields: dict[str, Any], scope: Any) -> dict[str, Any]:
    """The form's narrowing as the handler takes it (only what changed; within the scope)."""
    chosen = fields.get("categories") or []
    chosen = [chosen] if isinstance(chosen, str) else chosen
    categories = [DataCategory(c) for c in chosen if c in {d.value for d in DataCategory}]
    start, end = _day(fields.get("date_from")), _day(fields.get("date_to"))
    date_from = date_to = None
    if start is not None and start != scope.date_from.date():
        date_from = max(datetime.combine(start, time(), UTC), scope.date_from)
    if end is not None and end != scope.date_to.date():
        last = datetime.combine(end, time(), UTC) + timedelta(days=1, microseconds=-1)
        date_to = min(last, scope.date_to)
    return {
        "categories": None if set(categories) == set(scope.categories) else categories,
        "date_from": date_from,
        "date_to": date_to,
    }


#: Builds a step's call of its handler from the posted form.
StepCall = Callable[[Units, dict[str, Any]], Action]


@dataclass(frozen=True, slots=True)
class ConsoleStep:
    """One officer's step as the console posts it: its path, its handler, what follows it."""

    name: str
    call: StepCall
    _: KW_ONLY
    #: The message key shown when the step is taken.
    done: str
    #: Answers the authority or ends an order: the page asks a confirmation for it.
    confirmed: bool = False
    #: Answers the authority: its time to comply is counted once it committed.
    answers: bool = False


def form_text(fields: dict[str, Any], name: str) -> str:
    """A free-text field as plain text; empty (the handler then refuses it) when it is not."""
    try:
        return plain_text(str(fields.get(name, "")))
    except ValueError:
        return ""


def _narrow(units: Units, fields: dict[str, Any]) -> Action:
    async def narrow(legal: Legal, rid: uuid.UUID, officer: Officer) -> Any:
        stored = await legal.requests.load(rid)
        scope = None if stored is None else (await legal.requests.current_scope(stored.request))[0]
        return await disclosure.narrow_request(
            legal, rid, officer, policy=units.policy, now=datetime.now(UTC),
            reason=form_text(fields, "reason")[:2000],
            **(_narrowing(fields, scope) if scope is not None else {"categories": None,
               "date_from": None, "date_to": None}),
        )  # fmt: skip

    return narrow


def _prepare(_: Units, __: dict[str, Any]) -> Action:
    return disclosure.prepare


def _approve(units: Units, _: dict[str, Any]) -> Action:
    async def approve(legal: Legal, rid: uuid.UUID, officer: Officer) -> Any:
        return await disclosure.approve(
            legal, rid, officer, policy=units.policy, now=datetime.now(UTC)
        )

    return approve


def _refuse(_: Units, fields: dict[str, Any]) -> Action:
    async def refuse(legal: Legal, rid: uuid.UUID, officer: Officer) -> Any:
        return await refuse_request(
            legal, rid, officer, code=str(fields.get("code", "")),
            explanation=form_text(fields, "explanation"), now=datetime.now(UTC),
        )  # fmt: skip

    return refuse


def _extend(_: Units, __: dict[str, Any]) -> Action:
    async def extend(legal: Legal, rid: uuid.UUID, officer: Officer) -> Any:
        return await preservation.extend(legal, rid, officer, now=datetime.now(UTC))

    return extend


def _lift(_: Units, __: dict[str, Any]) -> Action:
    return preservation.lift


#: The officers' steps, in the order their routes are mounted.
STEPS = (
    ConsoleStep("narrow", _narrow, done="narrowed_done"),
    ConsoleStep("prepare", _prepare, done="prepared_done"),
    ConsoleStep("approve", _approve, done="approved_done", confirmed=True, answers=True),
    ConsoleStep("refuse", _refuse, done="refused_done", confirmed=True),
    ConsoleStep("extend", _extend, done="extended_done"),
    ConsoleStep("lift", _lift, done="lifted_done", confirmed=True),
)


def _step_routes(app: FastAPI, console: LegalConsole) -> None:
    officer_only = console.requires()
    for step in STEPS:
        _post(app, console, step, officer_only=officer_only)


def _post(app: FastAPI, console: LegalConsole, step: ConsoleStep, *, officer_only: Any) -> None:
    async def posted(
        request: Request, request_id: uuid.UUID, session: OfficerSession = officer_only
    ) -> Response:
        return await _act(console, request, request_id=request_id, session=session, step=step)

    app.post(
        f"/console/requests/{{request_id}}/{step.name}",
        include_in_schema=False,
        name=f"legal_console_{step.name}",
    )(posted)


async def _act(
    console: LegalConsole,
    request: Request,
    *,
    request_id: uuid.UUID,
    session: OfficerSession,
    step: ConsoleStep,
) -> Response:
    """Take ``step`` from its form; back to the request's page with what became of it."""
    fields = await console.form(request, session)
    if fields is None:
        return console.problem(request, session, 403, "csrf")
    page = f"/console/requests/{request_id}"
    if step.confirmed and fields.get("confirmed") != "yes":
        return to(page, "needs_confirmation")
    action = step.call(console.units, fields)
    taken = await take_step(console.units, request_id, action, authenticate=_live_officer(request))
    if taken.refused is not None:
        return to(page, taken.refused.code)
    if step.answers:
        await count_answer(console.units, request_id)
    return to(page, step.done)


def _live_officer(request: Request) -> Authenticate:
    """The session's officer, found again inside the step's transaction."""

    async def authenticate(conn: Connection) -> Officer:
        # Again inside the step's transaction: a session ended meanwhile proves nothing.
        live = await find_session(conn, request.cookies.get(COOKIE))
        if live is None:
            raise NotAllowedError("not_signed_in", "the session has ended")
        return live.officer

    return authenticate


def _preservations_route(app: FastAPI, console: LegalConsole) -> None:
    officer_only = console.requires()
    units = console.units

    @app.get("/console/preservations", include_in_schema=False)
    async def preservations(request: Request, session: OfficerSession = officer_only) -> Response:
        async with units.pool.acquire() as conn:
            rows = await ConsoleViews(conn).preservations()
        now = datetime.now(UTC)
        for row in rows:
            row["left"] = seconds_left(row["ends_at"], now)
        return console.page(request, "preservations.html", session, rows=rows)


__all__ = ["HOME", "request_routes"]
