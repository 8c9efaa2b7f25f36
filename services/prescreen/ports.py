"""What prescreen's handlers need from storage, as interfaces."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from services.prescreen.core.screening_state import CaseScreening
from shared.events.screening import BankDefined, BankRemoved, HashRemoved


@dataclass(frozen=True, slots=True)
class VerdictRow:
    """A published verdict, as stored."""

    verdict_id: UUID
    case_id: UUID
    case_revision: int
    case_event_id: UUID
    route: str
    screened_category: str
    severity: str
    priority_hint: int
    policy_name: str
    policy_version: int
    qa_sample: bool
    screened_at: datetime
    body: str


@dataclass(frozen=True, slots=True)
class ShadowRow:
    """What the shadow policy decided beside a published verdict."""

    verdict_id: UUID
    policy_name: str
    policy_version: int
    route: str
    screened_category: str
    severity: str
    priority_hint: int
    agrees: bool
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class BankHashRow:
    """A hash added to a bank, as stored (``digest``: the hash's bytes)."""

    bank: str
    algorithm: str
    digest: bytes
    quality: int | None


class ScreeningStorePort(Protocol):
    """Case screening states, verdicts and shadow decisions, inside one transaction."""

    async def lock_and_load(self, case_ids: Sequence[UUID]) -> dict[UUID, CaseScreening]:
        """The cases' last screened states, held until the transaction ends."""
        ...

    async def save(
        self,
        states: Sequence[CaseScreening],
        verdicts: Sequence[VerdictRow],
        shadows: Sequence[ShadowRow],
    ) -> None:
        """Store the new case states, verdicts and shadow decisions (idempotently)."""


class BankStorePort(Protocol):
    """Bank definitions and hashes, and how far into the updates topic they reach."""

    async def add_hashes(self, rows: Sequence[BankHashRow]) -> None:
        """Store a run of additions (a bank not yet defined is created without a kind)."""

    async def change(self, update: BankDefined | BankRemoved | HashRemoved) -> None:
        """Define or remove a bank, or remove a hash from one."""

    async def advance(self, offsets: Mapping[int, int]) -> None:
        """Record the next offset of each partition (never moving one back)."""
