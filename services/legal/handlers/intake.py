"""The identity consumer: each event sealed with its account's key and stored.

Invalid events never reach here: ``IdentityEvent`` validates and normalises phone numbers
(E.164) and IP addresses, and the runtime dead-letters a failing one with a reason naming
the field, never its value, and without its payload (``identity.events`` carries personal
data: see ``shared.runtime.deadletter``).
"""

from __future__ import annotations

from collections.abc import Sequence

from services.legal import metrics
from services.legal.core.identity import changes_for
from services.legal.handlers.account_keys import AccountKeys
from services.legal.ports import Legal
from shared.events.identity import IdentityEvent
from shared.runtime import Handled, Inbound


async def store_identity_events(
    legal: Legal, batch: Sequence[Inbound[IdentityEvent]], *, keys: AccountKeys
) -> Handled:
    """Seal each event with its account's data key and store it, in order.

    One user's events share a partition, so they arrive in the order they were sent.
    """
    index = legal.keys.blind_index()
    sealers = await keys.for_users(legal, (i.event.root.platform_user_id for i in batch))
    kinds: list[str] = []
    for inbound in batch:
        event = inbound.event.root
        sealer = sealers[event.platform_user_id]
        await legal.identity.apply(changes_for(event, cipher=sealer, index=index))
        kinds.append(event.event_type.value)

    def count() -> None:
        for kind in kinds:
            metrics.IDENTITY_EVENTS.labels(kind).inc()

    return Handled((), after_commit=count)
