"""Console sessions: a random cookie, stored hashed, with a CSRF token per session.

Signing in exchanges a reviewer's token (``crible reviewers token``) for a session: the
cookie is ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site sends it)
and ``Secure`` when the console is served over TLS. Every form carries the session's CSRF
token, checked on every POST; sessions end after 8 hours (a shift), at sign-out, or when
the reviewer is disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from services.dispatch.adapters.postgres import queue
from services.dispatch.core.reviewers import Reviewer
from shared.console.web import same_token
from shared.db import Connection

COOKIE = "crible_session"
LIFETIME = timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in reviewer and the CSRF token of their forms."""

    reviewer: Reviewer
    csrf: str

    def csrf_ok(self, submitted: str | None) -> bool:
        """Whether a form's token is this session's (compared in constant time)."""
        return same_token(submitted, self.csrf)


def _hash(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


async def open_session(conn: Connection, reviewer: Reviewer) -> str:
    """A new session for ``reviewer``; the cookie's value (shown once, stored hashed)."""
    value = secrets.token_urlsafe(32)
    await conn.execute(
        """INSERT INTO dispatch.sessions (session_hash, reviewer_id, csrf_token, created_at,
               expires_at)
           VALUES ($1, $2, $3, now(), now() + $4::interval)""",
        _hash(value),
        reviewer.id,
        secrets.token_urlsafe(32),
        LIFETIME,
    )
    # Expired sessions go as new ones come: the table stays small without a job.
    await conn.execute("DELETE FROM dispatch.sessions WHERE expires_at < now()")
    return value


async def find_session(conn: Connection, value: str | None) -> Session | None:
    """The live session of a cookie, if its reviewer is still active."""
    if not value:
        return None
    row = await conn.fetchrow(
        """SELECT s.csrf_token, r.* FROM dispatch.sessions s
           JOIN dispatch.reviewers r USING (reviewer_id)
           WHERE s.session_hash = $1 AND s.expires_at > now() AND r.active""",
        _hash(value),
    )
    if row is None:
        return None
    return Session(queue.reviewer_of(row), row["csrf_token"])


async def close_session(conn: Connection, value: str | None) -> None:
    """Sign out: the cookie stops working at once."""
    if value:
        await conn.execute("DELETE FROM dispatch.sessions WHERE session_hash = $1", _hash(value))
