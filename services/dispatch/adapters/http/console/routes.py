"""The reviewer console's pages, served by dispatch under ``/console``.

Plain server-rendered HTML (Jinja2, autoescaped) and one small script, all served by Crible
(no CDN, no build step). The pages use the same rules as the API: the state machine for
every move (``core/review.py``), the same queries, the same decisions and events
(``handlers/deciding.py`` through ``reviewing.py``). Every POST needs the session's CSRF
token; every response forbids framing, caching and scripts from elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from services.dispatch.adapters.http import reviewing as use_cases
from services.dispatch.adapters.http.console import i18n, views
from services.dispatch.adapters.http.console.sessions import (
    COOKIE,
    LIFETIME,
    Session,
    close_session,
    find_session,
    open_session,
)
from services.dispatch.adapters.http.reviewing import RequestRefusedError, holder_of
from services.dispatch.adapters.postgres import queue
from services.dispatch.config import DispatchSettings
from services.dispatch.core import review
from services.dispatch.core.decisions import Outcome
from services.dispatch.core.lifecycle import State
from services.dispatch.core.reasons import ReasonRefusal
from services.dispatch.core.reviewers import ReadRefusal, Role, may_read
from services.dispatch.handlers.deciding import DecisionInput
from shared.console.i18n import LANGUAGE_COOKIE
from shared.console.sign_in import SignInCookies, mount_language_switch, mount_sign_out
from shared.console.web import (
    SECURITY_HEADERS,
    add_server_timing,
    back,
    mount_static,
    templates,
)
from shared.runtime.outbox import Outbox

_HERE = Path(__file__).resolve().parent
#: The codes of a reason refused for the decision (``core/reasons.py``).
REASON_REFUSALS = frozenset(r.value for r in ReasonRefusal)
COOKIES = SignInCookies(session=COOKIE, login_csrf="crible_login_csrf", lifetime=LIFETIME)
_HEADERS = SECURITY_HEADERS


class Console:
    """The console's pages over the service's pool and outbox."""

    def __init__(self, pool: Any, outbox: Outbox, config: DispatchSettings) -> None:
        self.pool = pool
        self.outbox = outbox
        self.config = config
        self.policy = config.review_policy()
        self.templates = templates(_HERE / "templates")

    # -- rendering ---------------------------------------------------------------------

    def language(self, request: Request) -> str:
        """The page's language: the switch, else the browser's."""
        return i18n.choose(
            request.headers.get("accept-language"), request.cookies.get(LANGUAGE_COOKIE)
        )

    def page(
        self,
        request: Request,
        template: str,
        session: Session | None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        """A rendered page with the console's headers."""
        language = self.language(request)
        html = self.templates.get_template(template).render(
            t=i18n.translator(language),
            lang=language,
            session=session,
            me=None if session is None else session.reviewer,
            roles=set() if session is None else {r.value for r in session.reviewer.roles},
            path=request.url.path,
            message=request.query_params.get("m"),
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=_HEADERS)

    def problem(
        self, request: Request, session: Session | None, status: int, key: str
    ) -> HTMLResponse:
        """An error page whose text says what happened (``key`` in the translations)."""
        return self.page(request, "problem.html", session, status=status, problem=key)

    # -- sessions ----------------------------------------------------------------------

    async def session(self, request: Request) -> Session | None:
        """The signed-in reviewer of this request, if any."""
        async with self.pool.acquire() as conn:
            return await find_session(conn, request.cookies.get(COOKIE))

    async def form(self, request: Request, session: Session) -> dict[str, str] | None:
        """The posted form if its CSRF token is the session's; None otherwise."""
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        return fields if session.csrf_ok(fields.get("csrf")) else None

    async def visible(
        self, request: Request, session: Session, case_id: uuid.UUID, revision: int
    ) -> tuple[Any, Response | None]:
        """The case row if this reviewer may see it, else the page that says why."""
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT * FROM dispatch.cases WHERE case_id = $1 AND revision = $2",
                case_id,
                revision,
            )
        if row is None:
            return None, self.problem(request, session, 404, "not_found")
        match may_read(session.reviewer, holder_of(row), datetime.now(UTC)):
            case ReadRefusal.NOT_CLEARED:
                return None, self.problem(request, session, 403, "forbidden")
            case ReadRefusal.LEASE_EXPIRED:
                return None, _back("/console/queue", "lease_expired")
            case ReadRefusal.NOT_YOURS:
                return None, self.problem(request, session, 409, "not_yours")
        return row, None

    async def act(
        self,
        request: Request,
        session: Session,
        target: tuple[uuid.UUID, int],
        move: Callable[[review.ReviewCase, datetime, dict[str, str]], review.Step],
        done: str,
    ) -> Response:
        """Apply a lease move (renew, release, escalate, hold) posted from the case page."""
        case_id, revision = target
        fields = await self.form(request, session)
        if fields is None:
            return self.problem(request, session, 403, "csrf")
        page = f"/console/cases/{case_id}/{revision}"
        try:
            case = await use_cases.move(
                self.pool, target, lambda c, now: move(c, now, fields), policy=self.policy
            )
        except RequestRefusedError as error:
            return _refused(request, self, session, error)
        return _back(page if case.state is State.LEASED else "/console/queue", done)


