"""Thresholds, the category baseline, the campaign rules and the signals they yield."""

from datetime import UTC, datetime
from uuid import UUID

from services.surge.core.baseline import CategoryStats, above_baseline
from services.surge.core.campaigns import classify
from services.surge.core.detect import bursts, signal, signal_id
from services.surge.core.look import Figures
from services.surge.core.records import subject_of
from services.surge.core.windows import SubjectState, WindowSpec, windows_touched
from shared.events.surge import SurgeKind, SurgeSignal
from tests.unit.surge.helpers import T0, annotated, policy

SPEC = WindowSpec(size=600, step=60, threshold=10)


def no_baseline(_category: str, _start: int, _end: int) -> tuple[int, int]:
    return (0, 0)


def burst_state(reports: int, **kwargs: object) -> SubjectState:
    state = SubjectState()
    for n in range(reports):
        state.add(annotated(n, **kwargs), bucket_seconds=60)  # type: ignore[arg-type]
    return state


def figures(reporters: int, *, new: int = 0, linked: int = 0) -> Figures:
    return Figures(
        count=reporters,
        reporters=reporters,
        new_reporters=new,
        linked=linked,
        linked_reporters=reporters,
        active_buckets=1,
        categories={"spam": reporters},
    )


def test_the_signal_id_depends_on_subject_and_window_only() -> None:
    a = signal_id("channel:ch1", SPEC, T0)

    assert a == signal_id("channel:ch1", SPEC, T0)
    assert a != signal_id("channel:ch1", SPEC, T0 + 60)
    assert a != signal_id("channel:ch2", SPEC, T0)
    assert a != signal_id("channel:ch1", WindowSpec(3600, 300, 60), T0)
    assert UUID(str(a)).version == 5


def test_below_the_threshold_nothing_is_due() -> None:
    state = burst_state(9)

    assert (
        bursts(state, windows_touched([SPEC], [T0]), policy=policy(), baseline=no_baseline).due
        == []
    )


def test_a_burst_is_due_once_per_window_then_only_when_it_grew() -> None:
    rules = policy(republish_growth=0.5)
    state = burst_state(10)
    touched = windows_touched([SPEC], [T0])

    first = bursts(state, touched, policy=rules, baseline=no_baseline).due
    again = bursts(state, touched, policy=rules, baseline=no_baseline).due
    for n in range(10, 15):
        state.add(annotated(n), bucket_seconds=60)
    grown = bursts(state, touched, policy=rules, baseline=no_baseline).due

    assert len(first) == 10  # every 10-minute window that contains the burst
    assert {b.count for b in first} == {10}
    assert again == []
    assert len(grown) == 10
    assert {b.count for b in grown} == {15}


def test_a_windows_kind_is_decided_at_its_first_publication() -> None:
    rules = policy(republish_growth=0)
    state = burst_state(10)
    touched = windows_touched([SPEC], [T0])
    first = bursts(state, touched, policy=rules, baseline=no_baseline).due
    for n in range(10, 40):
        state.add(annotated(n, new=True), bucket_seconds=60)

    later = bursts(state, touched, policy=rules, baseline=no_baseline).due

    assert {b.kind for b in first} == {SurgeKind.VIRAL}
    assert {b.kind for b in later} == {SurgeKind.VIRAL}
    assert all(b.count == 40 for b in later)


def test_the_relative_test_holds_a_burst_back_in_a_busy_category() -> None:
    state = burst_state(10)

    def busy(_category: str, _start: int, _end: int) -> tuple[int, int]:
        return (10 + 30 * 8, 1 + 30)  # 30 other subject-minutes at 8 reports each

    held = bursts(state, windows_touched([SPEC], [T0]), policy=policy(), baseline=busy).due

    assert held == []


def above(category: tuple[int, int]) -> bool:
    return above_baseline(
        reports=20, active_buckets=2, category=category, own=(20, 2), factor=5.0, min_subjects=20
    )


def test_above_baseline_compares_rates_without_the_subjects_own_reports() -> None:
    assert above((20 + 40, 2 + 40))  # 10 a minute against 1
    assert not above((20 + 120, 2 + 40))  # against 3
    assert above((20 + 500, 2 + 10))  # too few other subject-minutes: no baseline yet


def kind(figures: Figures) -> SurgeKind:
    return classify(figures, new_share=0.6, coreport_share=0.5, coreport_min=5).kind


def test_mostly_new_reporters_make_a_coordinated_burst() -> None:
    assert kind(figures(10, new=7)) is SurgeKind.COORDINATED
    assert kind(figures(10, new=5)) is SurgeKind.VIRAL


def test_reporters_who_acted_together_before_make_a_coordinated_burst() -> None:
    assert kind(figures(10, linked=6)) is SurgeKind.COORDINATED
    assert kind(figures(10, linked=4)) is SurgeKind.VIRAL
    assert kind(figures(6, linked=4)) is SurgeKind.VIRAL  # too few to count as a set


def test_the_signal_is_a_valid_contract_event() -> None:
    state = burst_state(12)
    burst = bursts(state, windows_touched([SPEC], [T0]), policy=policy(), baseline=no_baseline).due[
        0
    ]

    at = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    event = signal(subject_of(("channel", "ch1", None)), burst, now=at)

    again = SurgeSignal.model_validate_json(event.model_dump_json())
    assert again.signal_id == signal_id("channel:ch1", SPEC, burst.start)
    assert again.count == 12
    assert again.emitted_at == at
    assert again.distinct_reporters == 12
    assert again.window_end.timestamp() - again.window_start.timestamp() == 600


def test_category_stats_round_trip_and_expire() -> None:
    stats = CategoryStats()
    stats.add(T0, new_subject=True)
    stats.add(T0, new_subject=False)
    stats.add(T0 + 600, new_subject=True)

    again = CategoryStats.from_wire(stats.to_wire())
    again.prune(T0 + 60)

    assert stats.totals(T0, T0 + 600) == (2, 1)
    assert again.totals(T0, T0 + 1200) == (1, 1)
    assert not again.ended(T0 + 600)
    assert again.ended(T0 + 601)
    assert CategoryStats().ended(T0)


def test_growth_too_small_to_publish_is_held_for_a_flush() -> None:
    rules = policy(republish_growth=0.5)
    state = burst_state(10)
    touched = windows_touched([SPEC], [T0])
    bursts(state, touched, policy=rules, baseline=no_baseline)
    state.add(annotated(10), bucket_seconds=60)

    small = bursts(state, touched, policy=rules, baseline=no_baseline)
    flushed = bursts(state, touched, policy=rules, baseline=no_baseline, flush=True)
    after = bursts(state, touched, policy=rules, baseline=no_baseline, flush=True)

    assert small.due == []
    assert small.held
    assert {b.count for b in flushed.due} == {11}
    assert len(flushed.due) == 10
    assert after.due == []
    assert not after.held


def test_a_flush_never_publishes_a_window_for_the_first_time() -> None:
    state = burst_state(12)

    flushed = bursts(
        state, windows_touched([SPEC], [T0]), policy=policy(), baseline=no_baseline, flush=True
    )

    assert flushed.due == []
