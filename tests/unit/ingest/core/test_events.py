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
from shared.events.cases import MAX_LANGUAGES_PER_CASE, MAX_REPORTS_PER_EVENT
from tests.unit.ingest.core.test_core import report

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


def test_largest_possible_reports_keep_the_case_event_under_the_topic_limit() -> None:
    # Every field at its limit, with characters JSON must escape (\u0001 becomes 6 bytes).
    def huge(report_id: str) -> ReportSubmitted:
        return report(report_id, reporter=f"u-{report_id}").model_copy(
            update={
                "text": "\u0001" * 2000,
                "evidence": Evidence(
                    message_excerpt="\u0001" * 4096,
                    media=tuple(MediaHashes(sha256=f"{i:064x}") for i in range(16)),
                    urls=tuple(f"https://example.invalid/{i}/" + "a" * 2000 for i in range(16)),
                ),
            }
        )

    reports = [huge(f"r{i}") for i in range(30)]
    result = ingest_reports(reports, case_ids=case_ids_of(reports), known=Known())
    encoded = events.case_event(result.changes[0], bodies=bodies_of(reports), now=NOW)
    event = CaseEvent.model_validate_json(encoded)

    assert len(encoded) < 1024 * 1024 - 64 * 1024
    assert event.new_report_count == 30
    assert 1 <= len(event.new_reports) < MAX_REPORTS_PER_EVENT
    assert event.new_reports[-1].report_id == "r29"  # the newest are the ones kept


def test_whitespace_padding_is_not_carried_downstream() -> None:
    padded = (
        b'{"schema_version": 1,'
        + b" " * 420_000
        + (
            b'"report_id": "r1", "reported_at": "2026-11-28T10:00:00+00:00", "reporter_id": "u1",'
            b'"reporter_language": "fr", "subject": {"kind": "user", "id": "x"},'
            b'"category": "spam"}'
        )
    )
    one = ReportSubmitted.model_validate_json(padded)

    body = events.compact_json(one)

    assert len(body) < 400
    assert ReportSubmitted.model_validate_json(body) == one


def test_a_case_keeps_a_bounded_number_of_reporter_languages() -> None:
    reports = [report(f"r{i}", reporter=f"u{i}", language=f"fr-x{i:04d}") for i in range(70)]
    result = ingest_reports(reports, case_ids=case_ids_of(reports), known=Known())

    event = CaseEvent.model_validate_json(
        events.case_event(result.changes[0], bodies=bodies_of(reports), now=NOW)
    )

    assert len(event.reporter_languages) == MAX_LANGUAGES_PER_CASE
    assert event.reporter_count == 70


def bodies_of(reports: list[ReportSubmitted]) -> dict[str, bytes]:
    return {r.report_id: events.compact_json(r) for r in reports}


def test_the_compact_form_of_the_raw_bytes_is_what_validation_read() -> None:
    raw = (
        b'{"schema_version": 1, "report_id": "r1", "reported_at": "2026-11-28T10:00:00+00:00",'
        b' "reporter_id": "u1", "reporter_language": "fr", "text": "first",'
        b' "subject": {"kind": "user", "id": "x"}, "category": "spam", "text": "second"}'
    )
    validated = ReportSubmitted.model_validate_json(raw)

    body = events.compact_json(validated, raw)

    assert b" " not in body.replace(b"first", b"").replace(b"second", b"")
    assert body.count(b'"text"') == 1
    assert ReportSubmitted.model_validate_json(body) == validated
    assert validated.text == "second"
