"""The legal officers' console, served by the legal service under ``/console``.

On the same lifecycle, handlers and database guards as the officers' API
(``adapters/http/officers.py``): the pages call the same handlers through the same step
(``adapters/http/steps.py``), and the officer's proof on a preparation or an approval is
the console session's secret, which the database checks. Sign-in, requests and admin pages
are in their own modules.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

from services.legal.adapters.http.console.pages import (
    HERE,
    LegalConsole,
    NotAllowedError,
    NotSignedInError,
    to,
)
from services.legal.adapters.http.console.routes_admin import admin_routes
from services.legal.adapters.http.console.routes_requests import request_routes
from services.legal.adapters.http.console.routes_sign_in import sign_in_routes
from services.legal.adapters.postgres.units import Units
from shared.console.web import add_server_timing, mount_static


def mount_console(app: FastAPI, units: Units) -> None:
    """Serve the officers' console under ``/console`` in the portal's ``app``."""
    console = LegalConsole(units)
    mount_static(app, HERE / "static")
    add_server_timing(app)

    async def not_signed_in(_: Request, __: Exception) -> Response:
        return to("/console/login")

    async def not_allowed(request: Request, error: Exception) -> Response:
        session = error.session if isinstance(error, NotAllowedError) else None
        return console.problem(request, session, 403, "forbidden")

    app.add_exception_handler(NotSignedInError, not_signed_in)
    app.add_exception_handler(NotAllowedError, not_allowed)
    sign_in_routes(app, console)
    request_routes(app, console)
    admin_routes(app, console)
