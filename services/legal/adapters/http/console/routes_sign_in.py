"""Signing in with the officer's token once, signing out, and the language switch."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

from services.legal.adapters.http.console.pages import HOME, LegalConsole, to
from services.legal.adapters.http.console.sessions import (
    COOKIE,
    LIFETIME,
    end_session,
    open_session,
    session_hash,
)
from services.legal.adapters.postgres.principals import PostgresPrincipals
from services.legal.core.audit import AuditStep
from services.legal.core.model import fingerprint
from shared.console.sign_in import SignInCookies, mount_language_switch, mount_sign_out

COOKIES = SignInCookies(session=COOKIE, login_csrf="crible_legal_login_csrf", lifetime=LIFETIME)


def sign_in_routes(app: FastAPI, console: LegalConsole) -> None:
    """Mount sign-in, sign-out and the language switch."""

    @app.get("/console", include_in_schema=False)
    async def home(request: Request) -> Response:
        return to(HOME if await console.session(request) else "/console/login")

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
        token = token.strip() if isinstance(token, str) else ""
        async with console.units.transaction() as (legal, conn):
            # Only an active officer's own token opens a session (the database checks it
            # too); an authority's token, or a reviewer's, is unknown here.
            officer = await PostgresPrincipals(conn).officer(token) if token else None
            if officer is None:
                return console.page(
                    request, "login.html", None, status=401, login_csrf=expected, failed=True
                )
            secret = await open_session(conn, officer.officer_id, token)
            await legal.audit.record(
                AuditStep.OFFICER_SIGNED_IN,
                actor=officer.officer_id,
                details={"session": fingerprint(session_hash(secret)), "via": "console"},
            )
        response = to(HOME)
        COOKIES.signed_in(response, request, secret)
        return response

    async def close(secret: str | None) -> None:
        async with console.units.pool.acquire() as conn:
            await end_session(conn, secret)

    mount_sign_out(app, pages=console, cookies=COOKIES, end_session=close, redirect=to)
    mount_language_switch(app, home=HOME, redirect=to)
