"""The narrow interfaces dispatch's handlers need (``adapters/postgres`` implements them).

Handlers take these and plain values, call the core and return events; unit tests hand them
the ``Fake...`` implementations in ``tests/unit/dispatch/fakes.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from services.dispatch.core.decisions import Outcome
from services.dispatch.core.lifecycle import State
from services.dispatch.core.ranking import CaseFacts, Rank
from services.dispatch.core.review import Decision, ReviewCase
from shared.events.decisions import StatementIssued
from shared.events.reports import Category, ReportAccepted, Subject
from shared.events.screening import ScreeningVerdict, Severity
from shared.events.surge import SurgeSignal

#: A case revision: (case id, revision).
Key = tuple[uuid.UUID, int]


# --- What the ports carry ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnownCase:
    """What the queue holds of a case revision when a verdict arrives."""

    report_count: int
    state: State
    automatic_action_id: uuid.UUID | None
    #: When the case revision entered the queue: its age, kept through every new verdict.
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class QueuedVerdict:
    """A verdict as the queue keeps it: new, or updating its case revision in place."""

    verdict: ScreeningVerdict
    raw: bytes
    #: The state a new row enters in, and the state a known one takes.
    entry_state: State
    state: State
    action_id: uuid.UUID | None
    opened_at: datetime
    due_at: datetime
    rank: Rank
    #: What acts on the subject before any person: the automatic removal's outcome.
    in_force: Outcome | None
    now: datetime


@dataclass(frozen=True, slots=True)
class Preservation:
    """The evidence of a case revision to keep before anything is removed."""

    case: Key
    category: Category
    action_id: uuid.UUID
    subject: Mapping[str, Any]
    matches: Sequence[Mapping[str, Any]]
    preserved_at: datetime


@dataclass(frozen=True, slots=True)
class WaitingCase:
    """A case revision not yet settled, as re-ranking needs it."""

    key: Key
    subject_key: str
    severity: Severity
    confidence: float
    report_count: int
    reporter_count: int
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A decision as stored, with the ids the pure model does not carry."""

    decision_id: uuid.UUID
    decision: Decision
    action_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class StoredCase:
    """A locked case revision: the pure model and what events and statements need."""

    case: ReviewCase
    subject: Subject
    decisions: tuple[StoredDecision, ...]
    #: The category reporters chose (the model's is screening's).
    reported_category: str
    automatic_action_id: uuid.UUID | None
    opened_at: datetime
    #: The verdict's screeners, as published.
    screeners: tuple[Mapping[str, Any], ...]

    def action_in_force(self) -> uuid.UUID | None:
        """The enforcement action now acting on the subject: the last one issued."""
        for stored in reversed(self.decisions):
            if stored.decision.final and stored.action_id is not None:
                return stored.action_id
            if stored.decision.final and stored.decision.outcome is Outcome.NO_VIOLATION:
                return None  # a person lifted everything
        return self.automatic_action_id

    def last_final(self) -> StoredDecision | None:
        """The final decision in force, if any."""
        return next((d for d in reversed(self.decisions) if d.decision.final), None)


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A decision to store."""

    decision_id: uuid.UUID
    case: Key
    reviewer_id: str
    outcome: Outcome
    policy_reason: str
    explanation: str
    final: bool
    decided_at: datetime
    action_id: uuid.UUID | None
    reverses: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class AppealRecord:
    """An appeal to store."""

    appeal_id: uuid.UUID
    case: Key
    decision_id: uuid.UUID
    reason: str
    filed_by: str


@dataclass(frozen=True, slots=True)
class ReporterWeight:
    """A reporter's stored trust weight and when it last moved."""

    reporter_id: str
    weight: float
    updated_at: datetime


class SubmitStatus(StrEnum):
    """What became of one statement sent to the Transparency Database."""

    SUBMITTED = "submitted"
    #: Its PUID was already used: stored by an earlier call.
    DUPLICATE = "duplicate"
    #: The server (or the local check) refused it; retrying will not help: dead-letter it.
    REJECTED = "rejected"
    #: Not stored for a reason that may pass (rate limit, outage, token): retry later.
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The fate of one statement, with the server's words when it was not stored."""

    puid: str
    status: SubmitStatus
    reason: str | None = None


# --- The ports ---------------------------------------------------------------------------------


