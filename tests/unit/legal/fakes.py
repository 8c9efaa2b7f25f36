"""``Fake...`` implementations of legal's ports, for handler tests in milliseconds.

They keep what the PostgreSQL adapters keep, in dictionaries, and enforce the one rule the
handlers rely on an adapter for: a state move from a state the request is no longer in
fails. The database's own guards are tested against the real database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.legal.core.approval import Officer
from services.legal.core.audit import AuditEntry, AuditStep, DetailValue, append
from services.legal.core.checkpoint import Checkpoint
from services.legal.core.deadlines import Deadline
from services.legal.core.fieldcrypt import BlindIndex, FieldCipher, KeyRing, Sealed
from services.legal.core.identity import (
    AccountRow,
    CloseAccount,
    IdentityChange,
    InsertSession,
    OpenPhoneNumber,
    PhoneNumberRow,
    SessionRow,
    SetUsername,
    UpsertAccount,
)
from services.legal.core.lifecycle import RequestState, TransitionRefusedError
from services.legal.core.model import Authority, Scope
from services.legal.core.narrowing import Narrowing
from services.legal.core.rules import requested_scope
from services.legal.ports import (
    BuiltPackage,
    DueNotice,
    Legal,
    PackageAtLink,
    RunningPreservation,
    StoredRequest,
)
from shared.events.legal import DataCategory, LegalRequest
from shared.runtime.retention import RuleOutcome

KEY = bytes(range(32))


class FakeKeys:
    """``KeyStore`` with fixed test keys."""

    audit_origin = "crible.test/legal-audit"

    def __init__(self) -> None:
        self._cipher = FieldCipher(KeyRing({"t1": KEY}, "t1"))
        self._index = BlindIndex(KEY)
        self._platform = Ed25519PrivateKey.from_private_bytes(KEY)
        self._audit = KeyRing({"a1": bytes(reversed(KEY))}, "a1")

    def cipher(self) -> FieldCipher:
        return self._cipher

    def blind_index(self) -> BlindIndex:
        return self._index

    def platform_key(self) -> Ed25519PrivateKey:
        return self._platform

    def audit_ring(self) -> KeyRing:
        return self._audit


@dataclass
class _Request:
    request: LegalRequest
    state: RequestState
    refusals: list[dict[str, str]] = field(default_factory=list)
    document: tuple[bytes, str] = (b"", "application/pdf")
    deadline: Deadline | None = None
    checked_at: datetime | None = None
    answered_at: datetime | None = None
    narrowing: Narrowing | None = None
    automatic: bool = False
    prepared_by: str | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    package: BuiltPackage | None = None
    downloaded_at: datetime | None = None
    #: An officer's refusal: (officer, code, explanation), as the adapter seals it.
    explanation: tuple[str, str, str] | None = None


class FakeRequests:
    """``RequestStore`` in memory."""

    def __init__(self, authorities: Mapping[str, Authority] | None = None) -> None:
        self.rows: dict[uuid.UUID, _Request] = {}
        self.authorities = dict(authorities or {})

    def row(self, request_id: uuid.UUID) -> _Request:
        return self.rows[request_id]

    async def load(self, request_id: uuid.UUID, *, lock: bool = False) -> StoredRequest | None:
        row = self.rows.get(request_id)
        if row is None:
            return None
        return StoredRequest(row.request, row.state, [dict(r) for r in row.refusals])

    async def store_received(
        self, request: LegalRequest, *, document: bytes, media_type: str, deadline: Deadline
    ) -> None:
        self.rows[request.request_id] = _Request(
            request, RequestState.RECEIVED, document=(document, media_type), deadline=deadline
        )

    async def document(self, request_id: uuid.UUID) -> tuple[bytes, str] | None:
        row = self.rows.get(request_id)
        return None if row is None else row.document

    async def authority(self, authority_id: str) -> Authority | None:
        return self.authorities.get(authority_id)

    async def authority_encryption_key(self, authority_id: str) -> bytes | None:
        found = self.authorities.get(authority_id)
        return None if found is None else found.encryption_key

    async def record_checks(
        self,
        request_id: uuid.UUID,
        *,
        state: RequestState,
        refusals: Sequence[Mapping[str, str]],
        checked_at: datetime,
    ) -> None:
        row = self.rows[request_id]
        row.state, row.refusals, row.checked_at = state, [dict(r) for r in refusals], checked_at
        if state is RequestState.REFUSED:
            row.answered_at = checked_at

    async def set_state(
        self,
        request_id: uuid.UUID,
        state: RequestState,
        *,
        current: RequestState,
        answered_at: datetime | None = None,
    ) -> None:
        row = self.rows[request_id]
        if row.state is not current:
            raise TransitionRefusedError(current, state)
        row.state = state
        row.answered_at = answered_at or row.answered_at

    async def refuse(
        self,
        request_id: uuid.UUID,
        *,
        current: RequestState,
        refusals: Sequence[Mapping[str, str]],
        at: datetime,
    ) -> None:
        await self.set_state(request_id, RequestState.REFUSED, current=current, answered_at=at)
        self.rows[request_id].refusals = [dict(r) for r in refusals]

    async def record_refusal_explanation(
        self, request_id: uuid.UUID, officer: Officer, *, code: str, explanation: str
    ) -> None:
        row = self.rows[request_id]
        assert row.explanation is None  # a primary key in the table
        row.explanation = (officer.officer_id, code, explanation)

    async def expire_links(self) -> list[uuid.UUID]:
        now, expired = datetime.now(UTC), []
        for request_id, row in self.rows.items():
            package = row.package
            if row.state is RequestState.PACKAGE_READY and package and package.expires_at <= now:
                row.state = RequestState.LINK_EXPIRED
                expired.append(request_id)
        return expired

    async def current_scope(self, request: LegalRequest) -> tuple[Scope, bool]:
        row = self.rows[request.request_id]
        if row.narrowing is None:
            return requested_scope(request), False
        return row.narrowing.after, True

    async def record_narrowing(
        self, request_id: uuid.UUID, narrowing: Narrowing, *, automatic: bool = False
    ) -> None:
        self.rows[request_id].narrowing = narrowing
        self.rows[request_id].automatic = automatic

    async def record_preparation(self, request_id: uuid.UUID, officer: Officer) -> bool:
        row = self.rows[request_id]
        if row.prepared_by is not None:
            return False
        row.prepared_by = officer.officer_id
        return True

    async def preparer(self, request_id: uuid.UUID) -> str | None:
        return self.rows[request_id].prepared_by

    async def record_approval(
        self, request_id: uuid.UUID, officer: Officer, *, at: datetime
    ) -> None:
        row = self.rows[request_id]
        row.approved_by, row.approved_at = officer.officer_id, at

    async def store_package(self, request_id: uuid.UUID, package: BuiltPackage) -> None:
        self.rows[request_id].package = package

    async def package_at_link(self, link_hash: bytes) -> PackageAtLink | None:
        for request_id, row in self.rows.items():
            if row.package is not None and row.package.link_hash == link_hash:
                return PackageAtLink(
                    request_id=request_id,
                    authority_id=row.request.authority_id,
                    blob=row.package.blob,
                    expires_at=row.package.expires_at,
                    downloaded_at=row.downloaded_at,
                )
        return None

    async def mark_downloaded(self, request_id: uuid.UUID) -> None:
        row = self.rows[request_id]
        assert row.package is not None
        row.downloaded_at = datetime.now(UTC)
        row.package = replace(row.package, blob=b"")

    async def pending(self) -> list[dict[str, Any]]:
        return []

    async def status(self, request_id: uuid.UUID) -> dict[str, Any] | None:
        return None

    async def seconds_to_answer(self, request_id: uuid.UUID) -> float | None:
        return None


class FakePreservations:
    """``PreservationStore`` in memory."""

    def __init__(self) -> None:
        self.orders: dict[uuid.UUID, dict[str, Any]] = {}
        #: The instrument of each order's request (the adapter joins it from the request).
        self.instruments: dict[uuid.UUID, str] = {}
        #: The oldest session of each account (what the adapter reads from the sessions).
        self.oldest_sessions: dict[str, datetime] = {}

    async def start(
        self, request_id: uuid.UUID, *, user: str, starts_at: datetime, ends_at: datetime
    ) -> None:
        self.orders[request_id] = {
            "user": user, "starts_at": starts_at, "ends_at": ends_at, "extended_at": None,
            "lifted_at": None, "recorded": False,
        }  # fmt: skip

    async def running(self, request_id: uuid.UUID) -> RunningPreservation | None:
        order = self.orders.get(request_id)
        if order is None:
            return None
        return RunningPreservation(
            request_id=request_id,
            instrument=self.instruments.get(request_id, "eu_epoc_pr"),
            ends_at=order["ends_at"],
            extended_at=order["extended_at"],
            lifted_at=order["lifted_at"],
        )

    async def extend(self, request_id: uuid.UUID, *, ends_at: datetime) -> None:
        self.orders[request_id].update(ends_at=ends_at, extended_at=datetime.now(UTC))

    async def lift(self, request_id: uuid.UUID) -> bool:
        order = self.orders.get(request_id)
        if order is None or order["lifted_at"] is not None or order["recorded"]:
            return False
        order.update(lifted_at=datetime.now(UTC), recorded=True)
        return True

    async def record_ended(self, *, now: datetime) -> list[tuple[uuid.UUID, datetime]]:
        ended = []
        for request_id, order in self.orders.items():
            if order["ends_at"] <= now and order["lifted_at"] is None and not order["recorded"]:
                order["recorded"] = True
                ended.append((request_id, order["ends_at"]))
        return ended

    async def kept_since(self, user: str, *, now: datetime) -> tuple[datetime, datetime] | None:
        running = [
            o["starts_at"]
            for o in self.orders.values()
            if o["user"] == user and o["lifted_at"] is None and o["ends_at"] > now
        ]
        if not running:
            return None
        started = min(running)
        return started, self.oldest_sessions.get(user, started)


class FakeNotices:
    """``NoticeStore`` in memory."""

    def __init__(self) -> None:
        self.owed: dict[uuid.UUID, dict[str, Any]] = {}

    async def schedule(
        self, request_id: uuid.UUID, *, user: str, notify_after: datetime, delayed_by: str | None
    ) -> None:
        self.owed.setdefault(
            request_id,
            {"user": user, "after": notify_after, "delayed_by": delayed_by, "sent": None},
        )

    async def due(self, *, now: datetime, limit: int) -> list[DueNotice]:
        return [
            DueNotice(request_id, n["user"], n["delayed_by"], "FR", now)
            for request_id, n in self.owed.items()
            if n["sent"] is None and n["after"] <= now
        ][:limit]

    async def mark_sent(self, request_id: uuid.UUID, *, at: datetime) -> None:
        self.owed[request_id]["sent"] = at


class FakeIdentity:
    """``IdentityStore`` in memory: the sealed rows, as the adapter keeps them."""

    def __init__(self) -> None:
        self.accounts: dict[str, AccountRow] = {}
        self.usernames: dict[str, bytes] = {}
        self.phones: dict[str, list[tuple[PhoneNumberRow, bytes]]] = {}
        self.sessions: dict[str, dict[str, SessionRow]] = {}
        self.keys: dict[str, Sealed] = {}

    async def apply(self, changes: Sequence[IdentityChange]) -> None:
        for change in changes:
            self._apply(change)

    def _apply(self, change: IdentityChange) -> None:
        match change:
            case UpsertAccount():
                sealed = None if change.username is None else change.username.sealed
                self.accounts.setdefault(
                    change.platform_user_id,
                    AccountRow(change.platform_user_id, change.registered_at, None, sealed),
                )
                if change.username is not None:
                    self.usernames.setdefault(change.platform_user_id, change.username.index)
            case SetUsername():
                account = self.accounts[change.platform_user_id]
                sealed = None if change.username is None else change.username.sealed
                self.accounts[change.platform_user_id] = replace(account, username=sealed)
            case CloseAccount():
                account = self.accounts[change.platform_user_id]
                self.accounts[change.platform_user_id] = replace(
                    account, closed_at=account.closed_at or change.closed_at
                )
            case OpenPhoneNumber():
                rows = self.phones.setdefault(change.platform_user_id, [])
                if all(r.row_id != change.row_id for r, _ in rows):
                    rows.append(
                        (PhoneNumberRow(change.row_id, change.since, None, change.phone_number),
                         change.index)
                    )  # fmt: skip
            case InsertSession():
                self.sessions.setdefault(change.platform_user_id, {}).setdefault(
                    change.row_id,
                    SessionRow(change.row_id, change.observed_at, change.utc_offset_minutes,
                               change.address.pack()),
                )  # fmt: skip

    async def account_rows(
        self, platform_user_id: str, scope: Scope | None = None
    ) -> tuple[AccountRow, list[PhoneNumberRow], list[SessionRow]] | None:
        account = self.accounts.get(platform_user_id)
        if account is None:
            return None
        phones = [r for r, _ in self.phones.get(platform_user_id, [])]
        sessions = list(self.sessions.get(platform_user_id, {}).values())
        if scope is not None:
            sessions = [s for s in sessions if scope.covers(s.observed_at)]
            if DataCategory.IDENTIFICATION not in scope.categories:
                sessions = []
            if DataCategory.SUBSCRIBER not in scope.categories:
                phones = []
        return account, phones, sessions

    async def account_exists(self, platform_user_id: str) -> bool:
        return platform_user_id in self.accounts

    async def counts_in_scope(self, platform_user_id: str, scope: Scope) -> dict[str, int]:
        phones = [
            r
            for r, _ in self.phones.get(platform_user_id, [])
            if r.since <= scope.date_to and (r.until is None or r.until >= scope.date_from)
        ]
        sessions = self.sessions.get(platform_user_id, {}).values()
        covered = [s for s in sessions if scope.covers(s.observed_at)]
        return {"phone_numbers": len(phones), "sessions": len(covered)}

    async def users_by_phone_number(self, index: bytes) -> list[str]:
        return sorted(u for u, rows in self.phones.items() if any(i == index for _, i in rows))

    async def users_by_username(self, index: bytes) -> list[str]:
        return sorted(u for u, i in self.usernames.items() if i == index)

    async def account_keys(self, users: Sequence[str]) -> dict[str, Sealed]:
        return {u: self.keys[u] for u in users if u in self.keys}

    async def add_account_keys(self, wrapped: Mapping[str, Sealed]) -> None:
        for user, sealed in wrapped.items():
            self.keys.setdefault(user, sealed)


class FakeAudit:
    """``AuditChain`` in memory, keyed like the real one."""

    def __init__(self, ring: KeyRing, *, clock: Callable[[], datetime] | None = None) -> None:
        self.chain: list[AuditEntry] = []
        self.checkpoints: list[tuple[Checkpoint, str]] = []
        self._ring = ring
        self._clock = clock or (lambda: datetime.now(UTC))

    async def record(
        self,
        step: AuditStep,
        *,
        actor: str,
        request_id: str | None = None,
        details: Mapping[str, DetailValue] | None = None,
    ) -> AuditEntry:
        entry = append(
            self.chain[-1] if self.chain else None,
            ring=self._ring,
            recorded_at=self._clock(),
            request_id=request_id,
            step=step,
            actor=actor,
            details=details,
        )
        self.chain.append(entry)
        return entry

    async def entries(self, request_id: str | None = None) -> list[AuditEntry]:
        return [e for e in self.chain if request_id is None or e.request_id == request_id]

    async def entries_after(self, sequence: int) -> list[AuditEntry]:
        return [e for e in self.chain if e.sequence > sequence]

    async def head(self) -> AuditEntry | None:
        return self.chain[-1] if self.chain else None

    async def latest_checkpoint(self) -> Checkpoint | None:
        return self.checkpoints[-1][0] if self.checkpoints else None

    async def keep_checkpoint(self, checkpoint: Checkpoint, *, note: str) -> None:
        self.checkpoints.append((checkpoint, note))

    def steps(self, request_id: uuid.UUID | None = None) -> list[str]:
        return [
            e.step.value
            for e in self.chain
            if request_id is None or e.request_id == str(request_id)
        ]


class FakeRetention:
    """``RetentionStore`` that answers with given outcomes and keeps the runs it recorded."""

    def __init__(self, outcomes: Sequence[RuleOutcome], audit: FakeAudit) -> None:
        self.outcomes = list(outcomes)
        self.audit = audit
        self.asked: list[tuple[datetime, bool, int]] = []

    async def enforce(self, *, now: datetime, dry_run: bool, batch: int) -> list[RuleOutcome]:
        self.asked.append((now, dry_run, batch))
        return self.outcomes

    async def record_run(self, *, actor: str, details: Mapping[str, DetailValue]) -> None:
        await self.audit.record(AuditStep.RETENTION_RUN, actor=actor, details=details)


def fake_legal(authorities: Mapping[str, Authority] | None = None) -> Legal:
    """A unit of work over fresh fakes."""
    keys = FakeKeys()
    return Legal(
        requests=FakeRequests(authorities),
        preservations=FakePreservations(),
        notices=FakeNotices(),
        identity=FakeIdentity(),
        audit=FakeAudit(keys.audit_ring()),
        keys=keys,
    )
