"""Hopping windows kept as buckets: arithmetic, counting once, expiry, the changelog form."""

import gc
import random
import tracemalloc
from collections import Counter
from typing import Any

import orjson

from services.surge.core.bucket import Bucket, _words
from services.surge.core.look import Figures
from services.surge.core.records import Annotated, fingerprint
from services.surge.core.windows import (
    Changes,
    Emitted,
    ReportCounts,
    SubjectState,
    WindowSpec,
    windows_touched,
)
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


def test_a_subject_ends_once_its_newest_bucket_is_before_the_horizon() -> None:
    state = SubjectState()
    state.add(annotated(1, at=T0 + 90), bucket_seconds=60)

    assert not state.ended(T0 + 60)
    assert state.ended(T0 + 61)
    assert SubjectState().ended(T0)


def test_the_changelog_form_round_trips() -> None:
    state = SubjectState()
    for n in range(3):
        state.add(annotated(n, new=n == 0, others=(5,)), bucket_seconds=60)

    again = _round_trip(state)

    assert again.figures(T0, T0 + 60) == state.figures(T0, T0 + 60)
    assert again.add(annotated(1), bucket_seconds=60) is None


def test_windows_touched_by_several_instants_are_listed_once() -> None:
    specs = (WindowSpec(600, 60, 10), WindowSpec(3600, 300, 60))

    touched = windows_touched(specs, [T0, T0 + 1, T0 + 2])

    assert len(touched) == 10 + 12


def test_figures_match_the_reports_they_were_built_from() -> None:
    records = _mixed(random.Random(20), reports=400, reporters=60, seconds=900, others=12)
    state = SubjectState()
    for record in records:
        state.add(record, bucket_seconds=60)
    again = _round_trip(state)

    for start, end in ((T0, T0 + 600), (T0 + 300, T0 + 900), (T0 + 60, T0 + 120)):
        assert state.figures(start, end) == _figures_of(records, start, end)
        figures = state.figures(start, end)
        tally = (figures.count, figures.active_buckets, figures.categories)
        assert state.tally(start, end) == tally
        assert again.figures(start, end) == state.figures(start, end)


def test_one_look_gives_each_of_many_windows_the_figures_of_its_reports() -> None:
    rng = random.Random(22)
    records = _mixed(rng, reports=900, reporters=70, seconds=1800, others=9, deliveries=2500)
    state = SubjectState()
    for record in records:
        state.add(record, bucket_seconds=60)
    windows = [(T0 + s, T0 + s + 600) for s in range(0, 1800, 60)]
    windows += [(T0 + s, T0 + s + 3600) for s in range(-1800, 1800, 300)]
    rng.shuffle(windows)  # a walk from the newest bucket must not depend on the order asked

    look = state.look()

    for start, end in windows:
        assert look.figures(start, end) == _figures_of(records, start, end), (start, end)
        figures = look.figures(start, end)
        assert look.tally(start, end) == (
            figures.count,
            figures.active_buckets,
            figures.categories,
        )
        spam = {r.report: r for r in records if start <= r.at < end and r.category == "spam"}
        buckets = {r.at - r.at % 60 for r in spam.values()}
        assert look.own("spam", start, end) == (len(spam), len(buckets))


def test_a_write_carries_the_buckets_changed_since_the_last_and_the_head() -> None:
    rng = random.Random(23)
    records = _mixed(rng, reports=300, reporters=40, seconds=600, others=9)
    state, log = SubjectState(), _Log()
    for record in records:
        state.add(record, bucket_seconds=60)
    first = log.write(state)
    assert sorted(s for s, _wire in first.buckets) == sorted(state.starts())

    late = [annotated(1000 + n, reporter=f"u{n}", at=T0 + 590, others=(3, 4)) for n in range(5)]
    for record in late:
        state.add(record, bucket_seconds=60)
    second = log.write(state)

    assert [s for s, _wire in second.buckets] == [T0 + 540]
    assert second.gone == []
    assert second.head["s"] == state.starts()
    assert log.read().figures(T0, T0 + 600) == _figures_of(records + late, T0, T0 + 600)
    assert log.write(state).buckets == []  # nothing since: the head alone


