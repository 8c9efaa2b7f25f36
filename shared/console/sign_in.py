"""Signing in and out of a console, and its language switch: the same cookies everywhere.

Each console keeps its own cookie names (a reviewer's session never opens the legal
console) and its own way to check a token and open or close a session; how the cookies are
set, and the sign-out and language routes, exist once, here.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from fastapi import FastAPI, Request, Response

from shared.console.i18n import LANGUAGE_COOKIE, LANGUAGES
from shared.console.web import is_secure, same_token

#: Every console cookie stays under the console's path.
PATH = "/console"
#: How long a chosen language is remembered.
LANGUAGE_LIFETIME = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class SignInCookies:
    """One console's session cookie, its sign-in form's CSRF cookie and the session's life."""

    session: str
    login_csrf: str
    lifetime: timedelta

    def login_page(self, request: Request, render: Callable[[str], Response]) -> Response:
        """The sign-in page ``render`` makes with a fresh form token, kept in a cookie too."""
        token = uuid.uuid4().hex
        response = render(token)
        response.set_cookie(
            self.login_csrf,
            token,
            httponly=True,
            samesite="strict",
            secure=is_secure(request),
            path=PATH,
        )
        return response

    def login_csrf_of(self, request: Request, posted: object) -> str | None:
        """The sign-in form's token if the submitted one matches its cookie, else None."""
        expected = request.cookies.get(self.login_csrf)
        if not isinstance(posted, str) or not same_token(posted, expected):
            return None
        return expected

    def signed_in(self, response: Response, request: Request, secret: str) -> None:
        """Keep the new session's secret, and forget the sign-in form's token."""
        response.set_cookie(
            self.session,
            secret,
            max_age=int(self.lifetime.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=is_secure(request),
            path=PATH,
        )
        response.delete_cookie(self.login_csrf, path=PATH)

    def signed_out(self, response: Response) -> None:
        """Forget the session's secret."""
        response.delete_cookie(self.session, path=PATH)


class SignOutPages(Protocol):
    """What the sign-out route needs of a console."""

    async def session(self, request: Request) -> Any:
        """The live session of this request, or None."""
        ...

    async def form(self, request: Request, session: Any) -> Any:
        """The posted form if its CSRF token is the session's, else None."""
        ...

    def problem(self, request: Request, session: Any, status: int, key: str) -> Response:
        """An error page."""
        ...


def mount_sign_out(
    app: FastAPI,
    *,
    pages: SignOutPages,
    cookies: SignInCookies,
    end_session: Callable[[str | None], Awaitable[None]],
    redirect: Callable[[str], Response],
) -> None:
    """``POST /console/logout``: ends the session (a form with its CSRF token only)."""

    @app.post("/console/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        session = await pages.session(request)
        if session is None:
            return redirect("/console/login")
        if await pages.form(request, session) is None:
            return pages.problem(request, session, 403, "csrf")
        await end_session(request.cookies.get(cookies.session))
        response = redirect("/console/login")
        cookies.signed_out(response)
        return response


def mount_language_switch(app: FastAPI, *, home: str, redirect: Callable[[str], Response]) -> None:
    """``GET /console/lang/{language}``: remembers the language (a preference: no CSRF)."""

    @app.get("/console/lang/{language}", include_in_schema=False)
    async def switch(request: Request, language: str) -> Response:
        response = redirect(request.query_params.get("next", home))
        if language in LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE,
                language,
                max_age=int(LANGUAGE_LIFETIME.total_seconds()),
                samesite="strict",
                secure=is_secure(request),
                path=PATH,
            )
        return response
