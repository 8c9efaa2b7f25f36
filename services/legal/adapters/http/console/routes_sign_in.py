"""Signing in with the officer's token once, signing out, and the language switch."""

from __future__ import annotations

import uuid

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
from shared.console.i18n import LANGUAGE_COOKIE, LANGUAGES
from shared.console.web import is_secure, same_token

LOGIN_CSRF_COOKIE = "crible_legal_login_csrf"


def sign_in_routes(app: FastAPI, console: LegalConsole) -> None:
    """Mount sign-in, sign-out and the language switch."""

    @app.get("/console", include_in_schema=False)
    async def home(request: Request) -> Response:
        return to(HOME if await console.session(request) else "/console/login")

    @app.get("/console/login", include_in_schema=False)
    async def login_page(request: Request) -> Response:
        token = uuid.uuid4().hex
        response = console.page(request, "login.html", None, login_csrf=token)
        response.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=is_secure(request),
            path="/console",
        )
        return response

    @app.post("/console/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form()
        posted, expected = form.get("csrf"), request.cookies.get(LOGIN_CSRF_COOKIE)
        if not isinstance(posted, str) or not same_token(posted, expected):
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
        response.set_cookie(
            COOKIE,
            secret,
            max_age=int(LIFETIME.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=is_secure(request),
            path="/console",
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
        return response

    @app.post("/console/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        session = await console.session(request)
        if session is None:
            return to("/console/login")
        if await console.form(request, session) is None:
            return console.problem(request, session, 403, "csrf")
        async with console.units.pool.acquire() as conn:
            await end_session(conn, request.cookies.get(COOKIE))
        response = to("/console/login")
        response.delete_cookie(COOKIE, path="/console")
        return response

    @app.get("/console/lang/{language}", include_in_schema=False)
    async def switch(request: Request, language: str) -> Response:
        """Remember the chosen language (a preference, not an action: no CSRF needed)."""
        response = to(request.query_params.get("next", HOME))
        if language in LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE,
                language,
                max_age=365 * 24 * 3600,
                samesite="strict",
                secure=is_secure(request),
                path="/console",
            )
        return response
