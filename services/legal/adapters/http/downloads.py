"""``GET /v1/packages/{link}``: the package, once, before the link expires (``handlers``).

A download needs the link and the authority's own token. Refusals (another authority, a
second download, an expired link) are audited and committed, then answered 403 or 410.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from services.legal import metrics
from services.legal.adapters.http.principals import require_authority
from services.legal.adapters.postgres.units import Units
from services.legal.core.errors import UnknownRequestError
from services.legal.core.links import PREFIX
from services.legal.handlers import downloads

_REFUSALS = {
    "other_authority": (403, "this package is for another authority"),
    "already_downloaded": (410, "the package was already downloaded"),
    "link_expired": (410, "the link has expired; ask the platform's legal team"),
}


def download_routes(app: FastAPI, units: Units) -> None:
    """Mount the download route."""

    @app.get(PREFIX + "{link}")
    async def download(link: str, request: Request) -> Response:
        """The approved package, once, for the authority that made the request (audited)."""
        try:
            async with units.transaction() as (legal, conn):
                authority = await require_authority(conn, request)
                outcome = await downloads.download(
                    legal, link, authority_id=authority, now=datetime.now(UTC)
                )
        except UnknownRequestError:
            raise HTTPException(404, "no package at this link") from None
        if outcome.refused is not None:
            metrics.DISCLOSURES.labels("download_refused").inc()
            status, message = _REFUSALS[outcome.refused]
            return JSONResponse({"detail": message, "code": outcome.refused}, status_code=status)
        metrics.DISCLOSURES.labels("downloaded").inc()
        return Response(outcome.package, media_type="application/octet-stream")
