"""The three stages over plain dicts: a burst, a campaign, a replay (no Kafka, no faust)."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import pytest

from services.surge.core.baseline import CategoryStats
from services.surge.core.detect import Burst
from services.surge.core.policy import Policy
from services.surge.core.records import Accepted, Annotated, pack, unpack_accepted, unpack_annotated
from services.surge.core.reporters import ReporterState
from services.surge.core.stages import accepted_of, annotate, count, flush
from services.surge.core.windows import SubjectState, WindowSpec
from shared.events.surge import SurgeKind
from tests.unit.surge.helpers import DAY, T0, accepted, accepted_event, annotated, policy


class Tables:
    def __init__(self) -> None:
        self.reporters: dict[bytes, ReporterState] = {}
        self.subjects: dict[bytes, SubjectState] = {}
        self.categories: dict[bytes, CategoryStats] = {}
        self.since: int | None = None
        self.held: list[str] = []

    def run(self, records: Sequence[Accepted], rules: Policy) -> list[Burst]:
        """Both stateful stages, through the wire form the topics carry."""
        records = unpack_accepted(pack(tuple(r) for r in records))
        self.since = min([r.at for r in records] + ([self.since] if self.since else []))
        notes = annotate(records, reporters=self.reporters, watched_since=self.since, policy=rules)
        notes = unpack_annotated(pack(tuple(r) for r in notes))
        counted = count(
            notes, partition=0, subjects=self.subjects, categories=self.categories, policy=rules
        )
        self.held = [r.subject for r in counted.held]
        return [b for _r, b in counted.due]


def history(tables: Tables, reporters: list[str], *, subject: str, at: int) -> None:
    tables.run(
        [accepted(i, reporter=r, subject=subject, at=at) for i, r in enumerate(reporters)], policy()
    )


def test_a_burst_by_people_seen_before_is_viral_with_one_id_per_window() -> None:
    tables = Tables()
    people = [f"p{n}" for n in range(12)]
    history(tables, people, subject="old", at=T0 - 20 * DAY)

    due = tables.run([accepted(n, reporter=p) for n, p in enumerate(people)], policy())

    assert len(due) == 10
    assert {b.kind for b in due} == {SurgeKind.VIRAL}
    assert len({b.start for b in due}) == 10


def test_a_burst_by_fresh_accounts_is_coordinated() -> None:
    tables = Tables()
    history(tables, [f"p{n}" for n in range(12)], subject="old", at=T0 - 20 * DAY)

    due = tables.run([accepted(n, reporter=f"fresh{n}") for n in range(12)], policy())

    assert due
    assert {b.kind for b in due} == {SurgeKind.COORDINATED}
    assert all(b.new_share == 1.0 for b in due)


def test_a_burst_by_a_set_that_reported_together_before_is_coordinated() -> None:
    tables = Tables()
    brigade = [f"b{n}" for n in range(12)]
    history(tables, brigade, subject="target1", at=T0 - 20 * DAY)
    history(tables, brigade[:8], subject="target2", at=T0 - DAY)

    due = tables.run(
        [accepted(n, reporter=r, subject="target3") for n, r in enumerate(brigade)], policy()
    )

    assert due
    assert {b.kind for b in due} == {SurgeKind.COORDINATED}
    assert all(b.new_share == 0.0 for b in due)


def test_a_replayed_message_counts_nothing_twice() -> None:
    tables = Tables()
    burst = [accepted(n) for n in range(12)]
    tables.run(burst, policy())

    again = tables.run(burst, policy())

    assert again == []
    state = tables.subjects[b"channel:ch1"]
    assert state.count(T0 - 600, T0 + 600) == 12


def test_reports_split_across_messages_add_up() -> None:
    tables = Tables()
    tables.run([accepted(n) for n in range(6)], policy())

    due = tables.run([accepted(n) for n in range(6, 12)], policy())

    assert {b.count for b in due} == {12}


def test_accepted_of_reads_a_valid_event_and_skips_repeats() -> None:
    event = accepted_event()

    record = accepted_of(orjson.dumps(event))
    repeat = accepted_of(orjson.dumps({**event, "repeat": True}))

    assert record is not None
    assert record.subject == "message:c1:m1"
    assert record.at == T0
    assert repeat is None


@pytest.mark.parametrize("value", [b"not json", b"{}", None, b'{"schema_version": 2}'])
def test_accepted_of_refuses_what_is_not_a_report_accepted(value: bytes | None) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - pydantic's ValidationError is one
        accepted_of(value)


def test_packed_records_keep_their_fields() -> None:
    note = Annotated(1, 2, "channel:x", ("channel", "x", None), "spam", T0, new=True, others=(3,))

    assert unpack_annotated(pack([tuple(note)])) == [note]


def test_a_held_subject_is_flushed_with_its_last_figures() -> None:
    tables = Tables()
    tables.run([accepted(n) for n in range(10)], policy(republish_growth=0.5))

    due = tables.run([accepted(10)], policy(republish_growth=0.5))
    flushed = flush(tables.subjects[b"channel:ch1"], policy=policy(republish_growth=0.5))

    assert due == []
    assert tables.held == ["channel:ch1"]
    assert {b.count for b in flushed} == {11}


def test_a_subject_flushed_while_it_still_grows_publishes_only_its_ended_windows() -> None:
    rules = policy(republish_growth=0.5)  # 10-minute windows a minute apart, threshold 10
    tables = Tables()
    tables.run([accepted(n, at=T0 + 30) for n in range(10)], rules)  # ten windows hold them
    tables.run([accepted(10, at=T0 + 40)], rules)  # held: grew by less than half
    tables.run([accepted(n, at=T0 + 330) for n in (11, 12)], rules)  # half of them ended
    state = tables.subjects[b"channel:ch1"]

    growing = flush(state, policy=rules, ended_only=True)
    quiet = flush(state, policy=rules)

    ended = [T0 - 540 + 60 * n for n in range(5)]  # they end by T0 + 300, the newest bucket
    assert sorted((b.start, b.count) for b in growing) == [(s, 11) for s in ended]
    assert sorted((b.start, b.count) for b in quiet) == [(s + 300, 13) for s in ended]


def test_what_the_tables_keep_levels_off_once_the_longest_window_has_passed() -> None:
    """A steady stream over many subjects: reports kept stop growing after the horizon."""
    tables = Tables()
    rules = policy()  # one 10-minute window: the horizon
    kept = []
    for minute in range(30):
        at = T0 + minute * 60
        tables.run(
            [
                accepted(
                    minute * 100 + n,
                    reporter=f"u{n % 40}",
                    subject=f"s{(n + 7 * minute) % 50}",  # each reporter: 50 subjects in turn
                    at=at,
                )
                for n in range(100)
            ],
            rules,
        )
        for key in [k for k, s in tables.subjects.items() if s.ended(at - rules.horizon_seconds)]:
            del tables.subjects[key]
        kept.append(sum(s.total() for s in tables.subjects.values()))

    assert kept[9] == 1000  # ten minutes of 100 reports
    assert max(kept[10:]) <= 1100  # the window and the minute being filled, no more
    assert kept[-1] == kept[15]
    assert max(len(r.subjects) for r in tables.reporters.values()) == 32  # of 50 reported


HOUR_POLICY = {
    "windows": (
        WindowSpec(size=600, step=60, threshold=10),
        WindowSpec(size=3600, step=300, threshold=60),
    )
}


def test_a_bucket_older_than_the_shortest_window_keeps_its_reports_not_its_links() -> None:
    tables = Tables()
    rules = policy(**HOUR_POLICY)
    people = [f"p{n}" for n in range(6)]
    history(tables, people, subject="elsewhere", at=T0 - DAY)  # every report of ch1 linked
    for minute in range(15):
        tables.run(
            [
                accepted(100 * minute + n, reporter=p, at=T0 + 60 * minute)
                for n, p in enumerate(people)
            ],
            rules,
        )

    state = tables.subjects[b"channel:ch1"]
    newest = T0 + 14 * 60
    assert {s for s, b in state.buckets.items() if b.link_count} == {
        newest - 60 * m for m in range(10)
    }
    assert state.count(T0, T0 + 3600) == 90  # every report still counted over the hour
    assert state.figures(T0, T0 + 3600).reporters == 6


def test_an_hour_s_co_reporting_share_is_judged_on_its_newest_minutes() -> None:
    tables = Tables()
    rules = policy(**HOUR_POLICY)
    brigade = [f"b{n}" for n in range(8)]
    history(tables, brigade, subject="target1", at=T0 - DAY)
    # 40 minutes of unrelated reporters, fewer a window than the 10-minute threshold.
    for n in range(32):
        tables.run([accepted(n, reporter=f"passer{n}", at=T0 + 75 * n)], rules)
    # Then the brigade, within minutes: the hour reaches its threshold with them.
    due = tables.run(
        [
            accepted(1000 + n, reporter=b, at=T0 + 3000 + 60 * (n % 4))
            for n, b in enumerate(brigade * 4)
        ],
        rules,
    )

    hour = [b for b in due if b.spec.size == 3600]
    assert hour
    assert {b.kind for b in hour} == {SurgeKind.COORDINATED}


def test_an_hour_of_reports_keeps_links_for_its_newest_minutes_only() -> None:
    rules = policy(**HOUR_POLICY)
    subjects: dict[bytes, SubjectState] = {}
    others = tuple(range(1, 33))  # every reporter had reported 32 other subjects
    for minute in range(60):
        records = [
            annotated(
                100 * minute + n, reporter=f"u{minute}-{n}", at=T0 + 60 * minute, others=others
            )
            for n in range(50)
        ]
        count(records, partition=0, subjects=subjects, categories={}, policy=rules)

    state = subjects[b"channel:ch1"]
    words = sum(len(b) for b in state.buckets.values()) + len(state.archive)
    assert state.count(T0, T0 + 3600) == 3000
    # Without the rule every report kept its reporter's 32 links: 34 words a report or more.
    assert words / 3000 < 34 / 3
