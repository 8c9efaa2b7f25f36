"""When a subject's held-back growth is flushed (:class:`HeldBack`)."""

from __future__ import annotations

from services.surge.core.held import HeldBack


def test_a_subject_is_due_once_quiet_and_only_once() -> None:
    held = HeldBack(quiet=2, at_most=15)
    held.grew(b"a", 3, now=100)
    held.grew(b"a", 3, now=101)
    assert held.due(102.5) == {}
    assert held.due(103) == {b"a": (3, True)}
    assert held.due(110) == {}
    assert len(held) == 0


def test_a_subject_that_keeps_growing_is_due_at_the_bound() -> None:
    held = HeldBack(quiet=2, at_most=15)
    flushed = []
    for tick in range(40):  # a report every second, a look every second
        now = 100.0 + tick
        held.grew(b"busy", 1, now)
        flushed += [(now, quiet) for _p, quiet in held.due(now).values()]
    assert flushed == [(115.0, False), (131.0, False)]  # held again from its next growth


def test_a_subject_found_after_a_rebalance_is_due_at_the_next_look() -> None:
    held = HeldBack(quiet=2, at_most=15)
    held.flush_soon(b"moved", 5)
    assert held.due(0.0) == {b"moved": (5, True)}


def test_a_subject_flushed_by_a_sweep_is_no_longer_held() -> None:
    held = HeldBack(quiet=2, at_most=15)
    held.grew(b"gone", 0, now=1)
    held.forget(b"gone")
    assert held.due(100) == {}
