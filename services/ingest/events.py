"""Ingest's outgoing events, serialised straight to JSON.

The payloads conform to the contracts in :mod:`shared.events` (``CaseEvent``,
``ReportAccepted``); a unit test validates every one through those strict models. They are
built as plain dicts and encoded with orjson. The reports they carry are re-encoded compactly
from the validated models (:func:`compact_json`, once per report): the raw bytes a platform
sent may be padded with whitespace or repeat a key, and downstream consumers must see what
was validated, within a bounded size.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from services.ingest.core import AcceptedReport, CaseChange
from shared.events import ReportSubmitted, Subject
from shared.events.cases import MAX_REPORT_BYTES_PER_EVENT, MAX_REPORTS_PER_EVENT

_EVENT_NAMESPACE = uuid.UUID("0b8e2f4c-2a57-4f47-a1a4-9e1b6f3a7d20").bytes


def case_event_id(change: CaseChange) -> str:
    """One id per (case, revision, report count): a replayed batch yields the same id."""
    state = change.state
    return _uuid5(f"{state.case_id}:{state.revision}:{state.report_count}")


def case_event(change: CaseChange, *, bodies: Mapping[str, bytes], now: datetime) -> bytes:
    """A ``CaseEvent`` announcing ``change``; ``bodies`` maps report ids to their JSON."""
    state = change.state
    return orjson.dumps(
        {
            "schema_version": 1,
            "event_id": case_event_id(change),
            "event_type": change.event_type,
            "case_id": state.case_id,
            "revision": state.revision,
            "subject": _subject(state.subject),
            "category": state.category,
            "report_count": state.report_count,
            "reporter_count": state.reporter_count,
            "first_reported_at": state.first_reported_at,
            "last_reported_at": state.last_reported_at,
            "reporter_languages": state.reporter_languages,
            "new_report_count": len(change.joined),
            "new_reports": [orjson.Fragment(b) for b in _latest_that_fit(change, bodies)],
            "occurred_at": now,
        }
    )


def report_accepted(accepted: AcceptedReport, *, body: bytes, now: datetime) -> bytes:
    """A ``ReportAccepted`` for one new report; ``body`` is its :func:`compact_json`."""
    return orjson.dumps(
        {
            "schema_version": 1,
            "report": orjson.Fragment(body),
            "case_id": accepted.case_id,
            "case_revision": accepted.case_revision,
            "repeat": accepted.repeat,
            "accepted_at": now,
        }
    )


def compact_json(report: ReportSubmitted, raw: bytes | None = None) -> bytes:
    """The report as validated, in compact JSON (what is stored and published).

    Given the validated ``raw`` bytes, re-encodes them (one value per key, the last one,
    as validation read them; no padding): the same document, at half the cost of
    serialising the model.
    """
    if raw is not None:
        try:
            return orjson.dumps(orjson.loads(raw))
        except orjson.JSONDecodeError:
            pass  # e.g. a lone surrogate escape, which orjson refuses: use the model
    return _REPORT_TO_JSON(report)


_REPORT_TO_JSON = ReportSubmitted.__pydantic_serializer__.to_json


def _latest_that_fit(change: CaseChange, bodies: Mapping[str, bytes]) -> list[bytes]:
    """The newest joined reports whose bodies fit the event's byte budget, oldest first."""
    chosen: list[bytes] = []
    total = 0
    for report in reversed(change.joined[-MAX_REPORTS_PER_EVENT:]):
        body = bodies[report.report_id]
        total += len(body)
        if total > MAX_REPORT_BYTES_PER_EVENT:
            break
        chosen.append(body)
    chosen.reverse()
    return chosen


def _subject(subject: Subject) -> dict[str, Any]:
    return {"kind": subject.kind, "id": subject.id, "chat_id": subject.chat_id}


def _uuid5(name: str) -> str:
    """``str(uuid.uuid5(namespace, name))`` without building two UUID objects."""
    digest = bytearray(
        hashlib.sha1(_EVENT_NAMESPACE + name.encode(), usedforsecurity=False).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
