"""Headers, timing and redirects every console page uses.

Every response forbids framing, caching, sniffing and anything loaded from elsewhere; the
``Server-Timing`` header says how long the server took (the benchmarks read it).
"""

from __future__ import annotations

import hmac
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

#: The shared stylesheet and icon.
STATIC = Path(__file__).resolve().parent / "static"
#: The frame and the sign-in page every console shares.
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: What every console response carries.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; script-src 'self'; "
    "style-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def templates(own: Path) -> Environment:
    """A console's templates: its own folder first, then the shared frame and sign-in page."""
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(own), FileSystemLoader(TEMPLATES)]),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def mount_static(app: FastAPI, own: Path) -> None:
    """Serve ``/console/static`` from the console's own folder, then the shared one."""
    files = StaticFiles(directory=own, packages=[("shared.console", "static")])
    app.mount("/console/static", files, name="console-static")


def add_server_timing(app: FastAPI) -> None:
    """Tell the browser (and the benchmarks) how long the server took for a console page."""

    @app.middleware("http")
    async def server_timing(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        response: Response = await call_next(request)
        if request.url.path.startswith("/console"):
            elapsed = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
        return response


def is_secure(request: Request) -> bool:
    """Whether the browser reached the console over TLS (directly or through a proxy)."""
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded == "https"


def back(path: str, message: str | None = None, *, home: str) -> RedirectResponse:
    """A 303 to a console page (never elsewhere: ``home`` otherwise), with a message key."""
    target = path if path.startswith("/console/") else home
    if message:
        target += f"?m={message}"
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)


def same_token(submitted: str | None, expected: str | None) -> bool:
    """Whether a form's token is the expected one (compared in constant time)."""
    return bool(submitted and expected) and hmac.compare_digest(str(submitted), str(expected))
