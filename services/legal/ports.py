"""What legal's handlers need from the outside world, as narrow interfaces.

``adapters/postgres`` implements them over one transaction; the unit tests fake them
(``tests/unit/legal/fakes.py``). A handler receives a :class:`Legal` unit of work: the ports
bound to one transaction and the events to publish if, and once, it commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.legal.core.approval import Officer
from services.legal.core.audit import AuditEntry, AuditStep, DetailValue
from services.legal.core.checkpoint import Checkpoint
from services.legal.core.deadlines import Deadline
from services.legal.core.fieldcrypt import BlindIndex, FieldCipher, FieldRef, KeyRing, Sealed
from services.legal.core.identity import AccountRow, IdentityChange, PhoneNumberRow, SessionRow
from services.legal.core.lifecycle import RequestState
from services.legal.core.model import Authority, Scope
from services.legal.core.narrowing import Narrowing
from services.legal.core.signatures import NonceStorePort
from shared.events.legal import LegalRequest
from shared.runtime.contract import Outbound
from shared.runtime.retention import RuleOutcome

__all__ = [
    "AuditChain", "BuiltPackage", "DueNotice", "IdentityStore", "KeyStore", "Legal",
    "NonceStorePort", "NoticeStore", "PackageAtLink", "PreservationStore", "RequestStore",
    "RetentionStore", "RotationStore", "RunningPreservation", "StoredRequest",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoredRequest:
    """A request opened from the store, with its state and the checks' refusals."""

    request: LegalRequest
    state: RequestState
    refusals: list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class BuiltPackage:
    """An approved package as it is kept until the authority downloads it."""

    blob: bytes
    built_at: datetime
    package_sha256: str
    link_hash: bytes
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class PackageAtLink:
    """The package a download link names, locked until the transaction ends."""

    request_id: uuid.UUID
    authority_id: str
    blob: bytes
    expires_at: datetime
    downloaded_at: datetime | None


@dataclass(frozen=True, slots=True)
class RunningPreservation:
    """A preservation order as stored."""

    request_id: uuid.UUID
    instrument: str
    ends_at: datetime
    extended_at: datetime | None
    lifted_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueNotice:
    """A user notice whose time has come (its request's package was downloaded)."""

    request_id: uuid.UUID
    platform_user_id: str
    delayed_by: str | None
    authority_country: str
    disclosed_at: datetime


