"""Aggregation and deduplication rules of ingestion, without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.ingest.core import (
    RECENT_CASE_IDS,
    CaseStatus,
    Ingestion,
    Known,
    case_id_for,
    case_ids_of,
    close_case,
    ingest_reports,
)
from shared.events import CaseEventType, Category, ReportSubmitted, Subject, SubjectKind
from tests.unit.bounded_memory import assert_memory_levels_off

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SPAM_MESSAGE = Subject(kind=SubjectKind.MESSAGE, id="m1", chat_id="c1")


def report(
    report_id: str,
    *,
    reporter: str = "u1",
    subject: Subject = SPAM_MESSAGE,
    category: Category = Category.SPAM,
    minutes: int = 0,
    language: str = "fr",
) -> ReportSubmitted:
    return ReportSubmitted(
        schema_version=1,
        report_id=report_id,
        reported_at=T0 + timedelta(minutes=minutes),
        reporter_id=reporter,
        reporter_language=language,
        subject=subject,
        category=category,
    )


def fold(reports: list[ReportSubmitted], known: Known | None = None) -> Ingestion:
    return ingest_reports(reports, case_ids=case_ids_of(reports), known=known or Known())


def test_reports_on_one_subject_and_category_fold_into_one_case() -> None:
    result = fold([report("r1", reporter="u1"), report("r2", reporter="u2", minutes=5)])

    assert len(result.changes) == 1
    change = result.changes[0]
    assert change.event_type is CaseEventType.OPENED
    assert change.state.report_count == 2
    assert change.state.reporter_count == 2
    assert change.state.first_reported_at == T0
    assert change.state.last_reported_at == T0 + timedelta(minutes=5)
    assert [a.case_id for a in result.accepted] == [change.state.case_id] * 2


def test_same_report_id_twice_counts_once_within_a_batch() -> None:
    result = fold([report("r1"), report("r1")])

    assert result.duplicates == 1
    assert [a.report.report_id for a in result.accepted] == ["r1"]
    assert result.changes[0].state.report_count == 1


def test_report_id_already_stored_counts_nothing() -> None:
    result = fold([report("r1")], Known(report_ids={"r1"}))

    assert result.duplicates == 1
    assert result.accepted == []
    assert result.changes == []


def test_same_reporter_again_adds_a_report_but_no_weight() -> None:
    result = fold([report("r1", reporter="u1"), report("r2", reporter="u1", minutes=1)])

    state = result.changes[0].state
    assert state.report_count == 2
    assert state.reporter_count == 1
    assert [a.repeat for a in result.accepted] == [False, True]


def test_reporter_counted_in_an_earlier_batch_is_not_counted_again() -> None:
    first = fold([report("r1", reporter="u1")])
    stored = first.changes[0].state
    known = Known(
        report_ids={"r1"},
        cases={stored.case_id: stored},
        reporters={(stored.case_id, stored.revision, "u1")},
    )

    second = fold([report("r2", reporter="u1"), report("r3", reporter="u2")], known)

    state = second.changes[0].state
    assert second.changes[0].event_type is CaseEventType.UPDATED
    assert (state.report_count, state.reporter_count) == (3, 2)
    assert [a.repeat for a in second.accepted] == [True, False]


def test_other_category_or_subject_is_another_case() -> None:
    other_subject = Subject(kind=SubjectKind.MESSAGE, id="m2", chat_id="c1")
    result = fold(
        [
            report("r1"),
            report("r2", category=Category.FRAUD),
            report("r3", subject=other_subject),
        ]
    )

    assert len({c.state.case_id for c in result.changes}) == 3


def test_case_id_is_stable_and_depends_on_subject_and_category() -> None:
    same = Subject(kind=SubjectKind.MESSAGE, id="m1", chat_id="c1")
    assert case_id_for(same, Category.SPAM) == case_id_for(SPAM_MESSAGE, Category.SPAM)
    assert case_id_for(same, Category.SPAM) != case_id_for(same, Category.HATE_SPEECH)
    user = Subject(kind=SubjectKind.USER, id="m1")
    assert case_id_for(user, Category.SPAM) != case_id_for(same, Category.SPAM)


def test_memory_for_case_ids_levels_off_however_many_subjects_are_reported() -> None:
    def report_on(n: int) -> object:
        subject = Subject(kind=SubjectKind.USER, id=f"user-{n:09d}-from-the-long-tail")
        return case_id_for(subject, Category.SPAM)

    assert_memory_levels_off(report_on, bound=RECENT_CASE_IDS)
    assert case_id_for(SPAM_MESSAGE, Category.SPAM) == case_id_for(SPAM_MESSAGE, Category.SPAM)


def test_decided_case_reopens_as_next_revision_with_fresh_counts() -> None:
    first = fold([report("r1", reporter="u1"), report("r2", reporter="u2")])
    decided = close_case(first.changes[0].state)
    known = Known(
        report_ids={"r1", "r2"},
        cases={decided.case_id: decided},
        reporters={(decided.case_id, 1, "u1"), (decided.case_id, 1, "u2")},
    )

    result = fold([report("r3", reporter="u1", minutes=60)], known)

    change = result.changes[0]
    assert change.event_type is CaseEventType.REOPENED
    assert change.state.revision == 2
    assert change.state.status is CaseStatus.OPEN
    assert (change.state.report_count, change.state.reporter_count) == (1, 1)
    assert change.state.first_reported_at == T0 + timedelta(minutes=60)
    assert result.accepted[0].case_revision == 2
    assert result.accepted[0].repeat is False


def test_reporter_languages_accumulate_without_repeats() -> None:
    result = fold(
        [
            report("r1", reporter="u1", language="fr"),
            report("r2", reporter="u2", language="en"),
            report("r3", reporter="u3", language="fr"),
        ]
    )

    assert result.changes[0].state.reporter_languages == ("fr", "en")


def test_out_of_order_reports_keep_first_and_last_times() -> None:
    result = fold([report("r1", minutes=10), report("r2", reporter="u2", minutes=-10)])

    state = result.changes[0].state
    assert state.first_reported_at == T0 - timedelta(minutes=10)
    assert state.last_reported_at == T0 + timedelta(minutes=10)


def test_case_opened_and_updated_in_one_batch_is_announced_once_as_opened() -> None:
    result = fold([report(f"r{i}", reporter=f"u{i}") for i in range(5)])

    assert [c.event_type for c in result.changes] == [CaseEventType.OPENED]
    assert len(result.changes[0].joined) == 5
