"""``crible healthcheck``: what the image's HEALTHCHECK and the pods' probes run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from shared.cli.healthcheck import check
from shared.config import Settings
from shared.metrics import MetricsServer

TOKEN = "probe-token"


class Readiness:
    def __init__(self) -> None:
        self.ready = False

    def __call__(self) -> tuple[bool, list[str]]:
        return self.ready, [] if self.ready else ["partitions"]


@pytest.fixture
async def server() -> AsyncIterator[tuple[MetricsServer, Readiness]]:
    readiness = Readiness()
    metrics = MetricsServer(
        host="127.0.0.1", port=0, token=TOKEN, registry=CollectorRegistry(), readiness=readiness
    )
    await metrics.start()
    try:
        yield metrics, readiness
    finally:
        await metrics.close()


def settings(port: int, token: str | None = TOKEN, host: str = "0.0.0.0") -> Settings:  # noqa: S104
    return Settings(
        metrics_host=host,
        metrics_port=port,
        metrics_token=None if token is None else SecretStr(token),
    )


async def test_alive_with_the_token_even_before_ready(
    server: tuple[MetricsServer, Readiness],
) -> None:
    metrics, _ = server
    healthy, answer = await asyncio.to_thread(check, settings(metrics.port), ready=False)
    assert healthy, answer
    ready, answer = await asyncio.to_thread(check, settings(metrics.port), ready=True)
    assert not ready
    assert "503" in answer
    assert "partitions" in answer


async def test_ready_once_the_process_says_so(server: tuple[MetricsServer, Readiness]) -> None:
    metrics, readiness = server
    readiness.ready = True
    ready, answer = await asyncio.to_thread(
        check, settings(metrics.port, host="127.0.0.1"), ready=True
    )
    assert ready, answer


async def test_a_wrong_token_is_unhealthy(server: tuple[MetricsServer, Readiness]) -> None:
    metrics, _ = server
    healthy, answer = await asyncio.to_thread(
        check, settings(metrics.port, token="wrong"), ready=False
    )
    assert not healthy
    assert "401" in answer


def test_without_port_or_token_it_says_what_is_missing() -> None:
    assert check(settings(0), ready=False) == (
        False,
        "CRIBLE_METRICS_PORT is not set: no health endpoint to ask",
    )
    assert check(settings(9, token=None), ready=False) == (False, "CRIBLE_METRICS_TOKEN is not set")


def test_nothing_listening_is_unhealthy() -> None:
    healthy, answer = check(settings(1, host="127.0.0.1"), ready=False, timeout=1)
    assert not healthy
    assert answer.startswith("/healthz: ConnectionRefusedError")


def test_the_command_exits_non_zero_when_unhealthy(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from services import main  # noqa: PLC0415
    from shared.config import get_settings  # noqa: PLC0415

    monkeypatch.setenv("CRIBLE_METRICS_PORT", "0")
    get_settings.cache_clear()
    try:
        assert main(["healthcheck", "--ready"]) == 1
    finally:
        get_settings.cache_clear()
    assert "CRIBLE_METRICS_PORT is not set" in capsys.readouterr().err