def test_buckets_archived_or_pruned_are_written_again_or_tombstoned() -> None:
    records = _mixed(random.Random(24), reports=300, reporters=40, seconds=900, others=9)
    state, log = SubjectState(), _Log()
    for record in records:
        state.add(record, bucket_seconds=60)
    log.write(state)

    state.drop_links(T0 + 600)  # ten buckets archived, their links dropped
    archived = log.write(state)
    state.prune(T0 + 300)  # five buckets, archived, forgotten
    pruned = log.write(state)

    assert sorted(s for s, _wire in archived.buckets) == [T0 + 60 * n for n in range(10)]
    assert all(wire[3] == "" for _s, wire in archived.buckets)  # no links any more
    assert pruned.buckets == []
    assert pruned.gone == [T0 + 60 * n for n in range(5)]
    assert sorted(log.buckets) == sorted(state.starts())
    kept = [r for r in records if r.at >= T0 + 300]
    again = log.read()
    assert again.figures(T0, T0 + 900, links_from=T0 + 600) == state.figures(
        T0, T0 + 900, links_from=T0 + 600
    )
    assert again.count(T0, T0 + 900) == len({r.report for r in kept})


def test_a_bucket_a_head_names_without_its_record_is_left_out() -> None:
    """A crash between a write's records: the reports behind it are read again."""
    state, log = SubjectState(), _Log()
    state.add(annotated(1, at=T0), bucket_seconds=60)
    state.add(annotated(2, at=T0 + 60), bucket_seconds=60)
    log.write(state)
    del log.buckets[T0 + 60]

    again = log.read()

    assert again.starts() == [T0]
    assert again.add(annotated(2, at=T0 + 60), bucket_seconds=60) is not None  # counted again
    assert again.count(T0, T0 + 120) == 2


class _Log:
    """A subject's records as a compacted changelog keeps them: the last of each key."""

    def __init__(self) -> None:
        self.head: dict[str, Any] = {}
        self.buckets: dict[int, object] = {}

    def write(self, state: SubjectState) -> Changes:
        changes = state.changes()
        for start, wire in changes.buckets:
            self.buckets[start] = orjson.loads(orjson.dumps(wire))
        for start in changes.gone:
            self.buckets.pop(start, None)
        self.head = orjson.loads(orjson.dumps(changes.head))
        return changes

    def read(self) -> SubjectState:
        return SubjectState.from_parts(self.head, self.buckets)


def _round_trip(state: SubjectState) -> SubjectState:
    """``state`` written (everything changed since its last write), then read back."""
    log = _Log()
    log.write(state)
    return log.read()


def _mixed(
    rng: random.Random,
    *,
    reports: int,
    reporters: int,
    seconds: int,
    others: int,
    deliveries: int = 1500,
) -> list[Annotated]:
    """``deliveries`` of ``reports`` reports (some delivered more than once, each always with
    the same time, reporter and category) over ``seconds``, with links to ``others``."""
    return [
        annotated(
            n,
            reporter=f"u{n % reporters}",
            at=T0 + n * 7919 % seconds,
            category=("spam", "hate_speech", "scam")[n % 3],
            new=rng.random() < 0.3,
            others=tuple(sorted(rng.sample(range(1, others), rng.randrange(min(others - 1, 5))))),
        )
        for n in (rng.randrange(reports) for _ in range(deliveries))
    ]


def _figures_of(records: list[Annotated], start: int, end: int) -> Figures:
    """The figures of ``[start, end)`` computed from scratch: a report's first delivery."""
    counted: dict[int, Annotated] = {}
    for record in records:
        if start <= record.at < end:
            counted.setdefault(record.report, record)
    firsts: dict[tuple[int, int], Annotated] = {}  # (bucket, reporter): its first report
    new: dict[int, bool] = {}
    for record in counted.values():
        firsts.setdefault((record.at - record.at % 60, record.reporter), record)
        new[record.reporter] = new.get(record.reporter, False) or record.new
    linked = Counter(o for r in firsts.values() for o in r.others)
    return Figures(
        count=len(counted),
        reporters=len(new),
        new_reporters=sum(new.values()),
        linked=min(max(linked.values(), default=0), len(new)),
        linked_reporters=len(new),
        active_buckets=len({r.at - r.at % 60 for r in counted.values()}),
        categories=dict(Counter(r.category for r in counted.values())),
    )


