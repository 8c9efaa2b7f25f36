"""A known history for the transparency report, written straight into the database.

Legal requests are stored as the portal stores them (sealed, ``store_received``), and given
their past states, approvals and packages as an administrator importing history would: the
guard_* triggers, which would ask for today's officers' proofs, are off for that connection
(``admin_connection``). Every step is appended to the real audit chain with
``auditlog.record``, at chosen times. Moderation rows are inserted as
ingest and dispatch write them. Every value a report must never show is in ``SEEDED``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import orjson
import pytest

from services.legal.adapters.postgres import audit_log as auditlog
from services.legal.adapters.postgres.requests_store import PostgresRequests
from services.legal.config import LegalSettings
from services.legal.core.audit import AuditStep, DetailValue
from services.legal.core.deadlines import deadline_for
from services.legal.core.fieldcrypt import FieldCipher
from services.legal.core.model import Scope
from services.legal.core.narrowing import narrow
from shared.events.legal import (
    DataCategory,
    Instrument,
    LegalRequest,
    Official,
    Target,
    TargetKind,
)
from tests.integration.conftest import admin_connection
from tests.integration.dispatch.rows import entry_state, move_case

SUB, IP, TRAFFIC = DataCategory.SUBSCRIBER, DataCategory.IDENTIFICATION, DataCategory.TRAFFIC
H, D = timedelta(hours=1), timedelta(days=1)
#: The report's period, in the past so that no other test's entries (written now) fall in it.
PERIOD = "2025-H2"
#: Legal history starts here; moderation history at ``M``.
T = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
M = datetime(2025, 10, 1, 10, 0, tzinfo=UTC)
DOCUMENT = b"%PDF-1.7 signed requisition (transparency test)"

#: Personal values the history holds: none may appear in any output or log.
SEEDED = (
    "+33612345678", "33612345678", "612345678", "+33698765432", "698765432",
    "+4915112345678", "15112345678", "jdupont", "mueller", "u-tgt-777", "u-tgt-900",
    "u-tgt-555", "u-tgt-old", "reporter-pierre", "reporter-anna", "u-subject-4242",
    "203.0.113.77", "Claire Martin",
)  # fmt: skip


class Clock:
    """Stands in for ``datetime`` in the audit log adapter: entries at chosen times."""

    def __init__(self) -> None:
        self.moment = T

    def now(self, tz: Any = None) -> datetime:
        return self.moment


@dataclass
class Legal:
    """Writes requests and their audit entries (appended in time order at the end)."""

    db: asyncpg.Connection
    cipher: FieldCipher
    planned: list[tuple[datetime, AuditStep, str | None, str, dict[str, DetailValue]]] = field(
        default_factory=list
    )

    def audit(
        self,
        at: datetime,
        step: AuditStep,
        request_id: str | None,
        actor: str,
        **details: DetailValue,
    ) -> None:
        self.planned.append((at, step, request_id, actor, details))

    async def request(
        self,
        authority: str,
        instrument: Instrument,
        target: tuple[TargetKind, str],
        *,
        received: datetime,
        categories: tuple[DataCategory, ...] = (SUB,),
        emergency: bool = False,
        non_disclosure: date | None = None,
        checked: timedelta | None = None,
        refusals: tuple[str, ...] = (),
        narrowed_to: tuple[DataCategory, ...] | None = None,
        package: tuple[int, int] | None = None,
        no_data: timedelta | None = None,
        packaged: timedelta | None = None,
        downloaded: bool = False,
        preserved: timedelta | None = None,
    ) -> str:
        request = LegalRequest(
            schema_version=1,
            request_id=uuid.uuid4(),
            instrument=instrument,
            authority_id=authority,
            official=Official(name="Claire Martin", title="Procureure"),
            case_reference="2025/777",
            offence="escroquerie en bande organisée",
            max_penalty_years=10,
            committed_online=True,
            emergency=emergency,
            target=Target(kind=target[0], value=target[1]),
            categories=categories,
            date_from=received - 90 * D,
            date_to=received - 10 * D,
            document_sha256=hashlib.sha256(DOCUMENT).hexdigest(),
            non_disclosure_until=non_disclosure,
            received_at=received,
        )
        rid = str(request.request_id)
        await PostgresRequests(self.db, self.cipher).store_received(
            request,
            document=DOCUMENT,
            media_type="application/pdf",
            deadline=deadline_for(request, LegalSettings().deadlines()),
        )
        self.audit(received, AuditStep.SIGNATURE_VERIFIED, rid, authority, body_sha256="ab" * 32)
        self.audit(
            received,
            AuditStep.RECEIVED,
            rid,
            "portal",
            instrument=instrument.value,
            emergency=emergency,
        )
        state = "received"
        if checked is not None:
            state = "refused" if refusals else "accepted"
            await self.db.execute(
                """UPDATE legal.requests SET state = $2, refusals = $3, checked_at = $4
                   WHERE request_id = $1""",
                request.request_id,
                state,
                json.dumps([{"code": c, "article": "test", "detail": "test"} for c in refusals]),
                received + checked,
            )
            self.audit(
                received + checked,
                AuditStep.CHECKS_REFUSED if refusals else AuditStep.CHECKS_PASSED,
                rid,
                "legal",
                instrument=instrument.value,
                emergency=emergency,
                codes=" ".join(refusals) or None,
            )
        if narrowed_to is not None:
            before = Scope(frozenset(categories), request.date_from, request.date_to)
            narrowing = narrow(
                before, officer_id="ines", reason="only what the case needs", categories=narrowed_to
            )
            await PostgresRequests(self.db, self.cipher).record_narrowing(
                request.request_id, narrowing
            )
            self.audit(received + H, AuditStep.NARROWED, rid, "ines")
        answered = packaged if package is not None else no_data
        if answered is not None:
            at = received + answered
            await self.db.execute(
                """INSERT INTO legal.approvals (request_id, prepared_by, prepared_at,
                       approved_by, approved_at) VALUES ($1, 'ines', $2, 'hugo', $3)""",
                request.request_id,
                at - H,
                at,
            )
            self.audit(at - H, AuditStep.REVIEWED, rid, "ines")
            self.audit(at, AuditStep.APPROVED, rid, "hugo")
            if package is None:
                state = "no_data"
                self.audit(at, AuditStep.PACKAGE_BUILT, rid, "portal", no_data=True)
            else:
                state = "downloaded" if downloaded else "package_ready"
                digest = secrets.token_hex(32)
                await self.db.execute(
                    """INSERT INTO legal.packages (request_id, blob, built_at, package_sha256)
                       VALUES ($1, $2, $3, $4)""",
                    request.request_id,
                    b"" if downloaded else b"sealed package",
                    at,
                    digest,
                )
                self.audit(
                    at,
                    AuditStep.PACKAGE_BUILT,
                    rid,
                    "portal",
                    phone_numbers=package[0],
                    sessions=package[1],
                    narrowed=narrowed_to is not None,
                    package_sha256=digest,
                )
                if downloaded:
                    self.audit(at + H, AuditStep.DOWNLOADED, rid, authority)
        if preserved is not None:
            self.audit(received + preserved, AuditStep.PRESERVATION_STARTED, rid, "legal")
        await self.db.execute(
            "UPDATE legal.requests SET state = $2 WHERE request_id = $1", request.request_id, state
        )
        return rid

    async def commit_audit(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Append the planned entries to the real chain, in time order, at their times."""
        clock = Clock()
        monkeypatch.setattr(auditlog, "datetime", clock)
        for at, step, request_id, actor, details in sorted(self.planned, key=lambda p: p[0]):
            clock.moment = at
            async with self.db.transaction():
                await auditlog.record(
                    self.db,
                    step,
                    ring=LegalSettings().audit_ring(),
                    actor=actor,
                    request_id=request_id,
                    details=details,
                )
        monkeypatch.undo()


