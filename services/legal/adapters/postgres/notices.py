"""User notices in ``legal.notices``: owed once a package was disclosed, sent when due."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.legal.ports import DueNotice
from shared.db import Connection


class PostgresNotices:
    """``NoticeStore`` in the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def schedule(
        self, request_id: uuid.UUID, *, user: str, notify_after: datetime, delayed_by: str | None
    ) -> None:
        """Owe the user a notice (once per request)."""
        await self._conn.execute(
            """INSERT INTO legal.notices (request_id, platform_user_id, notify_after, delayed_by)
               VALUES ($1, $2, $3, $4) ON CONFLICT (request_id) DO NOTHING""",
            request_id,
            user,
            notify_after,
            delayed_by,
        )

    async def due(self, *, now: datetime, limit: int) -> list[DueNotice]:
        """Notices due whose package was downloaded, locked (others skip them)."""
        rows = await self._conn.fetch(
            """SELECT n.request_id, n.platform_user_id, n.delayed_by, a.country, ap.approved_at
               FROM legal.notices n JOIN legal.requests r USING (request_id)
               JOIN legal.authorities a USING (authority_id)
               JOIN legal.approvals ap USING (request_id)
               WHERE n.sent_at IS NULL AND n.notify_after <= $1 AND r.state = 'downloaded'
               ORDER BY n.notify_after LIMIT $2 FOR UPDATE OF n SKIP LOCKED""",
            now,
            limit,
        )
        return [
            DueNotice(
                request_id=r["request_id"],
                platform_user_id=r["platform_user_id"],
                delayed_by=r["delayed_by"],
                authority_country=r["country"],
                disclosed_at=r["approved_at"],
            )
            for r in rows
        ]

    async def mark_sent(self, request_id: uuid.UUID, *, at: datetime) -> None:
        """The notice went out."""
        await self._conn.execute(
            "UPDATE legal.notices SET sent_at = $2 WHERE request_id = $1", request_id, at
        )
