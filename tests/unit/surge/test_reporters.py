"""What a report says about its reporter: new or seen before, other subjects reported."""

from services.surge.core.reporters import MAX_SUBJECTS, ReporterState, Seen, expired, observe
from tests.unit.surge.helpers import DAY, T0

WEEK = 7 * DAY


def see(
    state: ReporterState | None, subject: int, at: int, since: int = T0 - 30 * DAY
) -> tuple[ReporterState, Seen]:
    return observe(
        state,
        subject=subject,
        at=at,
        watched_since=since,
        new_seconds=WEEK,
        coreport_seconds=WEEK,
    )


def test_a_reporter_first_seen_now_is_new_once_the_detector_watched_long_enough() -> None:
    _state, seen = see(None, 1, T0)

    assert seen.new


def test_nobody_is_new_before_the_detector_has_watched_for_the_new_reporter_period() -> None:
    _state, seen = see(None, 1, T0, since=T0 - DAY)

    assert not seen.new


def test_a_reporter_seen_weeks_ago_is_not_new() -> None:
    state, _ = see(None, 1, T0 - 20 * DAY)

    _state, seen = see(state, 2, T0)

    assert not seen.new


def test_other_subjects_reported_recently_are_named_not_older_ones() -> None:
    state, _ = see(None, 10, T0 - 20 * DAY)
    state, _ = see(state, 11, T0 - DAY)

    _state, seen = see(state, 12, T0)

    assert seen.others == (11,)


def test_observing_the_same_report_twice_changes_nothing() -> None:
    state, first = see(None, 1, T0)
    again, second = see(ReporterState.from_wire(state.to_wire()), 1, T0)

    assert second == first
    assert again.to_wire() == state.to_wire()


def test_only_the_most_recent_subjects_are_kept() -> None:
    state = None
    for n in range(MAX_SUBJECTS + 5):
        state, _ = see(state, n, T0 + n)

    assert state is not None
    assert len(state.subjects) == MAX_SUBJECTS
    assert 0 not in state.subjects


def test_an_inactive_reporter_expires() -> None:
    state, _ = see(None, 1, T0)

    assert not expired(state, now=T0 + DAY, retention_seconds=30 * DAY)
    assert expired(state, now=T0 + 31 * DAY, retention_seconds=30 * DAY)
