"""Bank updates in, written to the bank tables with the offsets they reach."""

from __future__ import annotations

from collections.abc import Sequence

from services.prescreen.core.banks import normalise_hash
from services.prescreen.ports import BankHashRow, BankStorePort
from shared.events.screening import BankUpdate, HashAdded
from shared.runtime import Handled, Inbound


async def store_updates(batch: Sequence[Inbound[BankUpdate]], *, store: BankStorePort) -> Handled:
    """Write a batch of bank updates in order, and the next offset of each partition."""
    offsets: dict[int, int] = {}
    added: list[BankHashRow] = []  # a run of additions, written together (an import is many)
    for inbound in batch:
        update = inbound.event.root
        if isinstance(update, HashAdded):
            added.append(hash_row(update))
        else:
            await store.add_hashes(added)
            added = []
            await store.change(update)
        offsets[inbound.partition] = max(offsets.get(inbound.partition, 0), inbound.offset + 1)
    await store.add_hashes(added)
    await store.advance(offsets)
    return Handled(())


def hash_row(update: HashAdded) -> BankHashRow:
    """The stored form of an addition; a value that is not such a hash is refused."""
    digest = normalise_hash(update.algorithm, update.hash)
    if digest is None:
        raise ValueError(f"not a {update.algorithm.value} hash")
    return BankHashRow(update.bank, update.algorithm.value, digest, update.quality)
