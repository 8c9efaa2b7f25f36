"""Every active lane gets work whatever share of the topic the group gives this process, and
the lanes follow the backlog: one while the consumer keeps up, all of them while it lags."""

from __future__ import annotations

from aiokafka import TopicPartition

from shared.runtime.consumer import deal, lanes_for


def test_four_partitions_of_eight_keep_four_lanes_busy() -> None:
    # With two workers in the group, each holds half the partitions.
    mine = {TopicPartition("reports.submitted", p) for p in (1, 3, 5, 7)}

    lanes = deal(mine, 4)

    assert [len(lane) for lane in lanes] == [1, 1, 1, 1]
    assert set().union(*map(set, lanes)) == mine


def test_uneven_shares_differ_by_one_at_most() -> None:
    mine = {TopicPartition("t", p) for p in range(11)} | {TopicPartition("u", 0)}

    sizes = [len(lane) for lane in deal(mine, 4)]

    assert sorted(sizes) == [3, 3, 3, 3]
    assert max(sizes) - min(sizes) <= 1


def test_no_partition_is_dealt_twice() -> None:
    mine = {TopicPartition("t", p) for p in range(3)}

    lanes = deal(mine, 4)

    assert sorted(tp.partition for lane in lanes for tp in lane) == [0, 1, 2]
    assert [len(lane) for lane in lanes] == [1, 1, 1, 0]


def test_a_single_active_lane_takes_every_partition_and_the_others_none() -> None:
    mine = {TopicPartition("t", p) for p in range(8)}

    lanes = deal(mine, 4, active=1)

    assert [len(lane) for lane in lanes] == [8, 0, 0, 0]


def test_a_full_batch_brings_every_lane_in() -> None:
    assert lanes_for(1, most=4, batch=4000, waiting=0, max_batch=4000) == 4


def test_a_batch_worth_waiting_brings_every_lane_in() -> None:
    assert lanes_for(1, most=4, batch=12, waiting=4000, max_batch=4000) == 4


def test_a_consumer_that_keeps_up_runs_one_lane() -> None:
    assert lanes_for(4, most=4, batch=6, waiting=40, max_batch=4000) == 1
    assert lanes_for(1, most=4, batch=13, waiting=0, max_batch=4000) == 1


def test_between_the_thresholds_the_lanes_stay_as_they_are() -> None:
    # Draining a backlog, or a steady load a little above what one lane keeps up with.
    assert lanes_for(4, most=4, batch=900, waiting=2000, max_batch=4000) == 4
    assert lanes_for(1, most=4, batch=900, waiting=2000, max_batch=4000) == 1


def test_with_tiny_batches_only_an_empty_backlog_shrinks() -> None:
    assert lanes_for(4, most=4, batch=3, waiting=1, max_batch=5) == 4
    assert lanes_for(4, most=4, batch=3, waiting=0, max_batch=5) == 1
