"""Events and cases for the handlers' unit tests."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from services.dispatch.core.lifecycle import State
from services.dispatch.core.review import Lease, ReviewCase
from shared.events.reports import Category, ReportAccepted, Subject, SubjectKind
from shared.events.screening import ScreeningVerdict

SUBJECT = {"kind": "message", "id": "m1", "chat_id": "c1"}


def verdict(case_id: uuid.UUID, at: datetime, **changes: Any) -> tuple[ScreeningVerdict, bytes]:
    body = {
        "schema_version": 1, "verdict_id": str(uuid.uuid4()), "case_id": str(case_id),
        "case_revision": 1, "case_event_id": str(uuid.uuid4()), "subject": SUBJECT,
        "category": "hate_speech", "screened_category": "hate_speech", "route": "human_review",
        "severity": "medium", "priority_hint": 40, "confidence": 0.7, "qa_sample": False,
        "policy": {"name": "default", "version": 1}, "report_count": 1, "reporter_count": 1,
        "reporter_languages": ["fr"], "screeners": [], "screened_at": at.isoformat(),
    } | changes  # fmt: skip
    raw = json.dumps(body).encode()
    return ScreeningVerdict.model_validate_json(raw), raw


def report(
    case_id: uuid.UUID, reporter: str, at: datetime, *, report_id: str | None = None
) -> ReportAccepted:
    return ReportAccepted.model_validate_json(
        json.dumps(
            {
                "schema_version": 1,
                "report": {
                    "schema_version": 1,
                    "report_id": report_id or uuid.uuid4().hex,
                    "reported_at": at.isoformat(),
                    "reporter_id": reporter,
                    "reporter_language": "fr",
                    "subject": SUBJECT,
                    "category": "hate_speech",
                    "text": "signalé",
                },
                "case_id": str(case_id),
                "case_revision": 1,
                "repeat": False,
                "accepted_at": at.isoformat(),
            }
        )
    )


def leased(
    case_id: uuid.UUID,
    reviewer: str,
    until: datetime,
    *,
    category: Category = Category.HATE_SPEECH,
    kind: SubjectKind = SubjectKind.MESSAGE,
    state: State = State.LEASED,
) -> ReviewCase:
    lease = Lease(reviewer, until, returns_to=State.QUEUED) if state is State.LEASED else None
    return ReviewCase(
        case_id=case_id,
        category=category,
        subject_kind=kind,
        dual=False,
        languages=frozenset({"fr"}),
        state=state,
        lease=lease,
    )


def subject() -> Subject:
    return Subject.model_validate_json(json.dumps(SUBJECT))
