"""How long the runtime retries: outages until they pass, ambiguity a few times, the rest never."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import errors as kafka_errors

from shared.config import Settings
from shared.runtime.errors import StopRequestedError
from shared.runtime.retry import RetryPolicy


def policy(stop: asyncio.Event, **settings: float) -> RetryPolicy:
    config = Settings(retry_initial_seconds=0.001, retry_max_seconds=0.004, **settings)  # type: ignore[arg-type]
    return RetryPolicy(config, service="test", stop=stop)


class Flaky:
    """Fails ``times`` times with ``error``, then returns "done"."""

    def __init__(self, error: BaseException, times: int) -> None:
        self.error, self.left, self.calls = error, times, 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.left:
            self.left -= 1
            raise self.error
        return "done"


async def test_an_outage_is_retried_until_it_passes() -> None:
    action = Flaky(kafka_errors.KafkaConnectionError(), times=50)

    assert await policy(asyncio.Event()).run("publish", action) == "done"
    assert action.calls == 51


async def test_an_ambiguous_failure_is_retried_a_few_times_then_raised() -> None:
    action = Flaky(kafka_errors.IllegalStateError(), times=10)

    with pytest.raises(kafka_errors.IllegalStateError):
        await policy(asyncio.Event(), retry_ambiguous_attempts=3).run("handle", action)
    assert action.calls == 4


async def test_no_ambiguous_retry_while_isolating_a_record() -> None:
    action = Flaky(kafka_errors.IllegalStateError(), times=1)

    with pytest.raises(kafka_errors.IllegalStateError):
        await policy(asyncio.Event()).run("handle", action, ambiguous_attempts=0)
    assert action.calls == 1


@pytest.mark.parametrize("error", [KeyError("bug"), kafka_errors.TopicAuthorizationFailedError()])
async def test_message_and_fatal_faults_are_not_retried(error: BaseException) -> None:
    action = Flaky(error, times=1)

    with pytest.raises(type(error)):
        await policy(asyncio.Event()).run("handle", action)
    assert action.calls == 1


async def test_a_stop_request_ends_the_retries() -> None:
    stop = asyncio.Event()
    action = Flaky(ConnectionRefusedError(), times=10**9)
    asyncio.get_running_loop().call_later(0.05, stop.set)

    with pytest.raises(StopRequestedError):
        await policy(stop).run("connect", action)
    assert 1 < action.calls < 10**9


def test_backoff_doubles_up_to_the_cap() -> None:
    retry = RetryPolicy(
        Settings(retry_initial_seconds=0.5, retry_max_seconds=3.0),
        service="test",
        stop=asyncio.Event(),
    )
    assert [retry.backoff(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