class CaseFactsSource(Protocol):
    """What ranking reads besides the verdict."""

    async def facts(
        self, keys: Sequence[Key], reporter_counts: Mapping[Key, int], now: datetime
    ) -> dict[Key, CaseFacts]:
        """Each case revision's facts from its stored reports and reporters' weights."""
        ...

    async def surges(self, subjects: Iterable[str]) -> dict[str, tuple[int, int]]:
        """The largest viral and coordinated burst seen on each subject."""
        ...


class StatementStore(Protocol):
    """Where issued statements wait for their submission."""

    async def keep_statements(self, statements: Sequence[StatementIssued]) -> None:
        """Store statements as pending (a repeat changes nothing)."""
        ...


class EvidenceStore(Protocol):
    """Where preserved evidence is kept for the authorities."""

    async def preserve(self, evidence: Sequence[Preservation]) -> None:
        """Keep the evidence of each case revision (the first preservation stands)."""
        ...


class VerdictStore(CaseFactsSource, StatementStore, EvidenceStore, Protocol):
    """The queue as intake sees it."""

    async def known(self, keys: Sequence[Key]) -> dict[Key, KnownCase]:
        """The case revisions the queue holds among ``keys``, locked."""
        ...

    async def save_verdicts(self, queued: Sequence[QueuedVerdict]) -> None:
        """Insert each case revision, or update it in place, in order."""
        ...


class RankStore(CaseFactsSource, Protocol):
    """The queue as re-ranking sees it."""

    async def waiting(self, keys: Sequence[Key]) -> list[WaitingCase]:
        """The case revisions among ``keys`` not yet settled, locked."""
        ...

    async def of_subjects(self, subjects: Sequence[str]) -> list[Key]:
        """The case revisions not yet settled on these subjects."""
        ...

    async def save_ranks(self, ranks: Sequence[tuple[Key, Rank]]) -> None:
        """Store new ranks (a case's age never changes)."""
        ...


class FollowerStore(RankStore, Protocol):
    """What the reports, surges and outcomes consumers keep."""

    async def store_reports(self, reports: Sequence[ReportAccepted]) -> None:
        """Keep each report once."""
        ...

    async def add_to_evidence(self, reports: Sequence[ReportAccepted]) -> None:
        """Add these reports to the preserved evidence of their case revisions, if any."""
        ...

    async def store_surges(self, signals: Sequence[SurgeSignal], now: datetime) -> None:
        """Keep the largest figures of each signal."""
        ...

    async def first_weighing(self, decision_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
        """Mark decisions as weighed; those not weighed before."""
        ...

    async def reporters_of(self, key: Key) -> list[str]:
        """The distinct reporters of a case revision, in a fixed order."""
        ...

    async def lock_weights(self, reporter_ids: Sequence[str], at: datetime) -> list[ReporterWeight]:
        """Each reporter's weight (neutral if new), locked in a fixed order."""
        ...

    async def set_weights(self, weights: Sequence[ReporterWeight], *, confirmed: bool) -> None:
        """Store moved weights and count the confirmation or rejection."""
        ...


class ReviewStore(StatementStore, EvidenceStore, Protocol):
    """Decisions and appeals on stored cases."""

    async def decision(self, decision_id: uuid.UUID) -> tuple[Key, bool] | None:
        """A recorded decision's case revision and finality, if it exists."""
        ...

    async def appeal_case(self, appeal_id: uuid.UUID) -> Key | None:
        """A recorded appeal's case revision, if it exists."""
        ...

    async def load(self, key: Key) -> StoredCase | None:
        """The case revision, locked for this transaction."""
        ...

    async def save(self, case: ReviewCase) -> None:
        """Write the case's review state back."""
        ...

    async def record_decision(self, decision: DecisionRecord) -> None:
        """Store a decision."""
        ...

    async def close_appeal(self, key: Key, decision_id: uuid.UUID) -> None:
        """Mark the open appeal of a case revision as decided by ``decision_id``."""
        ...

    async def record_appeal(self, appeal: AppealRecord) -> None:
        """Store an appeal."""
        ...


class StatementLedger(Protocol):
    """Statements' submission status."""

    async def settled(self, puids: Sequence[str]) -> set[str]:
        """The PUIDs among these that need no sending (stored, duplicate or rejected)."""
        ...

    async def record(self, outcomes: Sequence[tuple[StatementIssued, SubmitResult]]) -> None:
        """Store each statement's fate (a failed one is not recorded)."""
        ...


class StatementSubmitter(Protocol):
    """The Transparency Database."""

    async def submit(self, statements: Sequence[Mapping[str, Any]]) -> list[SubmitResult]:
        """Send statements; one result each, in order."""
        ...
