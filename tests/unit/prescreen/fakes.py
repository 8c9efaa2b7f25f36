"""In-memory implementations of prescreen's ports, for its handlers' unit tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from uuid import UUID

from services.prescreen.core.screening_state import CaseScreening
from services.prescreen.ports import BankHashRow, ShadowRow, VerdictRow
from shared.events.screening import BankDefined, BankRemoved, HashRemoved


class FakeScreeningStore:
    """Implements ScreeningStorePort with dicts, keeping the database's idempotence rules."""

    def __init__(self) -> None:
        self.states: dict[UUID, CaseScreening] = {}
        self.verdicts: dict[UUID, VerdictRow] = {}
        self.shadows: dict[UUID, ShadowRow] = {}
        self.locked: list[list[UUID]] = []

    async def lock_and_load(self, case_ids: Sequence[UUID]) -> dict[UUID, CaseScreening]:
        self.locked.append(sorted(set(case_ids)))
        return {c: self.states[c] for c in case_ids if c in self.states}

    async def save(
        self,
        states: Sequence[CaseScreening],
        verdicts: Sequence[VerdictRow],
        shadows: Sequence[ShadowRow],
    ) -> None:
        for verdict in verdicts:
            self.verdicts.setdefault(verdict.verdict_id, verdict)
        for shadow in shadows:
            self.shadows.setdefault(shadow.verdict_id, shadow)
        for new in states:
            old = self.states.get(new.case_id)
            if old is None or (old.revision, old.report_count) < (new.revision, new.report_count):
                self.states[new.case_id] = new


class FakeBankStore:
    """Implements BankStorePort: what was written, in order, and the offsets reached."""

    def __init__(self) -> None:
        self.written: list[BankHashRow | BankDefined | BankRemoved | HashRemoved] = []
        self.offsets: dict[int, int] = {}

    async def add_hashes(self, rows: Sequence[BankHashRow]) -> None:
        self.written.extend(rows)

    async def change(self, update: BankDefined | BankRemoved | HashRemoved) -> None:
        self.written.append(update)

    async def advance(self, offsets: Mapping[int, int]) -> None:
        for partition, offset in offsets.items():
            self.offsets[partition] = max(self.offsets.get(partition, 0), offset)
