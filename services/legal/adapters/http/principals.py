"""Who is calling the portal: an authority or a legal officer, each with a bearer token.

Tokens are stored hashed (SHA-256; they are long random strings, so a fast hash suffices).
No token, or one nobody holds, is 401; a valid token of the wrong kind or without the role
a route needs is 403: an authority never reaches an officer's route, nor the reverse.
"""

from __future__ import annotations

import hashlib

from fastapi import HTTPException, Request

from services.legal.core.approval import Officer, OfficerRole
from shared.db import Connection


def token_hash(token: str) -> bytes:
    """What is stored of a portal token (authorities' and officers')."""
    return hashlib.sha256(token.encode()).digest()


def bearer(request: Request) -> str | None:
    """The bearer token the request carries, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


async def _authority_id(conn: Connection, token: str) -> str | None:
    found: str | None = await conn.fetchval(
        "SELECT authority_id FROM legal.authorities WHERE token_hash = $1 AND active",
        token_hash(token),
    )
    return found


async def _officer(conn: Connection, token: str) -> Officer | None:
    row = await conn.fetchrow(
        "SELECT officer_id, roles FROM legal.officers WHERE token_hash = $1 AND active",
        token_hash(token),
    )
    if row is None:
        return None
    return Officer(row["officer_id"], frozenset(OfficerRole(r) for r in row["roles"]))


async def require_authority(conn: Connection, request: Request) -> str:
    """The calling authority's id; 401 without a valid token, 403 for an officer's."""
    token = bearer(request)
    if token is not None:
        found = await _authority_id(conn, token)
        if found is not None:
            return found
        if await _officer(conn, token) is not None:
            raise HTTPException(403, "this route is for authorities, not legal officers")
    raise HTTPException(401, "an authority's bearer token is required")


async def require_officer(conn: Connection, request: Request, *roles: OfficerRole) -> Officer:
    """The calling officer; 401 without a valid token, 403 for an authority or a wrong role.

    With ``roles``, the officer must hold one of them; without, any legal role will do.
    """
    token = bearer(request)
    if token is not None:
        officer = await _officer(conn, token)
        if officer is not None:
            needed = frozenset(roles) or frozenset(OfficerRole)
            if officer.roles & needed:
                return officer
            wanted = " or ".join(sorted(r.value for r in needed))
            raise HTTPException(403, f"this route needs the role {wanted}")
        if await _authority_id(conn, token) is not None:
            raise HTTPException(403, "this route is for legal officers, not authorities")
    raise HTTPException(401, "a legal officer's bearer token is required")
