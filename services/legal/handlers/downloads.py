"""The authority fetches its package through a one-time link that expires.

A download needs the link and the authority's own token; the first one succeeds, and the
package is erased from the platform as it leaves (only the authority could open it anyway).
A second download, an expired link or another authority is refused, and the refusal is
audited and committed like a success.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.legal.core.audit import AuditStep
from services.legal.core.errors import UnknownRequestError
from services.legal.core.lifecycle import RequestState
from services.legal.core.links import link_hash
from services.legal.handlers.disclosure_events import disclosure_event
from services.legal.ports import Legal
from shared.events.legal import DisclosureEventType


@dataclass(frozen=True, slots=True)
class Download:
    """The package, or the code of a refusal (committed: refusals are audited)."""

    package: bytes | None = None
    refused: str | None = None


async def download(legal: Legal, link: str, *, authority_id: str, now: datetime) -> Download:
    """The package behind ``link`` for ``authority_id``, once, before the link expires."""
    found = await legal.requests.package_at_link(link_hash(link))
    if found is None:
        raise UnknownRequestError
    rid = str(found.request_id)
    refusal = None
    if found.authority_id != authority_id:
        refusal = "other_authority"
    elif found.downloaded_at is not None:
        refusal = "already_downloaded"
    elif found.expires_at <= now:
        refusal = "link_expired"
    if refusal == "link_expired":
        await expire_links(legal)
    if refusal is not None:
        await legal.audit.record(
            AuditStep.DOWNLOAD_REFUSED,
            actor=authority_id,
            request_id=rid,
            details={"code": refusal},
        )
        return Download(refused=refusal)
    await legal.requests.mark_downloaded(found.request_id)
    await legal.requests.set_state(
        found.request_id, RequestState.DOWNLOADED, current=RequestState.PACKAGE_READY
    )
    await legal.audit.record(AuditStep.DOWNLOADED, actor=authority_id, request_id=rid)
    stored = await legal.requests.load(found.request_id)
    if stored is not None:
        legal.emit(disclosure_event(DisclosureEventType.DOWNLOADED, stored.request))
    return Download(package=found.blob)


async def expire_links(legal: Legal) -> int:
    """Packages whose link ran out untaken: the request moves to ``link_expired``, audited."""
    expired = await legal.requests.expire_links()
    for request_id in expired:
        await legal.audit.record(AuditStep.LINK_EXPIRED, actor="legal", request_id=str(request_id))
    return len(expired)
