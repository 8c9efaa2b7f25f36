"""An authority's submission: signature verified, request kept sealed, its checks queued.

The portal (``adapters/http/portal.py``) parses the HTTP request; this module decides. Every
refusal and every step goes to the audit chain. A verified request is stored sealed with its
document in state ``received``, and a :class:`RequestReceived` (ids only) goes to
``legal.requests`` with the same commit: the legal checks run in the ``requests`` consumer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime

from services.legal.core.audit import AuditStep
from services.legal.core.deadlines import deadline_for
from services.legal.core.model import Authority, Refusal, RefusalCode
from services.legal.core.policy import Policy
from services.legal.core.signatures import Submission, Verified, verify_submission
from services.legal.ports import Legal, NonceStorePort
from shared.events.legal import LegalRequest, RequestReceived
from shared.runtime.contract import Outbound
from shared.topics import LEGAL_REQUESTS

#: The largest legal document accepted (a signed PDF of a few pages is well under it).
MAX_DOCUMENT = 4 * 1024 * 1024
#: Media types a legal document may have.
DOCUMENT_TYPES = frozenset({"application/pdf", "application/pkcs7-mime", "image/png", "image/jpeg"})


class DocumentError(ValueError):
    """The uploaded document cannot be kept as the request's document."""


def decode_document(encoded: str, *, sha256: str, media_type: str) -> bytes:
    """The document from its base64, checked against its stated hash, size and type."""
    try:
        document = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise DocumentError("document is not base64") from None
    if len(document) > MAX_DOCUMENT:
        raise DocumentError(f"document is larger than {MAX_DOCUMENT} bytes")
    if hashlib.sha256(document).hexdigest() != sha256:
        raise DocumentError("document does not match document_sha256")
    if media_type not in DOCUMENT_TYPES:
        raise DocumentError(
            "document_media_type is not one of " + ", ".join(sorted(DOCUMENT_TYPES))
        )
    return document


async def verify(
    legal: Legal,
    submission: Submission,
    *,
    authority: Authority | None,
    nonces: NonceStorePort,
    now: datetime,
) -> Verified | Refusal:
    """The submission's signature, timestamp and nonce; a refusal is audited."""
    verified = await verify_submission(submission, authority=authority, nonces=nonces, now=now)
    if not isinstance(verified, Verified):
        await legal.audit.record(
            AuditStep.SIGNATURE_REFUSED,
            actor=authority.authority_id if authority else "unknown",
            details={"code": verified.code.value},
        )
    return verified


async def refuse_principal(legal: Legal) -> None:
    """An officer's token on the authorities' route: refused, and audited like a forgery."""
    await legal.audit.record(
        AuditStep.SIGNATURE_REFUSED,
        actor="unknown",
        details={"code": RefusalCode.NOT_AN_AUTHORITY.value},
    )


async def signature_verified(
    legal: Legal, *, authority_id: str, request_id: str, body: bytes
) -> None:
    """Audit a verified signature, naming the body it covers by its hash."""
    await legal.audit.record(
        AuditStep.SIGNATURE_VERIFIED,
        actor=authority_id,
        request_id=request_id,
        details={"body_sha256": hashlib.sha256(body).hexdigest()},
    )


async def refuse_invalid(legal: Legal, *, request_id: str, fields: list[str]) -> None:
    """A signed body that is no valid request: audited with the fields at fault."""
    await legal.audit.record(
        AuditStep.CHECKS_REFUSED,
        actor="portal",
        request_id=request_id,
        details={"invalid_fields": " ".join(fields)[:200]},
    )


async def receive(
    legal: Legal, request: LegalRequest, *, document: bytes, media_type: str, policy: Policy
) -> None:
    """Keep the request sealed, due by its deadline, and queue its legal checks."""
    await legal.requests.store_received(
        request,
        document=document,
        media_type=media_type,
        deadline=deadline_for(request, policy.deadlines),
    )
    await legal.audit.record(
        AuditStep.RECEIVED,
        actor="portal",
        request_id=str(request.request_id),
        details={
            "instrument": request.instrument.value,
            "emergency": request.emergency,
            "document_sha256": request.document_sha256,
        },
    )
    received = RequestReceived(
        schema_version=1,
        request_id=request.request_id,
        authority_id=request.authority_id,
        instrument=request.instrument,
        emergency=request.emergency,
        document_sha256=request.document_sha256,
        received_at=request.received_at,
    )
    key = str(request.request_id).encode()
    legal.emit(Outbound(LEGAL_REQUESTS.name, key, received.model_dump_json().encode()))
