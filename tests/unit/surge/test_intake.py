"""The intake's work on a batch: refused values named, records placed by reporter, packed."""

from __future__ import annotations

import pickle

import orjson

from services.surge.core.intake import place
from services.surge.core.records import partition_for, unpack_accepted
from services.surge.core.stages import accepted_of, reporter_key
from tests.unit.surge.helpers import accepted_event as event


def test_each_record_goes_to_its_reporter_s_partition_in_order() -> None:
    values = [orjson.dumps(event(report_id=f"r{n}", reporter_id=f"u{n % 7}")) for n in range(60)]

    placed = place(values, partitions=8, limit=1024 * 1024)

    assert placed.refused == []
    records = {p: unpack_accepted(v) for p, v in placed.messages}
    assert sum(len(r) for r in records.values()) == 60
    for partition, held in records.items():
        assert {partition_for(reporter_key(r.reporter).decode(), 8) for r in held} == {partition}
        positions = [[accepted_of(v) for v in values].index(r) for r in held]
        assert positions == sorted(positions)


def test_invalid_values_are_refused_by_position_with_their_error_and_repeats_dropped() -> None:
    values = [
        orjson.dumps(event(report_id="ok1")),
        b"{not json",
        orjson.dumps({**event(report_id="again"), "repeat": True}),
        None,
        orjson.dumps(event(report_id="ok2", category="not-a-category")),
        orjson.dumps(event(report_id="ok3")),
    ]

    placed = place(values, partitions=8, limit=1024 * 1024)

    assert [at for at, _error in placed.refused] == [1, 3, 4]
    assert all(isinstance(error, ValueError) for _at, error in placed.refused)
    kept = [r for _p, v in placed.messages for r in unpack_accepted(v)]
    assert kept == [accepted_of(values[0]), accepted_of(values[5])]


def test_a_partition_s_records_are_split_into_messages_the_topic_takes() -> None:
    values = [orjson.dumps(event(report_id=f"r{n}", reporter_id="u1")) for n in range(3000)]
    limit = 128 * 1024

    placed = place(values, partitions=8, limit=limit)

    assert len({p for p, _v in placed.messages}) == 1
    assert len(placed.messages) > 1
    assert all(len(v) <= limit - 64 * 1024 for _p, v in placed.messages)
    assert sum(len(unpack_accepted(v)) for _p, v in placed.messages) == 3000


def test_what_the_worker_returns_crosses_a_process_boundary_whole() -> None:
    placed = place([orjson.dumps(event()), b"[1]"], partitions=8, limit=1024 * 1024)

    again = pickle.loads(pickle.dumps(placed))  # noqa: S301 - our own bytes

    assert again.messages == placed.messages
    assert [(at, str(e)) for at, e in again.refused] == [(at, str(e)) for at, e in placed.refused]
