"""Disclosures: the two-person rule, then exactly the data the instrument allows, sealed.

The package is encrypted to the authority and signed by the platform.

A legal officer prepares an accepted request (they have read it and the document); a second,
different officer approves it (``approval.approval_refusal``, and a constraint on
``legal.approvals``). Approval resolves the target to one account (by platform id, or by the
blind index of a phone number or username), opens its sealed rows, keeps only the approved
categories within the approved period (``package.minimise``) and builds the package
(``package.build_package``). Every step is on the audit chain, with counts, never values.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from services.legal.adapters.http.downloads import link_hash, link_secret
from services.legal.adapters.postgres import audit_log as auditlog
from services.legal.adapters.postgres.identity_store import (
    account_rows,
    users_by_phone_number,
    users_by_username,
)
from services.legal.adapters.postgres.requests import (
    check_stored,
    current_scope,
    load,
    record_narrowing,
)
from services.legal.config import LegalSettings
from services.legal.core.approval import Officer, approval_refusal
from services.legal.core.audit import AuditStep
from services.legal.core.identity import open_record
from services.legal.core.narrowing import Narrowing, NarrowingError, narrow
from services.legal.core.package import PackageHeader, build_package, minimise
from services.legal.core.rules import Accepted
from services.legal.handlers import notices, preservation
from services.legal.handlers.disclosure_events import disclosure_event
from services.legal.handlers.preservation import PRESERVATION_INSTRUMENTS
from shared.db import Connection
from shared.events.legal import DataCategory, DisclosureEventType, LegalRequest, TargetKind
from shared.runtime.emit import Transaction


class DisclosureRefusedError(Exception):
    """The step cannot be taken; ``status`` and ``code`` say why (no personal value)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


async def _request(
    conn: Connection, request_id: uuid.UUID, settings: LegalSettings
) -> tuple[LegalRequest, str]:
    stored = await load(conn, request_id, settings.cipher(), lock=True)
    if stored is None:
        raise DisclosureRefusedError(404, "unknown_request", "no such request")
    return stored.request, stored.state


async def prepare(
    tx: Transaction, request_id: uuid.UUID, officer: Officer, settings: LegalSettings
) -> None:
    """``officer`` prepares an accepted request for a second officer's approval."""
    conn = tx.conn
    _, state = await _request(conn, request_id, settings)
    if state != "accepted":
        raise DisclosureRefusedError(409, "not_accepted", f"the request is {state}")
    done = await conn.fetchval(
        """INSERT INTO legal.approvals (request_id, prepared_by, prepared_at)
           VALUES ($1, $2, now()) ON CONFLICT DO NOTHING RETURNING 1""",
        request_id,
        officer.officer_id,
    )
    if done is None:
        raise DisclosureRefusedError(409, "already_prepared", "the request is already prepared")
    await auditlog.record(
        conn, AuditStep.REVIEWED, actor=officer.officer_id, request_id=str(request_id)
    )


