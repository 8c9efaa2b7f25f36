"""What the officers' console tests share: a signed PDF of N pages, an emergency EPOC with it,
officers signed in, and forms posted with the session's CSRF token."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import matplotlib as mpl

mpl.use("Agg")
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from shared.config import Settings
from tests.integration.legal.test_portal import (
    Authority,
    body,
    officer,
    register,
    submit,
)

_LINES = [
    "Vu les articles 3(18), 4 et 10(4) du règlement (UE) 2023/1543,",
    "Vu la menace imminente pour la vie d'une personne disparue,",
    "Requérons de la plateforme la communication des données d'abonné",
    "et des données d'identification (adresses IP, ports, horodatage)",
    "du compte désigné ci-dessous, pour la période indiquée.",
]


def signed_pdf(pages: int) -> bytes:
    """A réquisition of ``pages`` A4 pages of text, as an authority's PDF (matplotlib)."""
    out = io.BytesIO()
    with PdfPages(out) as pdf:
        for number in range(1, pages + 1):
            figure = Figure(figsize=(8.27, 11.69))
            figure.text(0.1, 0.93, "PARQUET DE PARIS — Réquisition (EPOC)", fontsize=15)
            figure.text(0.1, 0.9, f"Page {number} / {pages}", fontsize=10)
            for line, text in enumerate(_LINES * 6):
                figure.text(0.1, 0.85 - line * 0.025, text, fontsize=10)
            figure.text(0.6, 0.1, "Signé : C. Martin, procureure", fontsize=10)
            pdf.savefig(figure)
    return out.getvalue()


def content(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


async def emergency_epoc(
    settings: Settings, portal: httpx.AsyncClient, document: bytes, authority: str = "fr-pj-paris"
) -> tuple[Authority, dict[str, Any]]:
    """An emergency European Production Order with ``document``, checked and accepted."""
    paris = await register(settings, authority, kind="prosecutor")
    request = body(
        instrument="eu_epoc",
        emergency=True,
        target={"kind": "platform_user_id", "value": "u7"},
        document=base64.b64encode(document).decode(),
        document_sha256=hashlib.sha256(document).hexdigest(),
    )
    status = await submit(portal, paris, content(request))
    assert status["state"] == "accepted", status
    return paris, status


async def preservation_order(settings: Settings, portal: httpx.AsyncClient) -> str:
    """A German court's European Preservation Order for u7, checked and accepted: its id."""
    court = await register(
        settings, "de-ag-berlin", kind="court", country="DE", name="Amtsgericht Berlin"
    )
    order = body(instrument="eu_epoc_pr", target={"kind": "platform_user_id", "value": "u7"})
    status = await submit(portal, court, content(order))
    assert status["state"] == "accepted", status
    request_id: str = status["request_id"]
    return request_id


async def token_of(settings: Settings, officer_id: str, roles: str = "legal_officer") -> str:
    """A registered officer's token (``crible legal officers add``)."""
    if roles == "legal_officer":
        headers = await officer(settings, officer_id)
        return headers["Authorization"].removeprefix("Bearer ")
    from tests.integration.prescreen.test_prescreen import crible  # noqa: PLC0415

    printed = await crible(
        settings, "legal", "officers", "add", officer_id, "--name", officer_id.title(),
        "--roles", roles,
    )  # fmt: skip
    return printed.strip()


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_in(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)


async def signed_in(base_url: str, token: str) -> httpx.AsyncClient:
    """A browser-like client signed in to the console with ``token``."""
    client = httpx.AsyncClient(base_url=base_url)
    page = await client.get("/console/login")
    answer = await client.post("/console/login", data={"csrf": csrf_in(page.text), "token": token})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/console/requests"
    return client


async def post_form(
    client: httpx.AsyncClient, path: str, page: str, fields: dict[str, Any]
) -> httpx.Response:
    """Post a form of ``page`` with the session's CSRF token (as the browser does)."""
    html = (await client.get(page)).text
    return await client.post(path, data={"csrf": csrf_in(html), **fields})


@contextlib.asynccontextmanager
async def closing(*clients: httpx.AsyncClient) -> AsyncIterator[None]:
    """Close signed-in clients at the end."""
    try:
        yield
    finally:
        for client in clients:
            await client.aclose()
