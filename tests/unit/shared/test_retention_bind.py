"""Retention rules' SQL: named values bound in order of appearance (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.runtime.retention import bind

CUTOFF = datetime(2025, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_each_name_becomes_one_numbered_parameter_in_order_of_appearance() -> None:
    sql, args = bind(
        "SELECT 1 WHERE a < :cutoff AND b > :now AND c < :cutoff LIMIT :limit",
        cutoff=CUTOFF,
        now=NOW,
        limit=10,
    )
    assert sql == "SELECT 1 WHERE a < $1 AND b > $2 AND c < $1 LIMIT $3"
    assert args == [CUTOFF, NOW, 10]


def test_unused_names_are_not_bound_and_casts_are_left_alone() -> None:
    sql, args = bind("SELECT x::text FROM t WHERE y < :now", cutoff=CUTOFF, now=NOW, limit=1)
    assert sql == "SELECT x::text FROM t WHERE y < $1"
    assert args == [NOW]
