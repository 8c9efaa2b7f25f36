"""A Kafka broker of a test's own, beside the local one: to stop and restart it mid-stream,
or to run it with SASL authentication."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

from shared.cli.local.kafka import LocalKafka


def free_port_pair() -> int:
    """A port whose successor is free too (the broker's controller takes port + 1)."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of ports")


class OwnBroker:
    """A broker started in ``home`` that a test may stop and start again (data kept)."""

    def __init__(self, home: Path, *, sasl_users: dict[str, str] | None = None) -> None:
        self._kafka = LocalKafka(home, port=free_port_pair(), sasl_users=sasl_users, heap="384m")

    @property
    def bootstrap(self) -> str:
        """Where clients connect."""
        return self._kafka.bootstrap

    async def start(self) -> None:
        """Start it (formatting its storage the first time) and wait until it listens."""
        await asyncio.to_thread(self._kafka.start)

    async def stop(self) -> None:
        """Stop it cleanly."""
        await asyncio.to_thread(self._kafka.stop)


@contextlib.asynccontextmanager
async def own_broker(
    home: Path, *, sasl_users: dict[str, str] | None = None
) -> AsyncIterator[OwnBroker]:
    """A running broker of the test's own, stopped at the end whatever happens."""
    broker = OwnBroker(home, sasl_users=sasl_users)
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()
