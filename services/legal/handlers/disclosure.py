"""Disclosures: the two-person rule, then exactly the data the instrument allows, sealed.

A legal officer prepares an accepted request (they have read it and the document); a second,
different officer approves it (``core.approval.approval_refusal``, and the database refuses it
too). Approval resolves the target to one account (by platform id, or by the blind index of a
phone number or username), opens its sealed rows, keeps only the approved categories within
the approved period (``core.package.minimise``) and builds the package
(``core.package.build_package``). Every step is on the audit chain, with counts, never values.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from services.legal.core.approval import Officer, approval_refusal
from services.legal.core.audit import AuditStep
from services.legal.core.errors import (
    InvalidStepError,
    NotAllowedError,
    StepConflictError,
    UnknownRequestError,
)
from services.legal.core.fieldcrypt import FieldOpener
from services.legal.core.identity import open_record
from services.legal.core.lifecycle import RequestState, TransitionRefusedError, may_move
from services.legal.core.links import link_hash, link_secret
from services.legal.core.narrowing import Narrowing, NarrowingError, narrow
from services.legal.core.package import PackageHeader, build_package, minimise
from services.legal.core.policy import Policy
from services.legal.core.rules import PRESERVATION_INSTRUMENTS, Accepted
from services.legal.handlers import notices, preservation
from services.legal.handlers.account_keys import AccountKeys
from services.legal.handlers.checks import check_stored
from services.legal.handlers.disclosure_events import disclosure_event
from services.legal.handlers.targets import resolve_target
from services.legal.ports import BuiltPackage, Legal, StoredRequest
from shared.events.legal import DataCategory, DisclosureEventType, LegalRequest

S = RequestState


async def _request(legal: Legal, request_id: uuid.UUID) -> StoredRequest:
    stored = await legal.requests.load(request_id, lock=True)
    if stored is None:
        raise UnknownRequestError
    return stored


def _conflict(stored: StoredRequest, wanted: RequestState) -> StepConflictError:
    """The step cannot be taken in the request's state (``core.lifecycle``)."""
    refused = TransitionRefusedError(stored.state, wanted)
    return StepConflictError("wrong_state", str(refused))


async def prepare(legal: Legal, request_id: uuid.UUID, officer: Officer) -> None:
    """``officer`` prepares an accepted request for a second officer's approval."""
    stored = await _request(legal, request_id)
    if stored.state is S.PREPARED:
        raise StepConflictError("already_prepared", "the request is already prepared")
    if not may_move(stored.state, S.PREPARED):
        raise _conflict(stored, S.PREPARED)
    if not await legal.requests.record_preparation(request_id, officer):
        raise StepConflictError("already_prepared", "the request is already prepared")
    await legal.requests.set_state(request_id, S.PREPARED, current=stored.state)
    await legal.audit.record(
        AuditStep.REVIEWED, actor=officer.officer_id, request_id=str(request_id)
    )


async def narrow_request(
    legal: Legal,
    request_id: uuid.UUID,
    officer: Officer,
    *,
    policy: Policy,
    now: datetime,
    reason: str,
    categories: list[DataCategory] | None,
    date_from: datetime | None,
    date_to: datetime | None,
) -> dict[str, object]:
    """Narrow an accepted, not yet approved request; the narrower scope is checked again."""
    stored = await _request(legal, request_id)
    if not may_move(stored.state, S.NARROWED):
        raise _conflict(stored, S.NARROWED)
    request = stored.request
    scope, _ = await legal.requests.current_scope(request)
    try:
        narrowing: Narrowing = narrow(
            scope,
            officer_id=officer.officer_id,
            reason=reason,
            categories=categories,
            date_from=date_from,
            date_to=date_to,
        )
    except NarrowingError as error:
        raise InvalidStepError("invalid_narrowing", str(error)) from None
    # Held to the same law, under the configured retention periods, as the request was.
    verdict = await check_stored(legal, request, policy=policy, now=now, scope=narrowing.after)
    if not isinstance(verdict, Accepted):
        codes = ",".join(sorted(c.value for c in verdict.codes))
        raise InvalidStepError("narrowed_scope_refused", f"the law refuses it: {codes}")
    await legal.requests.record_narrowing(request_id, narrowing)
    if stored.state is not S.NARROWED:
        await legal.requests.set_state(request_id, S.NARROWED, current=stored.state)
    after = narrowing.after
    await legal.audit.record(
        AuditStep.NARROWED,
        actor=officer.officer_id,
        request_id=str(request_id),
        details={
            "categories": " ".join(sorted(c.value for c in after.categories)),
            "removed": " ".join(sorted(c.value for c in narrowing.removed_categories)) or None,
            "date_from": after.date_from.date().isoformat(),
            "date_to": after.date_to.date().isoformat(),
            "reason_sha256": hashlib.sha256(narrowing.reason.encode()).hexdigest(),
        },
    )
    return {
        "categories": sorted(c.value for c in after.categories),
        "date_from": after.date_from.isoformat(),
        "date_to": after.date_to.isoformat(),
    }


