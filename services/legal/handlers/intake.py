"""The identity consumer: each event sealed and stored (``core.identity.changes_for``).

Invalid events never reach here: ``IdentityEvent`` validates and normalises phone numbers
(E.164) and IP addresses, and the runtime dead-letters a failing one with a reason naming
the field, never its value, and without its payload (``identity.events`` carries personal
data: see ``shared.runtime.deadletter``).
"""

from __future__ import annotations

from collections.abc import Sequence

from services.legal import metrics
from services.legal.core.identity import changes_for
from services.legal.ports import Legal
from shared.events.identity import IdentityEvent
from shared.runtime import Handled, Inbound


async def store_identity_events(legal: Legal, batch: Sequence[Inbound[IdentityEvent]]) -> Handled:
    """Seal and store each event, in order (one user's events share a partition)."""
    cipher, index = legal.keys.cipher(), legal.keys.blind_index()
    kinds: list[str] = []
    for inbound in batch:
        event = inbound.event.root
        await legal.identity.apply(changes_for(event, cipher=cipher, index=index))
        kinds.append(event.event_type.value)

    def count() -> None:
        for kind in kinds:
            metrics.IDENTITY_EVENTS.labels(kind).inc()

    return Handled((), after_commit=count)
