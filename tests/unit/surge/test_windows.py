"""Hopping windows kept as buckets: arithmetic, counting once, expiry, the changelog form."""

from services.surge.core.windows import SubjectState, WindowSpec, windows_touched
from tests.unit.surge.helpers import T0, annotated


def test_an_instant_falls_in_size_over_step_windows_that_contain_it() -> None:
    spec = WindowSpec(size=600, step=60, threshold=10)

    starts = list(spec.starts(T0 + 125))

    assert len(starts) == 10
    assert all(s <= T0 + 125 < s + 600 for s in starts)
    assert starts[-1] == T0 + 120
    assert spec.starts(T0 + 120) == spec.starts(T0 + 179)


def test_an_hour_stepping_by_five_minutes() -> None:
    spec = WindowSpec(size=3600, step=300, threshold=60)

    assert len(spec.starts(T0)) == 12


def test_a_report_delivered_twice_counts_once() -> None:
    state = SubjectState()

    first = state.add(annotated(1), bucket_seconds=60)
    again = state.add(annotated(1), bucket_seconds=60)

    assert first is True
    assert again is None
    assert state.count(T0, T0 + 600) == 1


def test_figures_count_reports_and_distinct_reporters_across_buckets() -> None:
    state = SubjectState()
    for n in range(6):
        state.add(annotated(n, reporter=f"u{n % 3}", at=T0 + 60 * n), bucket_seconds=60)

    figures = state.figures(T0, T0 + 600)

    assert figures.count == 6
    assert figures.reporters == 3
    assert figures.active_buckets == 6
    assert state.figures(T0, T0 + 120).count == 2


def test_new_reporters_and_the_largest_co_reporting_set() -> None:
    state = SubjectState()
    for n in range(4):
        state.add(annotated(n, new=n < 3, others=(7, 8) if n < 2 else (9,)), bucket_seconds=60)

    figures = state.figures(T0, T0 + 600)

    assert figures.new_reporters == 3
    assert figures.linked == 2


def test_the_majority_category_names_the_burst() -> None:
    state = SubjectState()
    state.add(annotated(1, category="hate_speech"), bucket_seconds=60)
    state.add(annotated(2, category="spam"), bucket_seconds=60)
    state.add(annotated(3, category="spam"), bucket_seconds=60)

    assert state.figures(T0, T0 + 60).category == "spam"


def test_prune_forgets_buckets_before_the_horizon() -> None:
    state = SubjectState()
    state.add(annotated(1, at=T0), bucket_seconds=60)
    state.add(annotated(2, at=T0 + 900), bucket_seconds=60)

    state.prune(T0 + 300)

    assert list(state.buckets) == [T0 + 900]


def test_the_changelog_form_round_trips() -> None:
    state = SubjectState()
    for n in range(3):
        state.add(annotated(n, new=n == 0, others=(5,)), bucket_seconds=60)

    again = SubjectState.from_wire(state.to_wire())

    assert again.figures(T0, T0 + 60) == state.figures(T0, T0 + 60)
    assert again.add(annotated(1), bucket_seconds=60) is None


def test_windows_touched_by_several_instants_are_listed_once() -> None:
    specs = (WindowSpec(600, 60, 10), WindowSpec(3600, 300, 60))

    touched = windows_touched(specs, [T0, T0 + 1, T0 + 2])

    assert len(touched) == 10 + 12