async def _no_data(legal: Legal, request: LegalRequest) -> None:
    request_id = request.request_id
    await legal.requests.set_state(request_id, S.NO_DATA, current=S.APPROVED)
    rid = str(request_id)
    await legal.audit.record(
        AuditStep.PACKAGE_BUILT, actor="portal", request_id=rid, details={"no_data": True}
    )
    legal.emit(disclosure_event(DisclosureEventType.NO_DATA, request))


async def approve(
    legal: Legal, request_id: uuid.UUID, officer: Officer, *, policy: Policy, now: datetime
) -> dict[str, int]:
    """The second officer approves: the package is built; what it holds, counted."""
    stored = await _request(legal, request_id)
    request = stored.request
    refusal = approval_refusal(
        prepared_by=await legal.requests.preparer(request_id), approver=officer
    )
    if refusal is not None:
        # The caller records the refusal on the chain once this transaction rolled back.
        raise NotAllowedError(refusal.value, "approval refused")
    if not may_move(stored.state, S.APPROVED):
        raise _conflict(stored, S.APPROVED)
    user = await resolve_target(legal, request)
    await legal.requests.record_approval(request_id, officer, at=now)
    await legal.requests.set_state(request_id, S.APPROVED, current=stored.state, answered_at=now)
    rid = str(request_id)
    await legal.audit.record(AuditStep.APPROVED, actor=officer.officer_id, request_id=rid)
    if user is not None and request.instrument in PRESERVATION_INSTRUMENTS:
        # A preservation order discloses nothing: it freezes the account against retention.
        return await preservation.start(legal, request, user, now=now)
    # What was asked, or less if an officer narrowed it (the only scope ever read).
    scope, narrowed = await legal.requests.current_scope(request)
    rows = None if user is None else await legal.identity.account_rows(user, scope)
    if user is None or rows is None:
        # An unknown target is an answer, not an error: the platform holds no data on it.
        await _no_data(legal, request)
        return {"phone_numbers": 0, "sessions": 0, "no_data": 1}
    account, phones, sessions = rows
    keys = await AccountKeys().for_users(legal, [user], create=False)
    opener = FieldOpener(legal.keys.cipher(), keys.get(user))
    disclosure = minimise(
        open_record(account, phone_numbers=phones, sessions=sessions, cipher=opener), scope
    )
    authority_key = await legal.requests.authority_encryption_key(request.authority_id)
    if authority_key is None:
        raise StepConflictError("authority_unknown", "the request's authority is not registered")
    blob = build_package(
        disclosure,
        header=PackageHeader(
            request_id=rid,
            authority_id=request.authority_id,
            instrument=request.instrument,
            case_reference=request.case_reference,
            scope=scope,
            generated_at=now,
        ),
        platform_key=legal.keys.platform_key(),
        authority_key=X25519PublicKey.from_public_bytes(authority_key),
    )
    package_sha256 = hashlib.sha256(blob).hexdigest()
    secret = link_secret(legal.keys.blind_index(), request_id, package_sha256)
    await legal.requests.store_package(
        request_id,
        BuiltPackage(
            blob=blob,
            built_at=now,
            package_sha256=package_sha256,
            link_hash=link_hash(secret),
            expires_at=now + policy.package_link,
        ),
    )
    await legal.requests.set_state(request_id, S.PACKAGE_READY, current=S.APPROVED)
    await notices.schedule(legal, request, user, disclosed_at=now, policy=policy)
    counts = {
        "phone_numbers": len(disclosure.phone_numbers or ()),
        "sessions": len(disclosure.sessions or ()),
    }
    await legal.audit.record(
        AuditStep.PACKAGE_BUILT,
        actor="portal",
        request_id=rid,
        details={**counts, "narrowed": narrowed, "package_sha256": package_sha256},
    )
    legal.emit(
        disclosure_event(
            DisclosureEventType.PACKAGE_READY,
            request,
            categories=scope.categories,
            record_counts=counts,
            package_sha256=package_sha256,
        )
    )
    return counts