def _back(path: str, message: str | None = None) -> RedirectResponse:
    """A 303 to a console page (never elsewhere), with a message key."""
    return back(path, message, home="/console/queue")


def mount_console(app: FastAPI, pool: Any, outbox: Outbox) -> None:
    """Serve the console under ``/console`` in ``app``."""
    console = Console(pool, outbox, DispatchSettings())
    mount_static(app, _HERE / "static")
    add_server_timing(app)

    async def not_signed_in(_: Request, __: Exception) -> Response:
        return _back("/console/login")

    async def not_allowed(request: Request, error: Exception) -> Response:
        session = error.session if isinstance(error, _NotAllowedError) else None
        return console.problem(request, session, 403, "forbidden")

    app.add_exception_handler(_NotSignedInError, not_signed_in)
    app.add_exception_handler(_NotAllowedError, not_allowed)
    _sign_in_routes(app, console)
    _queue_routes(app, console)
    _case_routes(app, console)
    _lease_routes(app, console)
    _decide_routes(app, console)
    _media_routes(app, console)
    _oversight_routes(app, console)


def _sign_in_routes(app: FastAPI, console: Console) -> None:
    @app.get("/console", include_in_schema=False)
    async def home(request: Request) -> Response:
        signed_in = await console.session(request)
        return _back("/console/queue" if signed_in else "/console/login")

    @app.get("/console/login", include_in_schema=False)
    async def login_page(request: Request) -> Response:
        return COOKIES.login_page(
            request, lambda token: console.page(request, "login.html", None, login_csrf=token)
        )

    @app.post("/console/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        expected = COOKIES.login_csrf_of(request, form.get("csrf"))
        if expected is None:
            return console.problem(request, None, 403, "csrf")
        token = form.get("token")
        async with console.pool.acquire() as conn:
            reviewer = None
            if isinstance(token, str) and token.strip():
                reviewer = await queue.reviewer_by_token(conn, token.strip())
            if reviewer is None or not reviewer.roles & {Role.REVIEWER, Role.SENIOR, Role.ADMIN}:
                return console.page(
                    request, "login.html", None, status=401, login_csrf=expected, failed=True
                )
            value = await open_session(conn, reviewer)
        response = _back("/console/queue")
        COOKIES.signed_in(response, request, value)
        return response

    async def close(secret: str | None) -> None:
        async with console.pool.acquire() as conn:
            await close_session(conn, secret)

    mount_sign_out(app, pages=console, cookies=COOKIES, end_session=close, redirect=_back)
    mount_language_switch(app, home="/console/queue", redirect=_back)


class _NotSignedInError(Exception):
    """No live session: the sign-in page."""


class _NotAllowedError(Exception):
    """Signed in, with a role the page does not admit: the 403 page."""

    def __init__(self, session: Session) -> None:
        super().__init__("role not allowed")
        self.session = session


def _requires(console: Console, *roles: Role) -> Any:
    """A dependency giving the page's session; sign-in page or 403 page otherwise."""

    async def signed_in(request: Request) -> Session:
        session = await console.session(request)
        if session is None:
            raise _NotSignedInError
        if not session.reviewer.roles & set(roles):
            raise _NotAllowedError(session)
        return session

    return Depends(signed_in)


def _queue_routes(app: FastAPI, console: Console) -> None:
    reviewing = _requires(console, Role.REVIEWER, Role.SENIOR, Role.ADMIN)

    @app.get("/console/queue", include_in_schema=False)
    async def overview(request: Request, session: Session = reviewing) -> Response:
        async with console.pool.acquire() as conn:
            categories = await queue.stats(conn)
            mine = await queue.shift_stats(conn, session.reviewer)
        return console.page(request, "queue.html", session, categories=categories, mine=mine)

    @app.post("/console/next", include_in_schema=False)
    async def take_next(request: Request, session: Session = reviewing) -> Response:
        if await console.form(request, session) is None:
            return console.problem(request, session, 403, "csrf")
        async with console.pool.acquire() as conn:
            row = await queue.next_case(conn, session.reviewer, lease=console.policy.lease)
        if row is None:
            return _back("/console/queue", "no_case")
        return _back(f"/console/cases/{row['case_id']}/{row['revision']}")


def _case_routes(app: FastAPI, console: Console) -> None:
    reviewing = _requires(console, Role.REVIEWER, Role.SENIOR, Role.ADMIN)

    @app.get("/console/cases/{case_id}/{revision}", include_in_schema=False)
    async def case_page(
        request: Request, case_id: uuid.UUID, revision: int, session: Session = reviewing
    ) -> Response:
        row, refusal = await console.visible(request, session, case_id, revision)
        if refusal is not None:
            return refusal
        async with console.pool.acquire() as conn:
            reports = await queue.reports(conn, case_id, revision)
            history = await queue.history(conn, case_id)
            revealed = {
                r["media_index"]
                for r in await conn.fetch(
                    """SELECT media_index FROM dispatch.exposures WHERE reviewer_id = $1
                       AND case_id = $2 AND revision = $3 AND media_index >= 0""",
                    session.reviewer.id,
                    case_id,
                    revision,
                )
            }
        language = console.language(request)
        now = datetime.now(UTC)
        subject = orjson.loads(row["subject"])
        verdict = orjson.loads(row["verdict"])
        excerpts: list[str] = []
        links: list[views.Link] = []
        for report in reports:
            evidence = report.get("evidence") or {}
            if evidence.get("message_excerpt"):
                excerpts.append(evidence["message_excerpt"])
            links.extend(views.link(u) for u in evidence.get("urls", ()))
        holds = row["state"] == "leased" and row["leased_by"] == session.reviewer.id
        return console.page(
            request,
            "case.html",
            session,
            case=row,
            subject=subject,
            verdict=verdict,
            screeners=views.screeners(verdict),
            reports=reports,
            excerpts=list(dict.fromkeys(excerpts)),
            links=list(dict.fromkeys(links)),
            media=views.media_of(reports),
            revealed=revealed,
            media_source=console.config.media_url is not None,
            history=history,
            holds=holds,
            sla_left=views.countdown(row["due_at"], now),
            lease_left=views.countdown(row["lease_expires_at"], now) if holds else None,
            outcomes=views.outcomes_for(subject["kind"]),
            irreversible={o.value for o in views.IRREVERSIBLE},
            reasons=views.policy_reasons(row["screened_category"], language),
            idempotency_key=uuid.uuid4(),
            priority=round(queue.priority_of(row["rank_at"]), 1),
            counts=queue.shown_counts(row),
        )


#: The lease moves a case page posts: path, the move (case, reviewer, now, form), message.
_MOVES: tuple[tuple[str, Callable[..., review.Step], str], ...] = (
    ("renew", lambda c, who, now, _, policy: review.renew(c, who, now, policy=policy), "renewed"),
    ("release", lambda c, who, now, _, __: review.release(c, who, now), "released"),
    ("escalate", lambda c, who, now, f, _: review.escalate(c, who, _reason(f), now), "escalated"),
    ("hold", lambda c, who, now, f, _: review.hold(c, who, _reason(f), now), "held"),
)


def _lease_routes(app: FastAPI, console: Console) -> None:
    reviewing = _requires(console, Role.REVIEWER, Role.SENIOR, Role.ADMIN)

    def route(name: str, move: Callable[..., review.Step], done: str) -> None:
        async def moved(
            request: Request, case_id: uuid.UUID, revision: int, session: Session = reviewing
        ) -> Response:
            return await console.act(
                request,
                session,
                (case_id, revision),
                lambda c, now, f: move(c, session.reviewer.id, now, f, console.policy),
                done,
            )

        app.post(
            f"/console/cases/{{case_id}}/{{revision}}/{name}",
            include_in_schema=False,
            name=f"console_{name}",
        )(moved)

    for name, move, done in _MOVES:
        route(name, move, done)


def _decide_routes(app: FastAPI, console: Console) -> None:
    reviewing = _requires(console, Role.REVIEWER, Role.SENIOR, Role.ADMIN)

    @app.post("/console/cases/{case_id}/{revision}/decide", include_in_schema=False)
    async def decide(
        request: Request, case_id: uuid.UUID, revision: int, session: Session = reviewing
    ) -> Response:
        fields = await console.form(request, session)
        if fields is None:
            return console.problem(request, session, 403, "csrf")
        page = f"/console/cases/{case_id}/{revision}"
        try:
            outcome = Outcome(fields.get("outcome", ""))
            key = uuid.UUID(fields.get("idempotency_key", ""))
        except ValueError:
            return _back(page, "error")
        reason = fields.get("policy_reason", "")
        if not reason:
            return _back(page, "reason_required")
        if outcome in views.IRREVERSIBLE and fields.get("confirmed") != "yes":
            return _back(page, "needs_confirmation")
        try:
            result = await use_cases.decide(
                console.outbox,
                session.reviewer,
                (case_id, revision),
                DecisionInput(outcome, reason, fields.get("explanation", "")[:2000], key),
                policy=console.policy,
            )
        except RequestRefusedError as error:
            return _refused(request, console, session, error)
        return _back("/console/queue", "decided" if result.final else "first_review")


def _media_routes(app: FastAPI, console: Console) -> None:
    reviewing = _requires(console, Role.REVIEWER, Role.SENIOR, Role.ADMIN)

    @app.post("/console/cases/{case_id}/{revision}/reveal/{index}", include_in_schema=False)
    async def reveal(
        request: Request,
        case_id: uuid.UUID,
        revision: int,
        index: int,
        session: Session = reviewing,
    ) -> Response:
        """Show one media file: counted against the reviewer's graphic-exposure cap."""
        if await console.form(request, session) is None:
            return console.problem(request, session, 403, "csrf")
        _row, refusal = await console.visible(request, session, case_id, revision)
        if refusal is not None:
            return refusal
        async with console.pool.acquire() as conn:
            await conn.execute(
                """INSERT INTO dispatch.exposures (reviewer_id, case_id, revision, shown_at,
                       media_index)
                   VALUES ($1, $2, $3, now(), $4) ON CONFLICT DO NOTHING""",
                session.reviewer.id,
                case_id,
                revision,
                max(index, 0),
            )
        return _back(f"/console/cases/{case_id}/{revision}#media-{index}")

    @app.get("/console/cases/{case_id}/{revision}/media/{index}", include_in_schema=False)
    async def media(
        request: Request,
        case_id: uuid.UUID,
        revision: int,
        index: int,
        session: Session = reviewing,
    ) -> Response:
        """A revealed media file, fetched from the platform's media service for this page."""
        _row, refusal = await console.visible(request, session, case_id, revision)
        if refusal is not None:
            return refusal
        template = console.config.media_url
        async with console.pool.acquire() as conn:
            shown = await conn.fetchval(
                """SELECT count(*) FROM dispatch.exposures WHERE reviewer_id = $1
                   AND case_id = $2 AND revision = $3 AND media_index = $4""",
                session.reviewer.id,
                case_id,
                revision,
                index,
            )
            reports = await queue.reports(conn, case_id, revision)
        files = views.media_of(reports)
        if not shown or template is None or not 0 <= index < len(files):
            return Response(status_code=404, headers=_HEADERS)
        sha256 = files[index].get("sha256")
        if not sha256:
            return Response(status_code=404, headers=_HEADERS)
        async with httpx.AsyncClient(timeout=10) as client:
            fetched = await client.get(template.replace("{sha256}", sha256))
        kind = fetched.headers.get("content-type", "")
        if fetched.status_code != 200 or not kind.startswith("image/"):
            return Response(status_code=502, headers=_HEADERS)
        return Response(fetched.content, media_type=kind, headers=_HEADERS)


def _reason(fields: dict[str, str]) -> str:
    return fields.get("reason", "")[:500]


def _refused(
    request: Request, console: Console, session: Session, error: RequestRefusedError
) -> Response:
    """The page for a move the rules refused: expired lease, not yours, gone."""
    if error.code == review.ErrorCode.LEASE_EXPIRED.value or "expired" in error.message:
        return _back("/console/queue", "lease_expired")
    if error.status == 422 and error.code in REASON_REFUSALS:
        case_id, revision = request.path_params["case_id"], request.path_params["revision"]
        return _back(f"/console/cases/{case_id}/{revision}", "reason_mismatch")
    if error.status == 404:
        return console.problem(request, session, 404, "not_found")
    if error.status == 409:
        return console.problem(request, session, 409, "not_yours")
    return console.problem(request, session, error.status, "error")


def _oversight_routes(app: FastAPI, console: Console) -> None:
    supervising = _requires(console, Role.SENIOR, Role.ADMIN)
    administering = _requires(console, Role.ADMIN)

    @app.get("/console/appeals", include_in_schema=False)
    async def appeals(request: Request, session: Session = supervising) -> Response:
        async with console.pool.acquire() as conn:
            rows = await queue.open_appeals(conn, session.reviewer)
        return console.page(request, "appeals.html", session, appeals=rows)

    @app.get("/console/supervisor", include_in_schema=False)
    async def supervisor(request: Request, session: Session = administering) -> Response:
        async with console.pool.acquire() as conn:
            rows = await queue.reviewer_figures(conn)
            categories = await queue.stats(conn)
        return console.page(
            request, "supervisor.html", session, reviewers=rows, categories=categories
        )
