"""Every worker's banks kept current with ``hashbanks.updates`` (the runtime's follower).

A worker starting up loads the tables and the offsets they reflect in one snapshot, then
the runtime follows the topic from exactly there in every worker (outside any group), so a
hash added while it runs is matched by the next case it screens, and nothing is applied
twice or missed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from services.prescreen import metrics
from services.prescreen.core.banks import BankSet
from shared.events.screening import BankUpdate


async def apply_updates(updates: Sequence[BankUpdate], *, banks: BankSet) -> None:
    """Apply the updates to this worker's banks, off the event loop, and count them."""
    changes = [update.root for update in updates]
    await asyncio.to_thread(banks.apply, changes)
    for change in changes:
        metrics.BANK_UPDATES.labels(change.type).inc()
    record_sizes(banks)


def record_sizes(banks: BankSet) -> None:
    """Export the banks' sizes and when they last changed."""
    metrics.BANK_LAST_UPDATE.set(time.time())
    sizes = banks.sizes()
    for name, size in sizes.items():
        metrics.BANK_HASHES.labels(name).set(size)
    for name in _EXPORTED - sizes.keys():  # a removed bank leaves no stale series
        metrics.BANK_HASHES.remove(name)
    _EXPORTED.clear()
    _EXPORTED.update(sizes)


#: Banks whose size is exported.
_EXPORTED: set[str] = set()
