"""The decoded subjects kept beside RocksDB: bounded by the weight of their stored form."""

from __future__ import annotations

from services.surge.core.hot import Hot
from tests.unit.bounded_memory import assert_memory_levels_off


def test_least_recently_used_go_first_once_over_the_limit() -> None:
    hot = Hot(limit=30)
    hot.put(0, b"a", "A", 10)
    hot.put(0, b"b", "B", 10)
    hot.put(1, b"c", "C", 10)
    assert hot.get(b"a") == "A"  # now the most recently used
    hot.put(1, b"d", "D", 10)

    assert hot.get(b"b") is None
    assert [hot.get(k) for k in (b"a", b"c", b"d")] == ["A", "C", "D"]
    assert hot.weight == 30


def test_a_value_heavier_than_the_limit_is_not_kept_and_replaces_nothing() -> None:
    hot = Hot(limit=30)
    hot.put(0, b"a", "A", 10)
    hot.put(0, b"a", "A2", 31)

    assert hot.get(b"a") is None
    assert hot.weight == 0
    assert len(hot) == 0


def test_a_value_put_again_is_weighed_once() -> None:
    hot = Hot(limit=100)
    hot.put(0, b"a", "A", 10)
    hot.put(0, b"a", "A2", 20)

    assert hot.get(b"a") == "A2"
    assert hot.weight == 20


def test_peek_leaves_the_order_as_it_is() -> None:
    hot = Hot(limit=20)
    hot.put(0, b"a", "A", 10)
    hot.put(0, b"b", "B", 10)
    assert hot.peek(b"a") == "A"
    hot.put(0, b"c", "C", 10)

    assert hot.peek(b"a") is None  # still the least recently used: gone
    assert hot.peek(b"b") == "B"


def test_a_partition_that_moved_is_forgotten_alone() -> None:
    hot = Hot(limit=100)
    hot.put(0, b"a", "A", 10)
    hot.put(1, b"b", "B", 10)
    hot.put(0, b"c", "C", 10)
    hot.drop_partition(0)

    assert [hot.peek(k) for k in (b"a", b"b", b"c")] == [None, "B", None]
    assert hot.weight == 10


def test_memory_levels_off_once_the_limit_is_reached() -> None:
    # Each value weighs what its stored form would (a bytes object of that size): past
    # the limit, the least recently used make room.
    hot = Hot(limit=2_000 * 200)

    def touch(n: int) -> None:
        hot.put(n % 8, b"subject-%d" % n, bytes(200), 200)

    assert_memory_levels_off(touch, bound=2_000)
    assert hot.weight <= hot.limit
