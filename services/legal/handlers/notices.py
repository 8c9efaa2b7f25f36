"""Telling users their data was disclosed, when the law lets the platform tell them.

A notice is owed once a package has reached the authority (state ``disclosed``). It goes
at once, unless the request carries a non-disclosure order (until its end date) or was an
emergency (until ``emergency_notice_delay_days`` have passed, the emergency being over);
the later of the two wins. The sender (a periodic task) puts a :class:`UserNotification` on
``user.notifications`` with the platform user id and nothing more personal, and each step
(delayed, notified) is on the audit chain.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from services.legal import metrics
from services.legal.adapters.postgres import audit_log as auditlog
from services.legal.adapters.postgres.requests import current_scope, load
from services.legal.config import LegalSettings
from services.legal.core.audit import AuditStep
from shared.db import Connection
from shared.events.legal import LegalRequest
from shared.events.notifications import NoticeKind, UserNotification
from shared.publisher import Outbound
from shared.runtime.emit import Emitter
from shared.topics import USER_NOTIFICATIONS

_NAMESPACE = uuid.UUID("6f1d3a4e-4c1b-4d8e-9a53-2b7c8f0e1d21")


def notify_after(
    request: LegalRequest, *, disclosed_at: datetime, emergency_delay: timedelta
) -> tuple[datetime, str | None]:
    """When the user may be told, and what delays it (None: nothing)."""
    when, why = disclosed_at, None
    if request.emergency:
        when, why = disclosed_at + emergency_delay, "emergency"
    if request.non_disclosure_until is not None:
        # The order runs to the end of its last day (UTC).
        order_ends = datetime.combine(request.non_disclosure_until, time.max, tzinfo=UTC)
        if order_ends > when:
            when, why = order_ends, "non_disclosure_order"
    return when, why


async def schedule(
    conn: Connection,
    request: LegalRequest,
    user: str,
    *,
    disclosed_at: datetime,
    settings: LegalSettings,
) -> None:
    """Owe the user a notice for ``request`` (sent once the package was downloaded)."""
    when, why = notify_after(
        request,
        disclosed_at=disclosed_at,
        emergency_delay=timedelta(days=settings.emergency_notice_delay_days),
    )
    await conn.execute(
        """INSERT INTO legal.notices (request_id, platform_user_id, notify_after, delayed_by)
           VALUES ($1, $2, $3, $4) ON CONFLICT (request_id) DO NOTHING""",
        request.request_id,
        user,
        when,
        why,
    )
    if why is not None:
        await auditlog.record(
            conn,
            AuditStep.NOTICE_DELAYED,
            actor="legal",
            request_id=str(request.request_id),
            details={"until": when.date().isoformat(), "reason": why},
        )


async def collect_due(
    conn: Connection, settings: LegalSettings, *, now: datetime
) -> list[tuple[Outbound, str]]:
    """Mark the notices due at ``now`` sent (in the caller's transaction) and audit them.

    Returns each notice's event with what delayed it ("none" if nothing), for the caller
    to publish with its commit (the outbox).
    """
    rows = await conn.fetch(
        """SELECT n.request_id, n.platform_user_id, n.delayed_by, a.country, ap.approved_at
           FROM legal.notices n JOIN legal.requests r USING (request_id)
           JOIN legal.authorities a USING (authority_id)
           JOIN legal.approvals ap USING (request_id)
           WHERE n.sent_at IS NULL AND n.notify_after <= $1 AND r.state = 'disclosed'
           ORDER BY n.notify_after LIMIT 500 FOR UPDATE OF n SKIP LOCKED""",
        now,
    )
    cipher = settings.cipher()
    due: list[tuple[Outbound, str]] = []
    for row in rows:
        stored = await load(conn, row["request_id"], cipher)
        assert stored is not None  # noqa: S101 - joined above
        scope, _ = await current_scope(conn, stored.request)
        notice = UserNotification(
            schema_version=1,
            notification_id=uuid.uuid5(_NAMESPACE, str(row["request_id"])),
            kind=NoticeKind.LEGAL_DISCLOSURE,
            platform_user_id=row["platform_user_id"],
            instrument=stored.request.instrument,
            categories=tuple(sorted(scope.categories)),
            authority_country=row["country"],
            disclosed_at=row["approved_at"],
            delayed=row["delayed_by"] is not None,
            sent_at=now,
        )
        key = row["platform_user_id"].encode()
        due.append(
            (
                Outbound(USER_NOTIFICATIONS.name, key, notice.model_dump_json().encode()),
                row["delayed_by"] or "none",
            )
        )
        await conn.execute(
            "UPDATE legal.notices SET sent_at = $2 WHERE request_id = $1", row["request_id"], now
        )
        await auditlog.record(
            conn,
            AuditStep.USER_NOTIFIED,
            actor="legal",
            request_id=str(row["request_id"]),
            details={"delayed_by": row["delayed_by"]},
        )
    return due


async def send_due(emitter: Emitter, settings: LegalSettings, *, now: datetime) -> int:
    """Send every notice due at ``now`` whose package was delivered; how many."""
    async with emitter.transaction() as tx:
        due = await collect_due(tx.conn, settings, now=now)
        tx.emit(*(event for event, _ in due))
    for _, delayed_by in due:
        metrics.NOTICES_SENT.labels(delayed_by).inc()
    return len(due)