async def narrow_request(
    tx: Transaction,
    request_id: uuid.UUID,
    officer: Officer,
    settings: LegalSettings,
    *,
    reason: str,
    categories: list[DataCategory] | None,
    date_from: datetime | None,
    date_to: datetime | None,
) -> dict[str, object]:
    """Narrow an accepted, not yet approved request; the narrower scope is checked again."""
    conn = tx.conn
    request, state = await _request(conn, request_id, settings)
    if state != "accepted":
        raise DisclosureRefusedError(409, "not_accepted", f"the request is {state}")
    scope, _ = await current_scope(conn, request)
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
        raise DisclosureRefusedError(422, "invalid_narrowing", str(error)) from None
    # Held to the same law, under the configured retention periods, as the request was.
    verdict = await check_stored(
        conn, request, retention=settings.retention(), scope=narrowing.after
    )
    if not isinstance(verdict, Accepted):
        codes = ",".join(sorted(c.value for c in verdict.codes))
        raise DisclosureRefusedError(422, "narrowed_scope_refused", f"the law refuses it: {codes}")
    await record_narrowing(conn, request_id, narrowing, settings.cipher())
    after = narrowing.after
    await auditlog.record(
        conn,
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


async def _account(conn: Connection, request: LegalRequest, settings: LegalSettings) -> str | None:
    """The one account the target names; None when the platform knows none."""
    target = request.target
    if target.kind is TargetKind.PLATFORM_USER_ID:
        users = [target.value]
    elif target.kind is TargetKind.PHONE_NUMBER:
        users = await users_by_phone_number(conn, settings.blind_index().phone_number(target.value))
    else:
        users = await users_by_username(conn, settings.blind_index().username(target.value))
    if not users or (
        target.kind is TargetKind.PLATFORM_USER_ID
        and await conn.fetchval(
            "SELECT 1 FROM legal.accounts WHERE platform_user_id = $1", users[0]
        )
        is None
    ):
        return None
    if len(users) != 1:
        # A recycled number may name several accounts: the officer asks the authority.
        raise DisclosureRefusedError(
            409, "target_not_unique", f"the target names {len(users)} accounts, not one"
        )
    return users[0]


async def _no_data(tx: Transaction, request: LegalRequest, officer: Officer) -> None:
    conn, request_id = tx.conn, request.request_id
    await conn.execute(
        "UPDATE legal.approvals SET approved_by = $2, approved_at = now() WHERE request_id = $1",
        request_id,
        officer.officer_id,
    )
    await conn.execute(
        "UPDATE legal.requests SET state = 'no_data', answered_at = now() WHERE request_id = $1",
        request_id,
    )
    rid = str(request_id)
    await auditlog.record(conn, AuditStep.APPROVED, actor=officer.officer_id, request_id=rid)
    await auditlog.record(
        conn, AuditStep.PACKAGE_BUILT, actor="portal", request_id=rid, details={"no_data": True}
    )
    tx.emit(disclosure_event(DisclosureEventType.NO_DATA, request))


async def approve(
    tx: Transaction, request_id: uuid.UUID, officer: Officer, settings: LegalSettings
) -> dict[str, int]:
    """The second officer approves: the package is built; what it holds, counted."""
    conn = tx.conn
    request, state = await _request(conn, request_id, settings)
    prepared_by = await conn.fetchval(
        "SELECT prepared_by FROM legal.approvals WHERE request_id = $1", request_id
    )
    refusal = approval_refusal(prepared_by=prepared_by, approver=officer)
    rid = str(request_id)
    if refusal is not None or state != "accepted":
        # The caller records the refusal on the chain once this transaction rolled back.
        code = refusal.value if refusal is not None else "not_accepted"
        raise DisclosureRefusedError(403 if refusal else 409, code, "approval refused")
    user = await _account(conn, request, settings)
    if user is not None and request.instrument in PRESERVATION_INSTRUMENTS:
        # A preservation order discloses nothing: it freezes the account against retention.
        return await preservation.start(tx, request, user, officer)
    # What was asked, or less if an officer narrowed it (the only scope ever read).
    scope, narrowed = await current_scope(conn, request)
    rows = None if user is None else await account_rows(conn, user, scope)
    if rows is None:
        # An unknown target is an answer, not an error: the platform holds no data on it.
        await _no_data(tx, request, officer)
        return {"phone_numbers": 0, "sessions": 0, "no_data": 1}
    assert user is not None  # noqa: S101 - rows are the user's
    account, phones, sessions = rows
    record = open_record(account, phone_numbers=phones, sessions=sessions, cipher=settings.cipher())
    disclosure = minimise(record, scope)
    authority_key = await conn.fetchval(
        "SELECT encryption_key FROM legal.authorities WHERE authority_id = $1", request.authority_id
    )
    now = datetime.now(UTC)
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
        platform_key=settings.platform_key(),
        authority_key=X25519PublicKey.from_public_bytes(bytes(authority_key)),
    )
    package_sha256 = hashlib.sha256(blob).hexdigest()
    await conn.execute(
        "UPDATE legal.approvals SET approved_by = $2, approved_at = $3 WHERE request_id = $1",
        request_id,
        officer.officer_id,
        now,
    )
    await conn.execute(
        """INSERT INTO legal.packages (request_id, blob, built_at, package_sha256, link_hash,
               expires_at) VALUES ($1, $2, $3, $4, $5, $6)""",
        request_id,
        blob,
        now,
        package_sha256,
        link_hash(link_secret(settings, request_id, package_sha256)),
        now + timedelta(hours=settings.package_link_hours),
    )
    await conn.execute(
        "UPDATE legal.requests SET state = 'approved', answered_at = $2 WHERE request_id = $1",
        request_id,
        now,
    )
    await notices.schedule(conn, request, user, disclosed_at=now, settings=settings)
    counts = {
        "phone_numbers": len(disclosure.phone_numbers or ()),
        "sessions": len(disclosure.sessions or ()),
    }
    await auditlog.record(conn, AuditStep.APPROVED, actor=officer.officer_id, request_id=rid)
    await auditlog.record(
        conn,
        AuditStep.PACKAGE_BUILT,
        actor="portal",
        request_id=rid,
        details={**counts, "narrowed": narrowed, "package_sha256": package_sha256},
    )
    tx.emit(
        disclosure_event(
            DisclosureEventType.PACKAGE_READY,
            request,
            categories=scope.categories,
            record_counts=counts,
            package_sha256=package_sha256,
        )
    )
    return counts
