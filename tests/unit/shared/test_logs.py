"""Repeated identical warnings are written once per interval, with a count of the rest;
an outage is logged once when it starts and once when it ends."""

from __future__ import annotations

import logging

import pytest
from aiokafka.errors import GroupCoordinatorNotAvailableError

from shared.logs import REPEATED, RepeatFolder, rebalance_commits_are_warnings
from shared.runtime.outages import Outages


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(msg: str, *, level: int = logging.ERROR, **extra: object) -> logging.LogRecord:
    made = logging.makeLogRecord({"name": "aiokafka", "levelno": level, "msg": msg, **extra})
    made.levelname = logging.getLevelName(level)
    return made


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_storm_of_identical_errors_is_one_line_and_one_count_per_interval(clock: Clock) -> None:
    written: list[logging.LogRecord] = []
    folder = RepeatFolder(written.append, interval=30, clock=clock)
    passed = []
    for second in range(60):  # 3,400 lines a minute, as one broker outage wrote them
        clock.now = second
        passed += [folder.filter(record("Unable connect to node with id 1")) for _ in range(57)]
    assert passed.count(True) == 2  # at 0 s and at 30 s
    assert [getattr(r, REPEATED) for r in written] == [56 + 29 * 57]  # the first interval's
    clock.now = 61
    folder.flush_ended()
    assert [getattr(r, REPEATED) for r in written] == [56 + 29 * 57, 56 + 29 * 57]
    assert written[0].getMessage() == "Unable connect to node with id 1"


def test_different_lines_and_info_lines_are_never_folded(clock: Clock) -> None:
    folder = RepeatFolder(lambda _r: None, interval=30, clock=clock)
    assert folder.filter(record("retrying", retry_in_s=0.2))
    assert folder.filter(record("retrying", retry_in_s=0.4))  # another attempt, another line
    assert folder.filter(record("Unable connect to node with id 1"))
    assert folder.filter(record("Unable connect to node with id 2"))
    assert folder.filter(record("message dead-lettered", level=logging.WARNING, offset=7))
    assert folder.filter(record("message dead-lettered", level=logging.WARNING, offset=8))
    assert all(folder.filter(record("partitions assigned", level=logging.INFO)) for _ in range(5))


def test_a_storm_that_ends_in_silence_is_still_counted_at_exit(clock: Clock) -> None:
    written: list[logging.LogRecord] = []
    folder = RepeatFolder(written.append, interval=30, clock=clock)
    for _ in range(5):
        folder.filter(record("Heartbeat failed"))
    clock.now = 3
    folder.flush_ended()
    assert written == []  # the interval has not ended
    folder.flush()
    assert [getattr(r, REPEATED) for r in written] == [4]


def test_an_outage_is_logged_when_it_starts_and_when_it_ends(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    outages = Outages(clock=clock)
    with caplog.at_level(logging.WARNING, logger="shared.runtime.outages"):
        outages.succeeded("kafka")
        for second in range(40):
            clock.now = second
            outages.failed("kafka", ConnectionRefusedError())
        outages.succeeded("kafka")
        outages.succeeded("kafka")
    assert [r.getMessage() for r in caplog.records] == [
        "kafka unreachable: outage started",
        "kafka reachable again: outage ended",
    ]
    ended = caplog.records[1]
    assert (ended.outage_s, ended.failed_checks) == (39, 40)  # type: ignore[attr-defined]


def test_a_coordinator_still_loading_is_an_outage_only_once_it_outlasts_its_grace(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    outages = Outages(clock=clock)
    loading = GroupCoordinatorNotAvailableError()
    with caplog.at_level(logging.WARNING, logger="shared.runtime.outages"):
        for second in range(0, 30, 5):  # a fresh broker creating its offsets topic
            clock.now = second
            outages.failed("kafka", loading, grace=30)
        outages.succeeded("kafka")
        assert caplog.records == []
        assert not outages.down("kafka")
        for second in range(100, 140, 5):  # a coordinator that never comes
            clock.now = second
            outages.failed("kafka", loading, grace=30)
    assert outages.down("kafka")
    assert [r.getMessage() for r in caplog.records] == ["kafka unreachable: outage started"]
    clock.now = 150
    outages.succeeded("kafka")
    ended = caplog.records[-1]
    assert (ended.outage_s, ended.failed_checks) == (50, 8)  # type: ignore[attr-defined]


def test_a_commit_refused_by_a_rebalance_is_a_warning_and_other_errors_stay_errors() -> None:
    refused = record(
        "OffsetCommit failed for group g due to group error ([Error 22] "
        "IllegalGenerationError: g), will rejoin"
    )
    refused.name = "aiokafka.consumer.group_coordinator"
    other = record("Unable connect to node with id 1")
    assert rebalance_commits_are_warnings(refused)
    assert rebalance_commits_are_warnings(other)
    assert (refused.levelno, refused.levelname) == (logging.WARNING, "WARNING")
    assert other.levelno == logging.ERROR
