"""Ingest's outgoing events, serialised straight to JSON.

The payloads conform to the contracts in :mod:`shared.events` (``CaseEvent``,
``ReportAccepted``); a unit test validates every one through those strict models. They are
built as plain dicts and encoded with orjson because building a pydantic model per event
cost more than everything else ingest does per report.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
from pydantic_core import to_json

from services.ingest.core import AcceptedReport, CaseChange
from shared.events import Subject
from shared.events.cases import MAX_REPORTS_PER_EVENT

_EVENT_NAMESPACE = uuid.UUID("0b8e2f4c-2a57-4f47-a1a4-9e1b6f3a7d20")


def case_event_id(change: CaseChange) -> str:
    """One id per (case, revision, report count): a replayed batch yields the same id."""
    state = change.state
    return str(
        uuid.uuid5(_EVENT_NAMESPACE, f"{state.case_id}:{state.revision}:{state.report_count}")
    )


def case_event(change: CaseChange, *, now: datetime) -> bytes:
    """A ``CaseEvent`` announcing ``change``."""
    state = change.state
    return orjson.dumps(
        {
            "schema_version": 1,
            "event_id": case_event_id(change),
            "event_type": change.event_type.value,
            "case_id": state.case_id,
            "revision": state.revision,
            "subject": _subject(state.subject),
            "category": state.category.value,
            "report_count": state.report_count,
            "reporter_count": state.reporter_count,
            "first_reported_at": state.first_reported_at,
            "last_reported_at": state.last_reported_at,
            "reporter_languages": state.reporter_languages,
            "new_report_count": len(change.joined),
            "new_reports": [
                {
                    "report_id": r.report_id,
                    "reporter_language": r.reporter_language,
                    "reported_at": r.reported_at,
                    "text": r.text,
                    "evidence": None
                    if r.evidence is None
                    else orjson.Fragment(to_json(r.evidence)),
                }
                for r in change.joined[-MAX_REPORTS_PER_EVENT:]
            ],
            "occurred_at": now,
        }
    )


def report_accepted(accepted: AcceptedReport, *, now: datetime) -> bytes:
    """A ``ReportAccepted`` for one new report."""
    report = accepted.report
    return orjson.dumps(
        {
            "schema_version": 1,
            "report_id": report.report_id,
            "case_id": accepted.case_id,
            "case_revision": accepted.case_revision,
            "reporter_id": report.reporter_id,
            "repeat": accepted.repeat,
            "subject": _subject(report.subject),
            "category": report.category.value,
            "reported_at": report.reported_at,
            "accepted_at": now,
        }
    )


def _subject(subject: Subject) -> dict[str, Any]:
    return {"kind": subject.kind.value, "id": subject.id, "chat_id": subject.chat_id}