class RequestStore(Protocol):
    """Requests, their documents, narrowings, approvals and packages."""

    async def load(self, request_id: uuid.UUID, *, lock: bool = False) -> StoredRequest | None:
        """The request opened, or None; ``lock`` holds it until the transaction ends."""
        ...

    async def store_received(
        self, request: LegalRequest, *, document: bytes, media_type: str, deadline: Deadline
    ) -> None:
        """Keep a verified request and its document, sealed, in state ``received``."""
        ...

    async def document(self, request_id: uuid.UUID) -> tuple[bytes, str] | None:
        """The request's legal document and its media type, opened."""
        ...

    async def authority(self, authority_id: str) -> Authority | None:
        """The registered authority, as it is registered now."""
        ...

    async def authority_encryption_key(self, authority_id: str) -> bytes | None:
        """The X25519 public key packages for the authority are encrypted to."""
        ...

    async def record_checks(
        self,
        request_id: uuid.UUID,
        *,
        state: RequestState,
        refusals: Sequence[Mapping[str, str]],
        checked_at: datetime,
    ) -> None:
        """The legal checks' verdict (a refusal also answers the request)."""
        ...

    async def set_state(
        self,
        request_id: uuid.UUID,
        state: RequestState,
        *,
        current: RequestState,
        answered_at: datetime | None = None,
    ) -> None:
        """Move the request from ``current`` to ``state`` (``answered_at``: answered now).

        Raises ``TransitionRefusedError`` if it is no longer in ``current``.
        """
        ...

    async def refuse(
        self,
        request_id: uuid.UUID,
        *,
        current: RequestState,
        refusals: Sequence[Mapping[str, str]],
        at: datetime,
    ) -> None:
        """An officer refuses an open request, with the reasons the authority will read."""
        ...

    async def record_refusal_explanation(
        self, request_id: uuid.UUID, officer: Officer, *, code: str, explanation: str
    ) -> None:
        """Keep an officer's explanation of their refusal, sealed (the authority reads it)."""
        ...

    async def expire_links(self) -> list[uuid.UUID]:
        """Requests whose package's link ran out untaken, moved to ``link_expired``."""
        ...

    async def current_scope(self, request: LegalRequest) -> tuple[Scope, bool]:
        """The scope to approve: the narrowed one if it was narrowed; and whether so."""
        ...

    async def record_narrowing(
        self, request_id: uuid.UUID, narrowing: Narrowing, *, automatic: bool = False
    ) -> None:
        """Keep the narrowed scope and its reason (sealed); ``automatic``: by the checks."""
        ...

    async def record_preparation(self, request_id: uuid.UUID, officer: Officer) -> bool:
        """``officer`` prepared the request; False if it was already prepared."""
        ...

    async def preparer(self, request_id: uuid.UUID) -> str | None:
        """Who prepared the request, if anyone did."""
        ...

    async def record_approval(
        self, request_id: uuid.UUID, officer: Officer, *, at: datetime
    ) -> None:
        """``officer`` approved the request at ``at``."""
        ...

    async def store_package(self, request_id: uuid.UUID, package: BuiltPackage) -> None:
        """Keep the approved package until it is downloaded."""
        ...

    async def package_at_link(self, link_hash: bytes) -> PackageAtLink | None:
        """The package a link names, locked; None if no package has that link."""
        ...

    async def mark_downloaded(self, request_id: uuid.UUID) -> None:
        """The authority took its package: erased here."""
        ...

    async def pending(self) -> list[dict[str, Any]]:
        """What officers work on: requests not yet approved, emergencies first."""
        ...

    async def status(self, request_id: uuid.UUID) -> dict[str, Any] | None:
        """What the authority may read of its request (state, times, refusals, package)."""
        ...

    async def seconds_to_answer(self, request_id: uuid.UUID) -> float | None:
        """From receipt to answer, once answered."""
        ...


class PreservationStore(Protocol):
    """Preservation orders: accounts frozen against retention."""

    async def start(
        self, request_id: uuid.UUID, *, user: str, starts_at: datetime, ends_at: datetime
    ) -> None:
        """Record a running order on ``user``'s account."""
        ...

    async def running(self, request_id: uuid.UUID) -> RunningPreservation | None:
        """The request's order, locked; None if it has none."""
        ...

    async def extend(self, request_id: uuid.UUID, *, ends_at: datetime) -> None:
        """The order now ends at ``ends_at`` (extended once)."""
        ...

    async def lift(self, request_id: uuid.UUID) -> bool:
        """End a running order now; False if none was running."""
        ...

    async def record_ended(self, *, now: datetime) -> list[tuple[uuid.UUID, datetime]]:
        """Orders whose time ran out and were not yet recorded: (request, end), marked now."""
        ...

    async def kept_since(self, user: str, *, now: datetime) -> tuple[datetime, datetime] | None:
        """When the oldest order running on the account started, and its oldest session.

        None when no order runs on ``user``'s account.
        """
        ...


class NoticeStore(Protocol):
    """Notices owed to users whose data was disclosed."""

    async def schedule(
        self, request_id: uuid.UUID, *, user: str, notify_after: datetime, delayed_by: str | None
    ) -> None:
        """Owe the user a notice from ``notify_after`` (once per request)."""
        ...

    async def due(self, *, now: datetime, limit: int) -> list[DueNotice]:
        """Notices due at ``now`` whose package was downloaded, locked."""
        ...

    async def mark_sent(self, request_id: uuid.UUID, *, at: datetime) -> None:
        """The notice went out."""
        ...


