"""Packing a stage's records into messages a topic takes."""

import orjson

from services.surge.core.records import pack, packs


def test_records_that_fill_more_than_one_message_are_packed_into_several_that_fit() -> None:
    records = [
        (n, n * 7, f"channel:s{n}", ["channel", f"s{n}", None], "spam", n) for n in range(40_000)
    ]
    limit = 1024 * 1024

    parts = packs(records, limit=limit)

    assert len(pack(records)) > limit
    assert len(parts) > 1
    assert all(len(part) <= limit - 64 * 1024 for part in parts)
    assert [r for part in parts for r in orjson.loads(part)] == orjson.loads(pack(records))


def test_records_that_fit_one_message_stay_in_one() -> None:
    records = [(1, 2, "channel:a", ["channel", "a", None], "spam", 3)]

    assert packs(records, limit=1024 * 1024) == [pack(records)]
