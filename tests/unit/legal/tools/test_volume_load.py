"""The volume loader's plan: each month's share of the sessions, and where measured rows go."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from services.legal.tools.volume_load import Pool, chunks, placed, plan


def test_the_months_share_the_sessions_by_their_days_and_add_up_to_the_total() -> None:
    plans = plan(1_000_003, first=date(2025, 11, 1), today=date(2026, 12, 7))
    assert (plans[0].month, plans[-1].month) == (date(2025, 11, 1), date(2026, 12, 1))
    assert len(plans) == 14
    assert sum(p.count for p in plans) == 1_000_003
    days = (date(2026, 12, 8) - date(2025, 11, 1)).days
    # December 2026 is loaded up to the end of today: 7 days of 402.
    assert abs(plans[-1].count - 1_000_003 * 7 / days) <= 1
    assert plans[-1].end == datetime(2026, 12, 8, tzinfo=UTC)
    assert abs(plans[0].count - 1_000_003 * 30 / days) <= 1


def test_a_session_takes_the_slot_of_its_time() -> None:
    (month,) = plan(30 * 86400, first=date(2026, 4, 1), today=date(2026, 4, 30))
    assert month.step == 1.0
    assert month.slot(datetime(2026, 4, 1, tzinfo=UTC)) == 0
    assert month.slot(datetime(2026, 4, 2, 0, 0, 1, 500000, tzinfo=UTC)) == 86401
    assert month.slot(datetime(2026, 5, 1, tzinfo=UTC) - timedelta(microseconds=1)) == (
        30 * 86400 - 1
    )


def test_measured_rows_go_in_time_order_to_their_month_and_slot() -> None:
    plans = plan(2 * 61 * 86400, first=date(2026, 3, 1), today=date(2026, 4, 30))
    late = ("b", "u", datetime(2026, 4, 1, 0, 0, 10, tzinfo=UTC))
    early = ("a", "u", datetime(2026, 3, 1, 0, 0, 3, tzinfo=UTC))
    found = placed(plans, [late, early])
    assert found == {date(2026, 3, 1): [(6, early)], date(2026, 4, 1): [(20, late)]}


def test_each_measured_row_replaces_the_bulk_row_of_its_slot() -> None:
    assert list(chunks(10, [])) == [(0, 10, None)]
    assert list(chunks(10, [0, 4, 4, 9])) == [
        (0, 0, 0),  # the first slot is the measured row's
        (1, 4, 1),
        (5, 5, 2),  # two in one slot: nothing between them
        (5, 9, 3),
        (10, 10, None),
    ]
    made = [n for lo, hi, _ in chunks(10, [0, 4, 4, 9]) for n in range(lo, hi)]
    assert made == [1, 2, 3, 5, 6, 7, 8]  # 7 bulk rows and 4 measured: 11 in all


def test_the_pool_cuts_each_sealed_value_back_out() -> None:
    values = [b"\x02" + bytes(range(n)) for n in (40, 51, 33)]
    pool = Pool.of(values)
    cut = zip(pool.offsets, pool.lengths, strict=True)
    assert [pool.blob[at - 1 : at - 1 + size] for at, size in cut] == values
