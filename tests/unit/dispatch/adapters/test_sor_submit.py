"""Submitting statements against a local server that behaves as DSA-SOR.md §1 documents."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from services.dispatch.adapters.sor_http import SorSubmitter
from services.dispatch.core.statements import build_statement
from services.dispatch.ports import SubmitResult, SubmitStatus
from tests.unit.dispatch.adapters import sor_server
from tests.unit.dispatch.core.test_statements import facts

TOKEN = "7|ybqkCFX7ZkIFoLxtI0VAk1JBzMR9jVk4c4EU"


@pytest.fixture
def server() -> Iterator[tuple[str, sor_server.State]]:
    with sor_server.running(TOKEN) as running:
        yield running


def statements(n: int) -> list[dict[str, Any]]:
    made = [build_statement(facts(decision_id=uuid4())) for _ in range(n)]
    return [s for s in made if s is not None]


def submitter(base_url: str, token: str = TOKEN, **options: Any) -> SorSubmitter:
    # Tiny back-off: the tests must stay fast.
    return SorSubmitter(
        base_url=base_url, token=token, backoff=0.01, max_backoff=0.05, timeout=5, **options
    )


def statuses(results: list[SubmitResult]) -> list[SubmitStatus]:
    return [r.status for r in results]


async def test_250_statements_go_in_three_batches(server: tuple[str, sor_server.State]) -> None:
    url, state = server
    sent = statements(250)
    async with submitter(url) as client:
        results = await client.submit(sent)
    assert statuses(results) == [SubmitStatus.SUBMITTED] * 250
    assert [r.puid for r in results] == [s["puid"] for s in sent]
    assert state.batches == [100, 100, 50]
    assert state.puids == {s["puid"] for s in sent}


async def test_already_used_puids_count_as_duplicates(server: tuple[str, sor_server.State]) -> None:
    url, state = server
    old, new = statements(5), statements(3)
    async with submitter(url) as client:
        await client.submit(old)
        results = await client.submit([*old[:2], *new, *old[2:]])
    assert (
        statuses(results)
        == [SubmitStatus.DUPLICATE] * 2
        + [SubmitStatus.SUBMITTED] * 3
        + [SubmitStatus.DUPLICATE] * 3
    )
    # The refused batch of 8 was sent again without the duplicates.
    assert state.batches == [5, 8, 3]
    assert state.puids == {s["puid"] for s in old + new}


async def test_a_puid_twice_in_one_call_is_sent_once(server: tuple[str, sor_server.State]) -> None:
    url, state = server
    one = statements(1)[0]
    async with submitter(url) as client:
        results = await client.submit([one, dict(one)])
    assert statuses(results) == [SubmitStatus.SUBMITTED, SubmitStatus.DUPLICATE]
    assert state.batches == [1]


async def test_a_refused_item_is_rejected_with_the_servers_words_and_the_rest_stored(
    server: tuple[str, sor_server.State],
) -> None:
    url, state = server
    sent = statements(10)
    sent[3] = {**sent[3], "decision_ground": "DECISION_GROUND_UNKNOWN"}
    async with submitter(url, validate_locally=False) as client:
        results = await client.submit(sent)
    assert results[3].status is SubmitStatus.REJECTED
    assert results[3].reason == "decision_ground: 'DECISION_GROUND_UNKNOWN' is not an allowed value"
    assert statuses(results[:3] + results[4:]) == [SubmitStatus.SUBMITTED] * 9
    assert state.batches == [10, 9]  # all-or-nothing: the nine valid ones went again


async def test_local_validation_rejects_before_sending(
    server: tuple[str, sor_server.State],
) -> None:
    url, state = server
    sent = statements(2)
    sent[0] = {**sent[0], "puid": "not a puid"}
    async with submitter(url) as client:
        results = await client.submit(sent)
    assert results[0].status is SubmitStatus.REJECTED
    assert results[0].reason is not None
    assert results[0].reason.startswith("puid: ")
    assert results[1].status is SubmitStatus.SUBMITTED
    assert state.batches == [1]


async def test_rate_limiting_is_waited_out(server: tuple[str, sor_server.State]) -> None:
    url, state = server
    state.throttle = 2
    async with submitter(url) as client:
        results = await client.submit(statements(3))
    assert statuses(results) == [SubmitStatus.SUBMITTED] * 3
    assert state.requests == 3


async def test_retry_after_is_respected(server: tuple[str, sor_server.State]) -> None:
    url, state = server
    state.throttle, state.retry_after = 1, "1"
    started = time.monotonic()
    async with submitter(url) as client:
        results = await client.submit(statements(1))
    assert time.monotonic() - started >= 1.0
    assert statuses(results) == [SubmitStatus.SUBMITTED]


async def test_rate_limiting_gives_up_after_bounded_tries(
    server: tuple[str, sor_server.State],
) -> None:
    url, state = server
    state.throttle = 100
    async with submitter(url, max_attempts=3) as client:
        results = await client.submit(statements(2))
    assert statuses(results) == [SubmitStatus.FAILED] * 2
    assert results[0].reason == "transient: HTTP 429 Limit Reached. Please do not overload the API"
    assert state.requests == 3


async def test_a_retry_after_beyond_the_limit_fails_at_once(
    server: tuple[str, sor_server.State],
) -> None:
    url, state = server
    state.throttle, state.retry_after = 5, "3600"
    async with submitter(url, max_retry_after=60) as client:
        results = await client.submit(statements(1))
    assert statuses(results) == [SubmitStatus.FAILED]
    assert state.requests == 1


async def test_a_wrong_token_fails_everything_with_a_clear_reason(
    server: tuple[str, sor_server.State], caplog: pytest.LogCaptureFixture
) -> None:
    url, state = server
    caplog.set_level(logging.DEBUG)
    wrong = "9|wrongwrongwrongwrong"
    async with submitter(url, token=wrong) as client:
        results = await client.submit(statements(150))
        assert wrong not in repr(client)
    assert statuses(results) == [SubmitStatus.FAILED] * 150
    assert results[0].reason is not None
    assert results[0].reason.startswith("HTTP 401: the token was refused")
    assert "Unauthenticated." in results[0].reason
    assert state.requests == 1  # the second batch was not tried with a refused token
    assert state.puids == set()
    assert wrong not in caplog.text
    assert TOKEN not in caplog.text


async def test_a_server_that_is_down_fails_transiently() -> None:
    # A port that was just free: nothing listens there.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with submitter(f"http://127.0.0.1:{port}", max_attempts=2) as client:
        results = await client.submit(statements(2))
    assert statuses(results) == [SubmitStatus.FAILED] * 2
    assert results[0].reason is not None
    assert results[0].reason.startswith("transient: ConnectError")


def test_batch_size_is_bounded() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        SorSubmitter(base_url="http://127.0.0.1:1", token=TOKEN, batch_size=101)
