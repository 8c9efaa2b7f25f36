"""Every lane gets work, whatever share of the topic the group gives this process."""

from __future__ import annotations

from aiokafka import TopicPartition

from shared.runtime.consumer import deal


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