def test_changelog_values_of_the_form_before_buckets_were_words_are_read() -> None:
    r1, r2, r3 = (fingerprint(f"r{n}") for n in range(3))
    u1, u2 = fingerprint("u1"), fingerprint("u2")
    before = {  # as SubjectState.to_wire wrote it until buckets were words
        "b": [
            [T0, [r1, r2], [[u1, True], [u2, False]], {"spam": 2}, [[7, 2], [8, 1]]],
            [T0 + 60, [r3], [[u1, False]], {"scam": 1}, []],
        ],
        "e": [["600:1795859460", "viral", 3, 2]],
        "p": ["channel", "ch1", None],
    }

    state = SubjectState.from_wire(orjson.loads(orjson.dumps(before)))
    rewritten = _round_trip(state)  # the next write carries every bucket

    for read in (state, rewritten):
        assert read.figures(T0, T0 + 120) == Figures(
            count=3,
            reporters=2,
            new_reporters=1,
            linked=2,
            linked_reporters=2,
            active_buckets=2,
            categories={"spam": 2, "scam": 1},
        )
        assert read.emitted["600:1795859460"].count == 3
        assert read.parts == ("channel", "ch1", None)
    replay = Annotated(r2, u2, "channel:ch1", ("channel", "ch1", None), "spam", T0 + 5, new=False)
    assert state.add(replay, bucket_seconds=60) is None


