"""The authority fetches its package through a one-time link that expires.

The link's secret is derived (keyed HMAC of the request and the package's hash, with the
blind-index key) rather than stored: the portal shows it to the requesting authority on the
request's status page, and stores only its SHA-256 to find the package. A download needs
the link and the authority's own token; the first one succeeds, and the package is erased
from the platform as it leaves (only the authority could open it anyway). A second
download, an expired link or another authority's token is refused and audited.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from services.legal import metrics
from services.legal.adapters.http.principals import require_authority
from services.legal.adapters.postgres import audit_log as auditlog
from services.legal.adapters.postgres.requests import load
from services.legal.config import LegalSettings
from services.legal.core.audit import AuditStep
from services.legal.handlers.disclosure_events import disclosure_event
from shared.events.legal import DisclosureEventType
from shared.runtime.emit import Emitter

PREFIX = "/v1/packages/"


def link_secret(settings: LegalSettings, request_id: uuid.UUID, package_sha256: str) -> str:
    """The secret part of a package's link (URL-safe)."""
    digest = settings.blind_index().digest("package_link", f"{request_id}:{package_sha256}")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_hash(secret: str) -> bytes:
    """What is stored of a link: enough to find the package, not to rebuild the link."""
    return hashlib.sha256(secret.encode()).digest()


def package_link(settings: LegalSettings, request_id: uuid.UUID, package_sha256: str) -> str:
    """The path the authority downloads its package from."""
    return PREFIX + link_secret(settings, request_id, package_sha256)


def download_routes(app: FastAPI, emitter: Emitter) -> None:
    """``GET /v1/packages/{link}``: the package, once, before the link expires."""

    @app.get(PREFIX + "{link}")
    async def download(link: str, request: Request) -> Response:
        """The approved package, once, for the authority that made the request (audited)."""
        refusal: tuple[int, str] | None = None
        async with emitter.transaction() as tx:
            conn = tx.conn
            authority = await require_authority(conn, request)
            row = await conn.fetchrow(
                """SELECT p.request_id, p.blob, p.expires_at, p.downloaded_at, r.authority_id
                   FROM legal.packages p JOIN legal.requests r USING (request_id)
                   WHERE p.link_hash = $1 FOR UPDATE OF p""",
                link_hash(link),
            )
            if row is None:
                raise HTTPException(404, "no package at this link")
            rid = row["request_id"]
            if row["authority_id"] != authority:
                refusal = (403, "other_authority")
            elif row["downloaded_at"] is not None:
                refusal = (410, "already_downloaded")
            elif row["expires_at"] <= datetime.now(UTC):
                refusal = (410, "link_expired")
            if refusal is not None:
                await auditlog.record(
                    conn,
                    AuditStep.DOWNLOAD_REFUSED,
                    actor=authority,
                    request_id=str(rid),
                    details={"code": refusal[1]},
                )
            else:
                blob = bytes(row["blob"])
                await conn.execute(
                    """UPDATE legal.packages SET downloads = downloads + 1, downloaded_at = now(),
                           blob = ''::bytea WHERE request_id = $1""",
                    rid,
                )
                await conn.execute(
                    "UPDATE legal.requests SET state = 'disclosed' WHERE request_id = $1", rid
                )
                await auditlog.record(
                    conn, AuditStep.DOWNLOADED, actor=authority, request_id=str(rid)
                )
                stored = await load(conn, rid, LegalSettings().cipher())
                assert stored is not None  # noqa: S101 - joined above
                tx.emit(disclosure_event(DisclosureEventType.DOWNLOADED, stored.request))
        if refusal is not None:
            metrics.DISCLOSURES.labels("download_refused").inc()
            messages = {
                "other_authority": "this package is for another authority",
                "already_downloaded": "the package was already downloaded",
                "link_expired": "the link has expired; ask the platform's legal team",
            }
            return JSONResponse(
                {"detail": messages[refusal[1]], "code": refusal[1]}, status_code=refusal[0]
            )
        metrics.DISCLOSURES.labels("downloaded").inc()
        return Response(blob, media_type="application/octet-stream")
