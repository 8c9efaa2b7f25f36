"""Officers' console sessions: the token once, then a session the database itself checks.

Signing in takes the officer's token once; the database opens the session only with it
(``legal.guard_officer_sessions`` checks it and never keeps it) and keeps only the SHA-256
of the session's random secret, which only the browser holds, in an ``HttpOnly``,
``SameSite=Strict`` cookie (``Secure`` behind TLS). That secret is the officer's proof on
every preparation and approval (``legal.guard_officer_proof``): with the service's
database credentials alone, nobody can act as a signed-in officer. A session lasts a
working day (the table allows 12 hours at most), ends at sign-out, and stops working as
soon as the officer is deactivated. Each form carries a CSRF token derived from the
session's secret (an HMAC of it: nothing to store, nothing another site can compute).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from services.legal.core.approval import Officer, OfficerRole
from shared.console.web import same_token
from shared.db import Connection

COOKIE = "crible_legal_session"
LIFETIME = timedelta(hours=10)
_CSRF_LABEL = b"crible-legal-console-csrf-v1"


@dataclass(frozen=True, slots=True)
class OfficerSession:
    """A signed-in officer (the session's secret as their proof) and their forms' token."""

    officer: Officer
    name: str
    csrf: str

    def csrf_ok(self, submitted: str | None) -> bool:
        """Whether a form's token is this session's."""
        return same_token(submitted, self.csrf)

    def has(self, role: OfficerRole) -> bool:
        """Whether the officer holds ``role``."""
        return role in self.officer.roles


def session_hash(secret: str) -> bytes:
    """What the database keeps of a session's secret (as ``guard_officer_proof`` hashes it)."""
    return hashlib.sha256(secret.encode()).digest()


def csrf_token(secret: str) -> str:
    """The CSRF token of a session's forms."""
    return hmac.new(secret.encode(), _CSRF_LABEL, hashlib.sha256).hexdigest()


async def open_session(conn: Connection, officer_id: str, token: str) -> str:
    """A new session for the officer who holds ``token``; its secret (shown once)."""
    secret = secrets.token_urlsafe(32)
    await conn.execute(
        """INSERT INTO legal.officer_sessions (session_hash, officer_id, expires_at,
               sign_in_proof)
           VALUES ($1, $2, now() + $3::interval, $4)""",
        session_hash(secret),
        officer_id,
        LIFETIME,
        token,
    )
    return secret


async def find_session(conn: Connection, secret: str | None) -> OfficerSession | None:
    """The live session of a cookie, if its officer is active with a legal role."""
    if not secret:
        return None
    row = await conn.fetchrow(
        """SELECT o.officer_id, o.name, o.roles FROM legal.officer_sessions s
           JOIN legal.officers o USING (officer_id)
           WHERE s.session_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now()
             AND o.active""",
        session_hash(secret),
    )
    if row is None:
        return None
    roles = frozenset(OfficerRole(r) for r in row["roles"] if r in set(OfficerRole))
    if not roles:
        return None
    officer = Officer(row["officer_id"], roles, proof=secret)
    return OfficerSession(officer, row["name"], csrf_token(secret))


async def end_session(conn: Connection, secret: str | None) -> None:
    """Sign out: the session stops proving anything at once."""
    if secret:
        await conn.execute(
            """UPDATE legal.officer_sessions SET ended_at = now()
               WHERE session_hash = $1 AND ended_at IS NULL""",
            session_hash(secret),
        )
