"""When a service counts as resumed after a fault, from committed and end offsets alone."""

from __future__ import annotations

from shared.cli.drill.groups import Offsets, Resumption, service_of

P = "drill1."


def offsets(
    committed: dict[tuple[str, str, int], int], ends: dict[tuple[str, int], int], at: float
) -> Offsets:
    return Offsets(committed, ends, at)


BEFORE = offsets(
    {
        (P + "crible-ingest", "t.in", 0): 100,
        (P + "crible-ingest", "t.in", 1): 50,
        (P + "crible-ingest.decisions", "t.dec", 0): 7,
        (P + "crible-surge", "t.sub", 0): 10,
    },
    # At the fault: partition 0 has 20 records waiting, partition 1 none.
    {("t.in", 0): 120, ("t.in", 1): 50, ("t.dec", 0): 7, ("t.sub", 0): 10},
    at=1000.0,
)


def test_groups_belong_to_their_service() -> None:
    assert service_of(P + "crible-ingest.decisions", P) == "ingest"
    assert service_of(P + "crible-surge", P) == "surge"


def test_finishing_the_work_under_way_at_the_fault_is_not_resuming() -> None:
    resumption = Resumption(BEFORE, P)
    # Records 100-119 were there when the fault began; committing them says nothing.
    resumption.observe(offsets(
        {**BEFORE.committed, (P + "crible-ingest", "t.in", 0): 120},
        {("t.in", 0): 160, ("t.in", 1): 60, ("t.dec", 0): 7, ("t.sub", 0): 10},
        at=1003.0,
    ))  # fmt: skip
    assert "ingest" not in resumption.resumed
    # Surge's partition got nothing since the fault: nothing to resume.
    assert resumption.resumed == {"surge": 3.0}


def test_a_service_resumes_when_every_partition_did_work_that_came_after_the_fault() -> None:
    resumption = Resumption(BEFORE, P)
    resumption.observe(offsets(
        {**BEFORE.committed, (P + "crible-ingest", "t.in", 0): 125},
        {("t.in", 0): 160, ("t.in", 1): 60, ("t.dec", 0): 7, ("t.sub", 0): 10},
        at=1004.0,
    ))  # fmt: skip
    assert "ingest" not in resumption.resumed  # partition 1 has 10 new records, untouched
    resumption.observe(offsets(
        {**BEFORE.committed, (P + "crible-ingest", "t.in", 0): 125,
         (P + "crible-ingest", "t.in", 1): 60},
        {("t.in", 0): 170, ("t.in", 1): 60, ("t.dec", 0): 7, ("t.sub", 0): 10},
        at=1009.5,
    ))  # fmt: skip
    assert resumption.resumed["ingest"] == 9.5
    assert resumption.complete


def test_what_could_not_be_read_counts_as_not_resumed() -> None:
    resumption = Resumption(BEFORE, P)
    # The broker holding these partitions and the group's coordinator is gone: nothing read.
    resumption.observe(offsets({}, {}, at=1002.0))
    assert resumption.resumed == {}
    assert not resumption.complete
