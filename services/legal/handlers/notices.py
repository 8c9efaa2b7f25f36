"""Telling users their data was disclosed, when the law lets the platform tell them.

A notice is owed once a package has reached the authority (state ``disclosed``). It goes
at once, unless the request carries a non-disclosure order (until its end date) or was an
emergency (until the configured delay has passed, the emergency being over); the later of
the two wins (``core.notices``). The scheduled task puts a :class:`UserNotification` on
``user.notifications`` with the platform user id and nothing more personal, and each step
(delayed, notified) is on the audit chain.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from services.legal.core.audit import AuditStep
from services.legal.core.notices import notify_after
from services.legal.core.policy import Policy
from services.legal.ports import Legal
from shared.events.legal import LegalRequest
from shared.events.notifications import NoticeKind, UserNotification
from shared.runtime.contract import Outbound
from shared.topics import USER_NOTIFICATIONS

_NAMESPACE = uuid.UUID("6f1d3a4e-4c1b-4d8e-9a53-2b7c8f0e1d21")
#: Notices sent per round (the rest wait for the next one).
BATCH = 500


async def schedule(
    legal: Legal, request: LegalRequest, user: str, *, disclosed_at: datetime, policy: Policy
) -> None:
    """Owe the user a notice for ``request`` (sent once the package was downloaded)."""
    when, why = notify_after(
        request, disclosed_at=disclosed_at, emergency_delay=policy.emergency_notice_delay
    )
    await legal.notices.schedule(request.request_id, user=user, notify_after=when, delayed_by=why)
    if why is not None:
        await legal.audit.record(
            AuditStep.NOTICE_DELAYED,
            actor="legal",
            request_id=str(request.request_id),
            details={"until": when.date().isoformat(), "reason": why},
        )


async def send_due(legal: Legal, *, now: datetime) -> list[str]:
    """Mark the notices due at ``now`` sent, audit them and emit them; what delayed each."""
    delayed: list[str] = []
    for due in await legal.notices.due(now=now, limit=BATCH):
        stored = await legal.requests.load(due.request_id)
        if stored is None:
            continue  # joined in the query: cannot happen
        scope, _ = await legal.requests.current_scope(stored.request)
        notice = UserNotification(
            schema_version=1,
            notification_id=uuid.uuid5(_NAMESPACE, str(due.request_id)),
            kind=NoticeKind.LEGAL_DISCLOSURE,
            platform_user_id=due.platform_user_id,
            instrument=stored.request.instrument,
            categories=tuple(sorted(scope.categories)),
            authority_country=due.authority_country,
            disclosed_at=due.disclosed_at,
            delayed=due.delayed_by is not None,
            sent_at=now,
        )
        legal.emit(
            Outbound(
                USER_NOTIFICATIONS.name,
                due.platform_user_id.encode(),
                notice.model_dump_json().encode(),
            )
        )
        delayed.append(due.delayed_by or "none")
        await legal.notices.mark_sent(due.request_id, at=now)
        await legal.audit.record(
            AuditStep.USER_NOTIFIED,
            actor="legal",
            request_id=str(due.request_id),
            details={"delayed_by": due.delayed_by},
        )
    return delayed
