"""The officers' console's rendering, sessions and forms (routes in ``routes_*.py``).

Plain server-rendered HTML (Jinja2, autoescaped), Crible's shared stylesheet and one small
script (countdowns and confirmations); every page works without it. Every POST needs the
session's CSRF token; every response carries the consoles' security headers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from services.legal.adapters.http.console import i18n
from services.legal.adapters.http.console.sessions import COOKIE, OfficerSession, find_session
from services.legal.adapters.postgres.units import Units
from services.legal.core.approval import OfficerRole
from shared.console.i18n import LANGUAGE_COOKIE
from shared.console.web import SECURITY_HEADERS, back, templates
from shared.db import Connection

HERE = Path(__file__).resolve().parent
HOME = "/console/requests"


def when(moment: datetime | None) -> str:
    """A time as officers read it: UTC, to the minute."""
    return "—" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def seconds_left(deadline: datetime | None, now: datetime) -> int | None:
    """Seconds until ``deadline`` (negative when past), for the countdowns."""
    return None if deadline is None else int((deadline - now).total_seconds())


class NotSignedInError(Exception):
    """No live session: the sign-in page."""


class NotAllowedError(Exception):
    """Signed in, without the role the page needs: the 403 page."""

    def __init__(self, session: OfficerSession) -> None:
        super().__init__("role not allowed")
        self.session = session


def to(path: str, message: str | None = None) -> RedirectResponse:
    """A 303 to a console page, with a message key."""
    return back(path, message, home=HOME)


class LegalConsole:
    """The console over legal's units of work."""

    def __init__(self, units: Units) -> None:
        self.units = units
        self.templates = templates(HERE / "templates")
        self.templates.filters["when"] = when

    def language(self, request: Request) -> str:
        """The page's language: the switch, else the browser's."""
        return i18n.choose(
            request.headers.get("accept-language"), request.cookies.get(LANGUAGE_COOKIE)
        )

    def page(
        self,
        request: Request,
        template: str,
        session: OfficerSession | None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        """A rendered page with the consoles' headers."""
        language = self.language(request)
        message = request.query_params.get("m")
        html = self.templates.get_template(template).render(
            t=i18n.translator(language),
            lang=language,
            session=session,
            me=None if session is None else session.officer,
            admin=session is not None and session.has(OfficerRole.LEGAL_ADMIN),
            path=request.url.path,
            message=message,
            message_done=message in i18n.DONE,
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def problem(
        self, request: Request, session: OfficerSession | None, status: int, key: str
    ) -> HTMLResponse:
        """An error page whose text says what happened (``key`` in the translations)."""
        return self.page(request, "problem.html", session, status=status, problem=key)

    async def session(
        self, request: Request, conn: Connection | None = None
    ) -> OfficerSession | None:
        """The signed-in officer of this request, if any."""
        secret = request.cookies.get(COOKIE)
        if conn is not None:
            return await find_session(conn, secret)
        async with self.units.pool.acquire() as own:
            return await find_session(own, secret)

    async def form(self, request: Request, session: OfficerSession) -> dict[str, Any] | None:
        """The posted form (lists kept for repeated names) if its CSRF token is the session's."""
        form = await request.form()
        fields: dict[str, Any] = {}
        for key in form:
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            fields[key] = values if len(values) > 1 else (values[0] if values else "")
        if not session.csrf_ok(fields.get("csrf") if isinstance(fields.get("csrf"), str) else None):
            return None
        return fields

    def requires(self, *roles: OfficerRole) -> Any:
        """A dependency giving the page's session; sign-in page or 403 page otherwise."""

        async def signed_in(request: Request) -> OfficerSession:
            session = await self.session(request)
            if session is None:
                raise NotSignedInError
            if roles and not session.officer.roles & set(roles):
                raise NotAllowedError(session)
            return session

        return Depends(signed_in)
