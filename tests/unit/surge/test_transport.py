"""faust's consumer as surge runs it: no record is handed over while the flow is suspended."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from faust.transport.drivers import aiokafka as driver
from faust.types import TP

from services.surge.adapters.transport import App, Consumer

KEPT, MOVED = TP("t", 0), TP("t", 1)


@pytest.fixture
def consumer(monkeypatch: pytest.MonkeyPatch) -> Consumer:
    """Our consumer over a fetch that returns one record of each partition."""

    async def fetched(self: Any, timeout: float) -> AsyncIterator[tuple[TP, str]]:
        for tp in (KEPT, MOVED):
            yield tp, f"record of {tp.partition}"

    monkeypatch.setattr(driver.Consumer, "getmany", fetched)
    made = App("transport-test", broker="kafka://127.0.0.1:9").consumer
    assert isinstance(made, Consumer)
    monkeypatch.setattr(made, "assignment", lambda: {KEPT})
    return made


async def _all(consumer: Consumer) -> list[Any]:
    return [message async for _tp, message in consumer.getmany(timeout=1.0)]


async def test_records_wait_for_the_flow_and_those_of_partitions_moved_meanwhile_are_dropped(
    consumer: Consumer,
) -> None:
    # faust resumes partitions and seeks them before it resumes the flow; its fetch loop
    # would drop a record handed over in between while counting it as read.
    consumer.stop_flow()
    handed = asyncio.ensure_future(_all(consumer))
    await asyncio.sleep(0.1)
    assert not handed.done()
    consumer.resume_flow()
    assert await asyncio.wait_for(handed, timeout=5) == ["record of 0"]


async def test_with_the_flow_running_every_record_is_handed_over_at_once(
    consumer: Consumer,
) -> None:
    assert await asyncio.wait_for(_all(consumer), timeout=5) == ["record of 0", "record of 1"]
