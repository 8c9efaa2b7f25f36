"""The watchdog tells a stalled agent from an idle one."""

from services.surge.core.watchdog import Watchdog


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_lag_that_does_not_move_is_a_stall() -> None:
    clock = Clock()
    dog = Watchdog(stall_seconds=60, clock=clock)
    dog.processed("t", 0, 9)

    clock.now = 59
    assert dog.stalled({("t", 0): 20}) == []
    clock.now = 61
    assert dog.stalled({("t", 0): 20}) == [("t", 0)]


def test_progress_resets_the_clock() -> None:
    clock = Clock()
    dog = Watchdog(stall_seconds=60, clock=clock)
    dog.processed("t", 0, 9)
    clock.now = 50
    dog.processed("t", 0, 15)

    clock.now = 100
    assert dog.stalled({("t", 0): 20}) == []
    assert dog.lag({("t", 0): 20}) == {("t", 0): 4}


def test_an_idle_partition_is_not_stalled() -> None:
    clock = Clock()
    dog = Watchdog(stall_seconds=60, clock=clock)
    dog.start(("t", 1), 10)

    clock.now = 1000
    assert dog.stalled({("t", 1): 10}) == []
    clock.now = 1059
    assert dog.stalled({("t", 1): 11}) == []  # lag just appeared: the clock starts now


def test_partitions_no_longer_assigned_are_forgotten() -> None:
    dog = Watchdog(stall_seconds=60, clock=lambda: 0.0)
    dog.processed("t", 0, 1)
    dog.processed("t", 1, 1)

    dog.forget({("t", 1)})

    assert not dog.known(("t", 0))
    assert dog.known(("t", 1))


def test_lag_that_stops_moving_is_read_again_from_the_next_offset_before_any_stall() -> None:
    clock = Clock()
    dog = Watchdog(stall_seconds=60, reread_seconds=20, clock=clock)
    dog.processed("t", 0, 9)

    clock.now = 19
    assert dog.to_read_again({("t", 0): 20}) == {}
    clock.now = 21
    assert dog.to_read_again({("t", 0): 20}) == {("t", 0): 10}
    clock.now = 30
    assert dog.to_read_again({("t", 0): 20}) == {}  # once per 20 s of no progress
    clock.now = 41
    assert dog.to_read_again({("t", 0): 20}) == {("t", 0): 10}
    assert dog.stalled({("t", 0): 20}) == []
    clock.now = 45
    dog.processed("t", 0, 19)  # read again, and processed; then more lag
    clock.now = 60
    assert dog.to_read_again({("t", 0): 30}) == {}
    clock.now = 66
    assert dog.to_read_again({("t", 0): 30}) == {("t", 0): 20}
    clock.now = 100
    assert dog.stalled({("t", 0): 30}) == []  # 55 s since it moved
    clock.now = 106
    assert dog.stalled({("t", 0): 30}) == [("t", 0)]


def test_an_idle_partition_is_never_read_again() -> None:
    clock = Clock()
    dog = Watchdog(stall_seconds=60, reread_seconds=20, clock=clock)
    dog.processed("t", 0, 9)
    clock.now = 100
    assert dog.to_read_again({("t", 0): 10}) == {}


def test_partitions_of_a_topic_its_agent_works_through_are_neither_read_again_nor_stalled() -> None:
    """Partition 0 in the agent's batch, 1 waiting behind it: a batch slower than both delays."""
    clock = Clock()
    dog = Watchdog(stall_seconds=60, reread_seconds=20, clock=clock)
    dog.processed("t", 0, 9)
    dog.processed("t", 1, 9)
    dog.processed("u", 0, 9)
    lag = {("t", 0): 5000, ("t", 1): 5000, ("u", 0): 5000}

    for clock.now in range(0, 125, 5):
        dog.working_on("t")  # its agent says so through the batch
        assert set(dog.to_read_again(lag)) <= {("u", 0)}
        assert set(dog.stalled(lag)) <= {("u", 0)}
    assert dog.stalled(lag) == [("u", 0)]  # another topic's agent said nothing


def test_an_agent_that_stops_working_is_a_stall() -> None:
    clock = Clock()
    dog = Watchdog(stall_seconds=60, reread_seconds=20, clock=clock)
    dog.processed("t", 0, 9)
    dog.working_on("t")  # and then hangs
    lag = {("t", 0): 5000}

    clock.now = 19
    assert dog.to_read_again(lag) == {}
    clock.now = 21
    assert dog.to_read_again(lag) == {("t", 0): 10}
    clock.now = 61
    assert dog.stalled(lag) == [("t", 0)]


def test_partitions_behind_a_batch_are_watched_again_from_its_end() -> None:
    clock = Clock()
    dog = Watchdog(stall_seconds=60, clock=clock)
    dog.processed("t", 0, 9)
    dog.working_on("t")
    clock.now = 30
    dog.working_on("t")  # the batch ends: what waited behind it is next

    clock.now = 89
    assert dog.stalled({("t", 0): 20}) == []
    clock.now = 91
    assert dog.stalled({("t", 0): 20}) == [("t", 0)]
