"""A service's HTTP API (FastAPI under uvicorn) in the same process and event loop.

The consumers and the API share one pool, one outbox publisher and one graceful stop: the
runtime handles SIGTERM/SIGINT, and uvicorn only learns that it must drain and exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Generator
from typing import Any

import uvicorn

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the runtime's stop event drives it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Leave signals to the runtime."""
        yield


class HttpHost:
    """Serves an ASGI app on ``host:port`` until :meth:`stop`."""

    def __init__(self, app: Any, *, host: str, port: int, service: str) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,  # our JSON logging stays in charge
            access_log=False,  # request lines could carry ids from URLs; metrics count them
            lifespan="off",
            timeout_graceful_shutdown=20,
        )
        self._server = _Server(config)
        self._service = service
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when 0 asked the OS to choose)."""
        servers = getattr(self._server, "servers", [])
        for server in servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        raise RuntimeError("the HTTP server is not listening")

    async def start(self) -> None:
        """Start serving; return once the socket listens (or raise if it cannot)."""
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises the start-up failure
                raise RuntimeError("the HTTP server stopped during start-up")
            await asyncio.sleep(0.02)
        log.info("http api listening", extra={"service": self._service, "port": self.port})

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish, then return."""
        if self._task is None:
            return
        self._server.should_exit = True
        await self._task
