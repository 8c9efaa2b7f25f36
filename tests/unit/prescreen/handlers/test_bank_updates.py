"""Writing bank updates, against a fake bank store: order kept, offsets advanced."""

from __future__ import annotations

import json
from collections.abc import Mapping

from services.prescreen.handlers.bank_updates import store_updates
from services.prescreen.ports import BankHashRow
from shared.events.screening import BankUpdate
from shared.runtime import Inbound
from tests.unit.prescreen.fakes import FakeBankStore

SHA = "ab" * 32


def inbound(update: Mapping[str, object], *, partition: int, offset: int) -> Inbound[BankUpdate]:
    raw = json.dumps({"schema_version": 1, **update}).encode()
    return Inbound(
        BankUpdate.model_validate_json(raw), "hashbanks.updates", partition, offset, None, raw, None
    )


def added(bank: str, value: str, offset: int) -> Inbound[BankUpdate]:
    update = {"type": "hash.added", "bank": bank, "algorithm": "sha256", "hash": value}
    return inbound(update, partition=0, offset=offset)


async def test_updates_are_written_in_order_with_the_offsets_they_reach() -> None:
    store = FakeBankStore()
    defined = inbound(
        {"type": "bank.defined", "bank": "b", "kind": "block", "category": "spam"},
        partition=1,
        offset=7,
    )
    removed = inbound({"type": "bank.removed", "bank": "b"}, partition=0, offset=3)
    batch = [added("b", SHA, 1), defined, added("b", "cd" * 32, 2), removed]
    await store_updates(batch, store=store)
    assert store.written == [
        BankHashRow("b", "sha256", bytes.fromhex(SHA), None),
        defined.event.root,
        BankHashRow("b", "sha256", bytes.fromhex("cd" * 32), None),
        removed.event.root,
    ]
    assert store.offsets == {0: 4, 1: 8}
