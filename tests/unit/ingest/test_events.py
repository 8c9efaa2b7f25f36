"""Ingest's payloads must satisfy the published contracts, strictly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.ingest import events
from services.ingest.core import Known, case_ids_of, ingest_reports
from shared.events import (
    CaseEvent,
    CaseEventType,
    Evidence,
    MediaHashes,
    ReportAccepted,
    ReportSubmitted,
)
from shared.events.cases import MAX_REPORTS_PER_EVENT
from tests.unit.ingest.test_core import report

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_case_event_validates_against_the_contract() -> None:
    with_evidence = report("r2", reporter="u2").model_copy(
        update={
            "text": "scam",
            "evidence": Evidence(
                message_excerpt="send BTC",
                media=(MediaHashes(sha256="a" * 64),),
                urls=("https://example.invalid/x",),
            ),
        }
    )
    reports = [report("r1"), with_evidence]
    result = ingest_reports(reports, case_ids=case_ids_of(reports), known=Known())

    event = CaseEvent.model_validate_json(
        events.case_event(result.changes[0], bodies=bodies_of(reports), now=NOW)
    )

    assert event.event_type is CaseEventType.OPENED
    assert (event.report_count, event.reporter_count, event.new_report_count) == (2, 2, 2)
    assert event.new_reports[1].evidence == with_evidence.evidence
    assert str(event.case_id) == result.changes[0].state.case_id


def test_report_accepted_validates_against_the_contract() -> None:
    reports = [report("r1"), report("r2")]
    result = ingest_reports(reports, case_ids=case_ids_of(reports), known=Known())

    bodies = bodies_of(reports)
    accepted = [
        ReportAccepted.model_validate_json(
            events.report_accepted(a, body=bodies[a.report.report_id], now=NOW)
        )
        for a in result.accepted
    ]

    assert [(a.report, a.repeat) for a in accepted] == [(reports[0], False), (reports[1], True)]
    assert accepted[0].accepted_at == NOW


def test_case_event_id_is_the_same_when_a_batch_is_replayed() -> None:
    reports = [report("r1")]
    once = ingest_reports(reports, case_ids=case_ids_of(reports), known=Known())
    again = ingest_reports(reports, case_ids=case_ids_of(reports), known=Known())
    more = ingest_reports(
        [*reports, report("r2", reporter="u2")],
        case_ids=case_ids_of([*reports, report("r2")]),
        known=Known(),
    )

    assert events.case_event_id(once.changes[0]) == events.case_event_id(again.changes[0])
    assert events.case_event_id(once.changes[0]) != events.case_event_id(more.changes[0])


def test_mass_reported_case_event_stays_bounded() -> None:
    reports = [report(f"r{i}", reporter=f"u{i}") for i in range(500)]
    result = ingest_reports(reports, case_ids=case_ids_of(reports), known=Known())

    event = CaseEvent.model_validate_json(
        events.case_event(result.changes[0], bodies=bodies_of(reports), now=NOW)
    )

    assert event.new_report_count == 500
    assert len(event.new_reports) == MAX_REPORTS_PER_EVENT
    assert event.new_reports[-1].report_id == "r499"


def test_event_ids_are_rfc4122_name_based_uuids() -> None:
    assert events._uuid5("case:1:2") == str(
        uuid.uuid5(uuid.UUID("0b8e2f4c-2a57-4f47-a1a4-9e1b6f3a7d20"), "case:1:2")
    )


def bodies_of(reports: list[ReportSubmitted]) -> dict[str, bytes]:
    return {r.report_id: r.model_dump_json().encode() for r in reports}