class IdentityStore(Protocol):
    """The sealed identity store: accounts, phone numbers, sessions."""

    async def apply(self, changes: Sequence[IdentityChange]) -> None:
        """Write ``changes`` in order (idempotent)."""
        ...

    async def account_rows(
        self, platform_user_id: str, scope: Scope | None = None
    ) -> tuple[AccountRow, list[PhoneNumberRow], list[SessionRow]] | None:
        """One account's sealed rows within ``scope``, or None if there is no such account."""
        ...

    async def account_exists(self, platform_user_id: str) -> bool:
        """Whether the store holds this account."""
        ...

    async def counts_in_scope(self, platform_user_id: str, scope: Scope) -> dict[str, int]:
        """How many of the account's rows ``scope`` would disclose, by kind (never a value)."""
        ...

    async def users_by_phone_number(self, index: bytes) -> list[str]:
        """The accounts that had a number, by its blind index."""
        ...

    async def users_by_username(self, index: bytes) -> list[str]:
        """The accounts whose current username has this blind index."""
        ...

    async def account_keys(self, users: Sequence[str]) -> dict[str, Sealed]:
        """The wrapped data keys of those of ``users`` that have one."""
        ...

    async def add_account_keys(self, wrapped: Mapping[str, Sealed]) -> None:
        """Keep new wrapped data keys (an account that already has one keeps it)."""
        ...


class AuditChain(Protocol):
    """The append-only, hash-chained audit log."""

    async def record(
        self,
        step: AuditStep,
        *,
        actor: str,
        request_id: str | None = None,
        details: Mapping[str, DetailValue] | None = None,
    ) -> AuditEntry:
        """Append one entry in the unit's transaction."""
        ...

    async def entries(self, request_id: str | None = None) -> list[AuditEntry]:
        """The chain in order (or one request's entries)."""
        ...

    async def entries_after(self, sequence: int) -> list[AuditEntry]:
        """The entries after ``sequence``, in order."""
        ...

    async def head(self) -> AuditEntry | None:
        """The newest entry, or None for an empty chain."""
        ...

    async def latest_checkpoint(self) -> Checkpoint | None:
        """The newest checkpoint this database kept (not trusted alone: see the topic)."""
        ...

    async def keep_checkpoint(self, checkpoint: Checkpoint, *, note: str) -> None:
        """Keep a signed checkpoint beside the chain (append-only)."""
        ...


class RetentionStore(Protocol):
    """Where the retention rules run (each batch its own transaction) and runs are recorded."""

    async def enforce(self, *, now: datetime, dry_run: bool, batch: int) -> list[RuleOutcome]:
        """Apply every rule at ``now``, or count what is due."""
        ...

    async def record_run(self, *, actor: str, details: Mapping[str, DetailValue]) -> None:
        """Put the run's counts on the audit chain."""
        ...


class RotationStore(Protocol):
    """The sealed columns, re-sealed a locked batch at a time."""

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table with a sealed column."""
        ...

    def by_account(self, table: str) -> bool:
        """Whether ``table``'s fields are sealed with their account's key."""
        ...

    async def accounts_due(self, table: str, *, limit: int) -> list[str]:
        """Accounts with rows of ``table`` not yet under their own key."""
        ...

    async def rotate(
        self,
        table: str,
        *,
        current: str,
        batch: int,
        reseal: Callable[[bytes, FieldRef, str], tuple[bytes, str]],
        accounts: Sequence[str] = (),
    ) -> int:
        """Re-seal up to ``batch`` due rows; how many.

        ``reseal`` takes the packed field, its place and its account ("" for none), and
        gives the packed field and its key id.
        """
        ...

    async def remaining(self, current: str) -> dict[str, int]:
        """Rows still due, by table."""
        ...


class KeyStore(Protocol):
    """The keys legal works with; they come from configuration, never from the database."""

    def cipher(self) -> FieldCipher:
        """The field cipher over the configured key ring."""
        ...

    def blind_index(self) -> BlindIndex:
        """The blind index of phone numbers and usernames."""
        ...

    def platform_key(self) -> Ed25519PrivateKey:
        """The platform's Ed25519 key (signs packages and audit checkpoints)."""
        ...

    def audit_ring(self) -> KeyRing:
        """The audit chain's HMAC keys (never in the database)."""
        ...

    @property
    def audit_origin(self) -> str:
        """The audit log's name in its signed checkpoints."""
        ...


@dataclass
class Legal:
    """One unit of work: the ports over one transaction, and the events it will publish."""

    requests: RequestStore
    preservations: PreservationStore
    notices: NoticeStore
    identity: IdentityStore
    audit: AuditChain
    keys: KeyStore
    events: list[Outbound] = field(default_factory=list)
    #: What to do once the unit committed (count business metrics exactly once).
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def emit(self, *events: Outbound) -> None:
        """Publish ``events`` if, and once, the unit commits."""
        self.events.extend(events)
