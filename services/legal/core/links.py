"""A package's one-time download link: derived, never stored; only its hash is kept.

The link's secret is a keyed HMAC (the blind-index key) of the request and the package's
hash: the portal can show it to the authority again, and the database holds only its
SHA-256, enough to find the package and not enough to rebuild the link.
"""

from __future__ import annotations

import base64
import hashlib
import uuid

from services.legal.core.fieldcrypt import BlindIndex

PREFIX = "/v1/packages/"


def link_secret(index: BlindIndex, request_id: uuid.UUID, package_sha256: str) -> str:
    """The secret part of a package's link (URL-safe)."""
    digest = index.digest("package_link", f"{request_id}:{package_sha256}")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_hash(secret: str) -> bytes:
    """What is stored of a link: enough to find the package, not to rebuild the link."""
    return hashlib.sha256(secret.encode()).digest()


def package_link(index: BlindIndex, request_id: uuid.UUID, package_sha256: str) -> str:
    """The path the authority downloads its package from."""
    return PREFIX + link_secret(index, request_id, package_sha256)
