"""Who holds a portal token (authorities' and officers', stored as SHA-256), and used nonces."""

from __future__ import annotations

import hashlib
from datetime import datetime

from services.legal.adapters.postgres.requests_store import authority_from_row
from services.legal.core.approval import Officer, OfficerRole
from services.legal.core.model import Authority
from shared.db import Connection


def token_hash(token: str) -> bytes:
    """What is stored of a portal token (long random strings: a fast hash suffices)."""
    return hashlib.sha256(token.encode()).digest()


class PostgresPrincipals:
    """Token lookups over ``legal.authorities`` and ``legal.officers``."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def authority(self, token: str) -> Authority | None:
        """The active authority holding ``token``."""
        row = await self._conn.fetchrow(
            "SELECT * FROM legal.authorities WHERE token_hash = $1 AND active", token_hash(token)
        )
        return None if row is None else authority_from_row(row)

    async def officer(self, token: str) -> Officer | None:
        """The active officer holding ``token``."""
        row = await self._conn.fetchrow(
            "SELECT officer_id, roles FROM legal.officers WHERE token_hash = $1 AND active",
            token_hash(token),
        )
        if row is None:
            return None
        roles = frozenset(OfficerRole(r) for r in row["roles"])
        # The token goes along as the officer's proof: the database checks it on approvals.
        return Officer(row["officer_id"], roles, proof=token)


class PostgresNonces:
    """``NonceStorePort`` over ``legal.nonces`` (expired ones are dropped as new ones come)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def claim(self, authority_id: str, nonce: str, *, expires_at: datetime) -> bool:
        """Record ``nonce``; False if the authority used it before (a replay)."""
        await self._conn.execute("DELETE FROM legal.nonces WHERE expires_at < now()")
        claimed = await self._conn.fetchval(
            """INSERT INTO legal.nonces (authority_id, nonce, expires_at) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING RETURNING 1""",
            authority_id,
            nonce,
            expires_at,
        )
        return claimed is not None
