"""Who is calling the portal: an authority or a legal officer, each with a bearer token.

No token, or one nobody holds, is 401; a valid token of the wrong kind or without the role
a route needs is 403: an authority never reaches an officer's route, nor the reverse.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from services.legal.adapters.postgres.principals import PostgresPrincipals
from services.legal.core.approval import Officer, OfficerRole
from shared.db import Connection


def bearer(request: Request) -> str | None:
    """The bearer token the request carries, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" and token else None


async def require_authority(conn: Connection, request: Request) -> str:
    """The calling authority's id; 401 without a valid token, 403 for an officer's."""
    token, principals = bearer(request), PostgresPrincipals(conn)
    if token is not None:
        found = await principals.authority(token)
        if found is not None:
            return found.authority_id
        if await principals.officer(token) is not None:
            raise HTTPException(403, "this route is for authorities, not legal officers")
    raise HTTPException(401, "an authority's bearer token is required")


async def require_officer(conn: Connection, request: Request, *roles: OfficerRole) -> Officer:
    """The calling officer; 401 without a valid token, 403 for an authority or a wrong role.

    With ``roles``, the officer must hold one of them; without, any legal role will do.
    """
    token, principals = bearer(request), PostgresPrincipals(conn)
    if token is not None:
        officer = await principals.officer(token)
        if officer is not None:
            needed = frozenset(roles) or frozenset(OfficerRole)
            if officer.roles & needed:
                return officer
            wanted = " or ".join(sorted(r.value for r in needed))
            raise HTTPException(403, f"this route needs the role {wanted}")
        if await principals.authority(token) is not None:
            raise HTTPException(403, "this route is for legal officers, not authorities")
    raise HTTPException(401, "a legal officer's bearer token is required")
