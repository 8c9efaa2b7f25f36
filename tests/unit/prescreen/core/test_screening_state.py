"""The rule that decides whether a case event needs a new verdict (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.prescreen.core.screening_state import (
    CaseScreening,
    CaseState,
    Outcome,
    judge,
    screened,
)

CASE = uuid.uuid4()
NOW = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)


def standing(revision: int, report_count: int, mark: str = "m1") -> CaseScreening:
    return CaseScreening(CASE, revision, report_count, uuid.uuid4(), uuid.uuid4(), mark, NOW)


def state(revision: int, report_count: int) -> CaseState:
    return CaseState(CASE, revision, report_count, uuid.uuid4())


def test_a_case_never_screened_needs_a_verdict() -> None:
    assert judge(None, state(1, 1), fingerprint="m1") is Outcome.NEW


@pytest.mark.parametrize(("revision", "reports"), [(2, 3), (2, 2), (1, 9), (1, 3)])
def test_a_redelivered_or_older_event_is_stale(revision: int, reports: int) -> None:
    # Ordered by (revision, report_count): never by one of them alone.
    assert judge(standing(2, 3), state(revision, reports), fingerprint="other") is Outcome.STALE


def test_a_newer_state_saying_the_same_is_unchanged_within_a_revision() -> None:
    assert judge(standing(2, 3), state(2, 4), fingerprint="m1") is Outcome.UNCHANGED


def test_a_newer_state_saying_something_else_needs_a_verdict() -> None:
    assert judge(standing(2, 3), state(2, 4), fingerprint="m2") is Outcome.NEW


def test_a_new_revision_needs_a_verdict_even_when_it_says_the_same() -> None:
    assert judge(standing(2, 3), state(3, 1), fingerprint="m1") is Outcome.NEW


def test_the_state_left_behind_carries_the_event_and_the_standing_verdict() -> None:
    event = state(4, 7)
    verdict = uuid.uuid4()
    left = screened(event, verdict_id=verdict, fingerprint="m9", now=NOW)
    assert left == CaseScreening(CASE, 4, 7, event.event_id, verdict, "m9", NOW)