async def authorities(db: asyncpg.Connection) -> None:
    for authority_id, country in (("fr-parquet-paris", "FR"), ("de-sta-berlin", "DE")):
        await db.execute(
            """INSERT INTO legal.authorities (authority_id, name, country, kind, contact,
                   signing_key, encryption_key) VALUES ($1, $1, $2, 'prosecutor', 'office', $3, $4)
               ON CONFLICT (authority_id) DO NOTHING""",
            authority_id,
            country,
            secrets.token_bytes(32),
            secrets.token_bytes(32),
        )


async def legal_history(
    db: asyncpg.Connection, cipher: FieldCipher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nine requests in the period (FR and DE, six instruments), two just outside it, and
    submissions refused at the portal (three in the period, one before it)."""
    async with admin_connection() as admin:
        await _legal_history(admin, cipher, monkeypatch)


async def _legal_history(
    db: asyncpg.Connection, cipher: FieldCipher, monkeypatch: pytest.MonkeyPatch
) -> None:
    await authorities(db)
    legal = Legal(db, cipher)
    fr, de = "fr-parquet-paris", "de-sta-berlin"
    phone_fr = (TargetKind.PHONE_NUMBER, "+33612345678")
    # R1: answered with subscriber and identification data, downloaded.
    await legal.request(fr, Instrument.FR_CPP_60_1, phone_fr, received=T,
                        categories=(SUB, IP), checked=H, package=(1, 3), packaged=D,
                        downloaded=True)  # fmt: skip
    # R2: the same account again, under a non-disclosure order, narrowed to subscriber data.
    await legal.request(fr, Instrument.FR_CPP_60_1, phone_fr, received=T + 2 * D,
                        categories=(SUB, IP), non_disclosure=date(2026, 6, 30), checked=2 * H,
                        narrowed_to=(SUB,), package=(1, 0), packaged=2 * D)  # fmt: skip
    # R3: refused, no legal basis.
    await legal.request(fr, Instrument.FR_CPP_77_1_1, (TargetKind.USERNAME, "jdupont"),
                        received=T + 3 * D, checked=H / 2,
                        refusals=("authorisation_missing",))  # fmt: skip
    # R4: an emergency about an account the platform does not know: no data.
    await legal.request(fr, Instrument.EMERGENCY_DISCLOSURE,
                        (TargetKind.PLATFORM_USER_ID, "u-tgt-777"), received=T + 4 * D,
                        emergency=True, checked=H / 6, no_data=2 * H)  # fmt: skip
    # R5: a French preservation order, preserved 15 minutes after receipt.
    await legal.request(fr, Instrument.FR_CPP_60_2, (TargetKind.USERNAME, "jdupont"),
                        received=T + 5 * D, categories=(SUB, IP), checked=H / 12,
                        preserved=H / 4)  # fmt: skip
    # R6: identification data to Germany, under a non-disclosure order.
    await legal.request(de, Instrument.EU_EPOC, (TargetKind.PHONE_NUMBER, "+4915112345678"),
                        received=T + 6 * D, categories=(IP,), non_disclosure=date(2026, 3, 1),
                        checked=4 * H, package=(0, 2), packaged=3 * D,
                        downloaded=True)  # fmt: skip
    # R7: an emergency refused on two grounds.
    await legal.request(de, Instrument.EU_EPOC, (TargetKind.USERNAME, "mueller"),
                        received=T + 7 * D, categories=(TRAFFIC,), emergency=True, checked=H,
                        refusals=("category_not_allowed_for_issuer",
                                  "wrong_jurisdiction"))  # fmt: skip
    # R8: a European preservation order refused as over-broad.
    await legal.request(de, Instrument.EU_EPOC_PR, (TargetKind.PLATFORM_USER_ID, "u-tgt-555"),
                        received=T + 8 * D, checked=H / 3,
                        refusals=("date_range_not_held",))  # fmt: skip
    # R9: received, not yet checked.
    await legal.request(de, Instrument.EU_EPOC, (TargetKind.PLATFORM_USER_ID, "u-tgt-900"),
                        received=T + 9 * D)  # fmt: skip
    # Outside the period (half-open): the last second before it, and its end.
    await legal.request(fr, Instrument.FR_CPP_60_1, (TargetKind.PHONE_NUMBER, "+33698765432"),
                        received=datetime(2025, 6, 30, 23, 59, 59, tzinfo=UTC), checked=H,
                        package=(2, 2), packaged=D)  # fmt: skip
    await legal.request(de, Instrument.EU_EPOC, (TargetKind.PLATFORM_USER_ID, "u-tgt-old"),
                        received=datetime(2026, 1, 1, tzinfo=UTC), checked=H,
                        refusals=("wrong_jurisdiction",))  # fmt: skip
    # Refused at the portal: a bad signature, an unknown token, a body that is no request.
    legal.audit(T + D + 5 * H, AuditStep.SIGNATURE_REFUSED, None, fr, code="signature_invalid")
    legal.audit(T + 2 * D + H, AuditStep.SIGNATURE_REFUSED, None, "unknown",
                code="authority_unknown")  # fmt: skip
    invalid = str(uuid.uuid4())
    legal.audit(T + 3 * D + H, AuditStep.SIGNATURE_VERIFIED, invalid, de, body_sha256="cd" * 32)
    legal.audit(T + 3 * D + H, AuditStep.CHECKS_REFUSED, invalid, "portal",
                invalid_fields="target.value")  # fmt: skip
    legal.audit(datetime(2025, 6, 15, tzinfo=UTC), AuditStep.SIGNATURE_REFUSED, None, fr,
                code="nonce_replayed")  # fmt: skip
    await legal.commit_audit(monkeypatch)


async def moderation_history(db: asyncpg.Connection) -> None:
    """Reports, automated and human decisions, appeals and statements (see the test)."""
    for reviewer in ("rev-1", "rev-2"):
        await db.execute(
            """INSERT INTO dispatch.reviewers (reviewer_id, name, languages, clearances, roles,
                   exposure_cap) VALUES ($1, $1, '{en}', '{}', '{reviewer}', 10)""",
            reviewer,
        )
    c = {name: uuid.uuid4() for name in ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9")}
    c["C10"] = uuid.uuid4()
    reports = [
        ("C1", "spam", M), ("C1", "spam", M + 5 * timedelta(minutes=1)),
        ("C2", "hate_speech", M + D), ("C3", "harassment_threats", M + 2 * D),
        ("C4", "spam", M + 3 * D), ("C5", "child_sexual_abuse", M + 4 * D),
        ("C6", "spam", M + 5 * D), ("C7", "fraud_scam", M + 6 * D),
        ("C8", "spam", datetime(2026, 1, 1, tzinfo=UTC)),  # outside the period
    ]  # fmt: skip
    for n, (case, category, at) in enumerate(reports):
        await _report(
            db, c[case], category, at, reporter="reporter-pierre" if n % 2 else "reporter-anna"
        )
    ten = timedelta(minutes=10)
    a1, a2 = uuid.uuid4(), uuid.uuid4()
    await _case(db, c["C1"], "act_now", "decided", M + ten, automatic=a1)
    await _case(db, c["C2"], "act_now", "decided", M + D + ten, automatic=a2)
    await _case(db, c["C3"], "human_review", "decided", M + 2 * D + ten)
    await _case(db, c["C4"], "human_review", "decided", M + 3 * D + ten)
    await _case(db, c["C5"], "human_review", "decided", M + 4 * D + ten)
    await _case(db, c["C6"], "dismiss", "dismissed", M + 5 * D + ten)
    await _case(db, c["C7"], "human_review", "queued", M + 6 * D + ten)
    await _case(db, c["C8"], "human_review", "decided", datetime(2025, 12, 31, 23, tzinfo=UTC))
    await _case(db, c["C9"], "human_review", "appealed", M + 7 * D)  # its reports are gone
    await _case(db, c["C10"], "act_now", "queued", datetime(2026, 1, 2, tzinfo=UTC),
                automatic=uuid.uuid4())  # fmt: skip
    x3, x5 = uuid.uuid4(), uuid.uuid4()
    await _decision(db, c["C1"], "remove_content", M + 2 * H, action=a1)
    await _decision(db, c["C2"], "no_violation", M + D + 4 * H, reverses=a2)
    d3 = await _decision(db, c["C3"], "ban_user", M + 2 * D + 6 * H, action=x3)
    d4 = await _decision(db, c["C3"], "no_violation", M + 4 * D, reverses=x3)
    d5 = await _decision(db, c["C4"], "remove_content", M + 3 * D + H, action=x5)
    d6 = await _decision(db, c["C4"], "remove_content", M + 4 * D + 12 * H, action=x5)
    await _decision(db, c["C5"], "remove_content", M + 4 * D + H, final=False)
    d8 = await _decision(db, c["C5"], "suspend_user", M + 4 * D + 3 * H, action=uuid.uuid4())
    d9 = await _decision(db, c["C9"], "restrict_user", M + 7 * D + H / 2, action=uuid.uuid4())
    d10 = await _decision(db, c["C8"], "ban_user", datetime(2026, 1, 1, 1, tzinfo=UTC))
    await _appeal(db, c["C3"], d3, M + 3 * D, decided_by=d4)
    await _appeal(db, c["C4"], d5, M + 4 * D, decided_by=d6)
    await _appeal(db, c["C9"], d9, M + 8 * D)
    fully, person = "AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_NOT_AUTOMATED"
    for decision, case, means, at in (
        (a1, "C1", fully, M + ten), (a2, "C2", fully, M + D + ten),
        (d3, "C3", person, M + 2 * D + 6 * H), (d5, "C4", person, M + 3 * D + H),
        (d8, "C5", person, M + 4 * D + 3 * H), (d9, "C9", person, M + 7 * D + H / 2),
        (d10, "C8", person, datetime(2026, 1, 1, 1, tzinfo=UTC)),
    ):  # fmt: skip
        await db.execute(
            """INSERT INTO dispatch.statements (puid, decision_id, case_id, statement, issued_at)
               VALUES ($1, $2, $3, $4, $5)""",
            f"puid-{decision}",
            decision,
            c[case],
            orjson.dumps({"automated_decision": means, "decision_ground": "x"}).decode(),
            at,
        )


async def _report(
    db: asyncpg.Connection, case_id: uuid.UUID, category: str, at: datetime, *, reporter: str
) -> None:
    body = {
        "schema_version": 1,
        "report_id": f"rep-{uuid.uuid4().hex[:12]}",
        "reported_at": at.isoformat(),
        "reporter_id": reporter,
        "reporter_language": "fr",
        "subject": {"kind": "user", "id": "u-subject-4242"},
        "category": category,
        "text": "il m'a menacé, voici son numéro +33612345678 et son IP 203.0.113.77",
    }
    await db.execute(
        """INSERT INTO ingest.reports (report_id, case_id, case_revision, reporter_id, repeat,
               reported_at, accepted_at, body) VALUES ($1, $2, 1, $3, false, $4, $4, $5)""",
        body["report_id"],
        case_id,
        reporter,
        at,
        json.dumps(body),
    )


async def _case(
    db: asyncpg.Connection,
    case_id: uuid.UUID,
    route: str,
    state: str,
    opened: datetime,
    *,
    automatic: uuid.UUID | None = None,
) -> None:
    await db.execute(
        """INSERT INTO dispatch.cases (case_id, revision, subject, category, screened_category,
               route, severity, confidence, qa_sample, report_count, reporter_count, languages,
               urgency, opened_at, due_at, state, verdict_id, automatic_action_id, verdict,
               updated_at, subject_key, rank_at, in_force)
           VALUES ($1, 1, $2, 'spam', 'spam', $3, 'medium', 0.9, false, 1, 1, '{fr}', 1.0,
                   $4, $4::timestamptz + interval '1 day', $5, $6, $7, '{}', $4,
                   'user:u-subject-4242', $4, $8)""",
        case_id,
        json.dumps({"kind": "user", "id": "u-subject-4242"}),
        route,
        opened,
        entry_state(state),
        uuid.uuid4(),
        automatic,
        None if automatic is None else "remove_content",
    )
    await move_case(db, case_id, state, reviewer="rev-1")


async def _decision(
    db: asyncpg.Connection,
    case_id: uuid.UUID,
    outcome: str,
    at: datetime,
    *,
    final: bool = True,
    action: uuid.UUID | None = None,
    reverses: uuid.UUID | None = None,
) -> uuid.UUID:
    decision_id = uuid.uuid4()
    await db.execute(
        """INSERT INTO dispatch.decisions (decision_id, case_id, revision, reviewer_id, outcome,
               policy_reason, explanation, final, decided_at, action_id, reverses)
           VALUES ($1, $2, 1, $3, $4, 'tos:4.2', 'seen', $5, $6, $7, $8)""",
        decision_id,
        case_id,
        "rev-1" if final else "rev-2",
        outcome,
        final,
        at,
        action,
        reverses,
    )
    return decision_id


async def _appeal(
    db: asyncpg.Connection,
    case_id: uuid.UUID,
    decision_id: uuid.UUID,
    filed: datetime,
    *,
    decided_by: uuid.UUID | None = None,
) -> None:
    await db.execute(
        """INSERT INTO dispatch.appeals (appeal_id, case_id, revision, decision_id, reason,
               filed_by, filed_at, decided_by) VALUES ($1, $2, 1, $3, 'wrong', $4, $5, $6)""",
        uuid.uuid4(),
        case_id,
        decision_id,
        "u-subject-4242",
        filed,
        decided_by,
    )
