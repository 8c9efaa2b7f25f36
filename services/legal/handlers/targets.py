"""Which account a request names, and since when its data is held for it."""

from __future__ import annotations

from datetime import datetime

from services.legal.core.errors import StepConflictError
from services.legal.core.policy import Policy
from services.legal.ports import Legal
from shared.events.legal import LegalRequest, TargetKind


async def resolve_target(legal: Legal, request: LegalRequest) -> str | None:
    """The one account the target names; None when the platform knows none.

    A recycled number may name several accounts: the officer asks the authority.
    """
    target, index = request.target, legal.keys.blind_index()
    if target.kind is TargetKind.PLATFORM_USER_ID:
        users = [target.value] if await legal.identity.account_exists(target.value) else []
    elif target.kind is TargetKind.PHONE_NUMBER:
        users = await legal.identity.users_by_phone_number(index.phone_number(target.value))
    else:
        users = await legal.identity.users_by_username(index.username(target.value))
    if not users:
        return None
    if len(users) != 1:
        raise StepConflictError(
            "target_not_unique", f"the target names {len(users)} accounts, not one"
        )
    return users[0]


async def preserved_since(
    legal: Legal, request: LegalRequest, *, policy: Policy, now: datetime
) -> datetime | None:
    """The oldest connection data a running preservation order keeps for the target.

    An order keeps everything the account had when it started (retention skips the account
    while it runs): from a year (the retention period) before its start, or the account's
    oldest session if retention had not yet removed it. None without a running order, or
    when the target names no single account.
    """
    try:
        user = await resolve_target(legal, request)
    except StepConflictError:
        return None
    if user is None:
        return None
    kept = await legal.preservations.kept_since(user, now=now)
    if kept is None:
        return None
    started, oldest = kept
    return min(started - policy.retention.connection_data, oldest)