def test_a_report_kept_costs_a_few_words_not_a_set_entry() -> None:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    state = SubjectState()
    for n in range(3000):  # 50 reports a minute over an hour, each reporter once a minute
        state.add(annotated(n, reporter=f"u{n % 50}", at=T0 + n * 60 // 50), bucket_seconds=60)
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()

    assert state.count(T0, T0 + 3600) == 3000
    assert kept / 3000 < 32  # two words a report and a bucket's fixed cost (sets: 170)


def test_archived_buckets_give_the_figures_they_gave_before() -> None:
    rng = random.Random(21)
    records = [
        annotated(
            rng.randrange(600),  # some delivered more than once, late or not
            reporter=f"u{rng.randrange(40)}",
            at=T0 + rng.randrange(1800),
            category=("spam", "hate_speech", "scam")[n % 3],
            new=rng.random() < 0.3,
            others=tuple(sorted(rng.sample(range(1, 12), rng.randrange(4)))),
        )
        for n in range(1500)
    ]
    cutoff = T0 + 1200
    plain, archived = SubjectState(), SubjectState()
    for n, record in enumerate(records):
        plain.add(record, bucket_seconds=60)
        archived.add(record, bucket_seconds=60)
        if n % 100 == 99:
            archived.drop_links(cutoff)
    again = _round_trip(archived)

    assert archived.archive.starts()
    assert sorted(archived.starts()) == sorted(plain.starts())
    assert archived.total() == plain.total()
    for start, end in ((T0, T0 + 600), (T0 + 900, T0 + 1500), (T0, T0 + 1800)):
        expected = plain.figures(start, end, links_from=cutoff)
        assert archived.figures(start, end, links_from=cutoff) == expected
        assert again.figures(start, end, links_from=cutoff) == expected
        assert archived.count(start, end) == plain.count(start, end)
        assert archived.own("spam", start, end) == plain.own("spam", start, end)
    for state in (plain, archived):
        state.prune(T0 + 600)
    assert archived.total() == plain.total()
    assert sorted(archived.starts()) == sorted(plain.starts())


def test_a_report_delivered_again_into_an_archived_bucket_counts_once() -> None:
    state = SubjectState()
    state.add(annotated(1, at=T0), bucket_seconds=60)
    state.add(annotated(2, at=T0 + 900), bucket_seconds=60)
    state.drop_links(T0 + 600)

    assert state.archive.starts() == [T0]
    assert state.add(annotated(1, at=T0), bucket_seconds=60) is None
    assert state.add(annotated(3, at=T0 + 5), bucket_seconds=60) is False
    assert state.count(T0, T0 + 60) == 2


def test_report_counts_sum_the_buckets_of_any_span() -> None:
    rng = random.Random(3)
    by_start = [(T0 + 60 * rng.randrange(60), rng.randrange(1, 9)) for _ in range(40)]
    counts = ReportCounts(by_start)  # unsorted, a start possibly twice (as listed)

    for _ in range(200):
        start = T0 + 60 * rng.randrange(-2, 62) + rng.choice((0, 1, -1))
        end = start + rng.randrange(0, 3700)
        assert counts(start, end) == sum(n for s, n in by_start if start <= s < end)


def test_the_changelog_form_tells_an_ended_or_published_subject_without_decoding() -> None:
    """A sweep decides on the stored form; it must agree with the decoded state, archived
    buckets and the form before buckets were words included."""
    rng = random.Random(5)
    state = SubjectState()
    for n in range(300):
        state.add(
            annotated(n, reporter=f"u{n % 30}", at=T0 + rng.randrange(1800)), bucket_seconds=60
        )
        if n % 50 == 49:
            state.drop_links(T0 + 1200)
    log = _Log()
    log.write(state)
    older: dict[str, Any] = {"b": [[T0, [1], [[2, True]], {"spam": 1}, []]], "e": [], "p": None}
    whole: dict[str, Any] = {"v": 2, "b": [[T0 + 60, *Bucket().to_wire()]], "e": [], "p": None}
    empty: dict[str, Any] = {"v": 2, "b": [], "e": [], "p": None}
    read: list[tuple[dict[str, Any], SubjectState]] = [(log.head, log.read())]
    read += [(wire, SubjectState.from_wire(wire)) for wire in (older, whole, empty)]
    for wire, decoded in read:
        for before in (T0 - 1, T0, T0 + 1, T0 + 60, T0 + 61, T0 + 1741, T0 + 1801, T0 + 10**6):
            assert SubjectState.wire_ended(wire, before) == decoded.ended(before), (wire, before)
        assert SubjectState.wire_emitted(wire) == bool(decoded.emitted)
    state.emitted["600:0"] = Emitted("viral", 3, 2)
    assert SubjectState.wire_emitted(log.write(state).head)


def test_a_bucket_writes_its_links_counted_whatever_its_reporters() -> None:
    for reporters in (1, 2, 5):
        bucket = Bucket()
        for n in range(reporters):
            others = tuple(sorted({7, 9, 11 + n % 2}))
            bucket.add(100 + n, reporter=200 + n, new=False, others=others, category="spam")
        counted = Counter(bucket.links())

        written, counts = bucket.links_wire()

        assert dict(zip(_words(written), counts, strict=True)) == counted


def test_a_bucket_read_from_its_record_holds_the_words_it_was_written_from() -> None:
    records = _mixed(random.Random(25), reports=400, reporters=30, seconds=60, others=9)
    for n in (1, 2, 5, 400):
        bucket = Bucket()
        for record in records[:n]:
            bucket.add(
                record.report,
                reporter=record.reporter,
                new=record.new,
                others=record.others,
                category=record.category,
            )
        reports, words, categories, others, counts = bucket.to_wire()
        body = _words(words)
        rebuilt = Bucket.from_sets(  # the sets the words stand for, sorted again
            body[:reports],
            reporters={w >> 1: bool(w & 1) for w in body[reports:]},
            categories=categories,
            linked=dict(zip(_words(others), counts, strict=True)),
        )

        assert Bucket.from_wire(*bucket.to_wire()) == rebuilt
        assert Counter(Bucket.from_wire(*bucket.to_wire()).links()) == Counter(bucket.links())


def test_a_replayed_report_has_its_bucket_written_again() -> None:
    """Its offset was not committed: the write that carried its bucket may have failed."""
    state, log = SubjectState(), _Log()
    state.add(annotated(1, at=T0), bucket_seconds=60)
    state.add(annotated(2, at=T0 + 60), bucket_seconds=60)
    log.write(state)

    assert state.add(annotated(1, at=T0), bucket_seconds=60) is None
    assert [s for s, _wire in log.write(state).buckets] == [T0]
