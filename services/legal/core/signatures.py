"""Authenticity of an authority's submission: an Ed25519 signature over a canonical input.

The authority signs, with the private key whose public half it registered, the lines::

    crible-legal-request-v1
    <METHOD>
    <path with query>
    <timestamp: integer seconds since the Unix epoch>
    <nonce>
    <SHA-256 of the body, lower-case hex>

and sends the timestamp, nonce and base64 signature in headers. A submission is refused,
with a reason code, if any part is missing or malformed, the signature does not verify, the
timestamp is outside the skew window, or the nonce was used before. Emergency requests get
exactly the same verification: forged "emergency" requests from compromised police mailboxes
are the known attack, so nothing here even knows whether a request is an emergency.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.legal.core.model import Authority, Refusal, RefusalCode


class NonceStorePort(Protocol):
    """Nonces already used by each authority, remembered until their signature expires."""

    async def claim(self, authority_id: str, nonce: str, *, expires_at: datetime) -> bool:
        """Record ``nonce`` for the authority; False if it was already recorded (a replay)."""
        ...


SCHEME = b"crible-legal-request-v1"
#: How far a signature's timestamp may be from the portal's clock, either way.
DEFAULT_SKEW = timedelta(minutes=5)
_ARTICLE = "DSA art. 10 (the order identifies its issuer); portal authentication"
_NONCE = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,10}$")  # up to the year 2286: fits a datetime
_METHOD = re.compile(r"^[A-Z]{3,7}$")
_PATH = re.compile(r"^/[\x21-\x7e]*$")  # printable, no spaces or line breaks


@dataclass(frozen=True, slots=True)
class Submission:
    """An HTTP submission as the portal received it; header values ``None`` when absent."""

    method: str
    path: str
    body: bytes
    timestamp: str | None
    nonce: str | None
    signature: str | None  # base64


@dataclass(frozen=True, slots=True)
class Verified:
    """An authentic, fresh, first-time submission from ``authority_id``."""

    authority_id: str
    signed_at: datetime
    nonce: str


def signing_input(*, method: str, path: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    """The exact bytes an authority signs."""
    return b"\n".join(
        (
            SCHEME,
            method.encode(),
            path.encode(),
            str(timestamp).encode(),
            nonce.encode(),
            hashlib.sha256(body).hexdigest().encode(),
        )
    )


def sign(
    key: Ed25519PrivateKey, *, method: str, path: str, timestamp: int, nonce: str, body: bytes
) -> str:
    """The base64 signature an authority's client sends (what the portal's users implement)."""
    message = signing_input(method=method, path=path, timestamp=timestamp, nonce=nonce, body=body)
    return base64.b64encode(key.sign(message)).decode()


def _refuse(code: RefusalCode, detail: str) -> Refusal:
    return Refusal(code, _ARTICLE, detail)


async def verify_submission(
    submission: Submission,
    *,
    authority: Authority | None,
    nonces: NonceStorePort,
    now: datetime,
    skew: timedelta = DEFAULT_SKEW,
) -> Verified | Refusal:
    """Whether ``authority`` (as its token identified it) really sent ``submission``, just now."""
    if authority is None:
        return _refuse(RefusalCode.AUTHORITY_UNKNOWN, "no registered authority for the credentials")
    signed_at = _authenticate(submission, authority)
    if isinstance(signed_at, Refusal):
        return signed_at
    if signed_at < now - skew:
        return _refuse(RefusalCode.TIMESTAMP_EXPIRED, f"signed more than {skew} ago")
    if signed_at > now + skew:
        return _refuse(RefusalCode.TIMESTAMP_IN_FUTURE, f"signed more than {skew} ahead")
    nonce = submission.nonce or ""
    # Claimed only once authentic: nobody else can burn an authority's nonces. Remembered
    # for as long as the timestamp could still pass, after which the window refuses a replay.
    if not await nonces.claim(authority.authority_id, nonce, expires_at=now + 2 * skew):
        return _refuse(RefusalCode.NONCE_REPLAYED, "this nonce was already used")
    return Verified(authority.authority_id, signed_at, nonce)


def _authenticate(submission: Submission, authority: Authority) -> datetime | Refusal:
    """When the authority signed the submission, if its signature verifies."""
    if submission.timestamp is None or submission.nonce is None or submission.signature is None:
        return _refuse(RefusalCode.SIGNATURE_MISSING, "timestamp, nonce and signature are required")
    parsed = _parse(submission)
    if isinstance(parsed, Refusal):
        return parsed
    timestamp, signature = parsed
    message = signing_input(
        method=submission.method,
        path=submission.path,
        timestamp=timestamp,
        nonce=submission.nonce,
        body=submission.body,
    )
    try:
        Ed25519PublicKey.from_public_bytes(authority.signing_key).verify(signature, message)
    except InvalidSignature:
        return _refuse(RefusalCode.SIGNATURE_INVALID, "signature does not match the registered key")
    return datetime.fromtimestamp(timestamp, UTC)


def _parse(submission: Submission) -> tuple[int, bytes] | Refusal:
    """The timestamp and raw signature, or why they are malformed (values never echoed)."""
    if _METHOD.fullmatch(submission.method) is None or _PATH.fullmatch(submission.path) is None:
        return _refuse(RefusalCode.SIGNATURE_MALFORMED, "method or path cannot be signed")
    if _TIMESTAMP.fullmatch(submission.timestamp or "") is None:
        return _refuse(RefusalCode.SIGNATURE_MALFORMED, "timestamp must be integer epoch seconds")
    if _NONCE.fullmatch(submission.nonce or "") is None:
        return _refuse(RefusalCode.SIGNATURE_MALFORMED, "nonce must be 16-64 of [A-Za-z0-9_-]")
    try:
        signature = base64.b64decode(submission.signature or "", validate=True)
    except (binascii.Error, ValueError):
        return _refuse(RefusalCode.SIGNATURE_MALFORMED, "signature is not base64")
    if len(signature) != 64:
        return _refuse(RefusalCode.SIGNATURE_MALFORMED, "an Ed25519 signature is 64 bytes")
    return int(submission.timestamp or "0"), signature
