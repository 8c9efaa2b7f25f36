"""Real service processes for the tests: `crible run <service>` started as an operator would,
its JSON log lines collected, its probes asked, its process tree looked up in /proc."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from shared.config import Settings

TOKEN = "probe-token"


def free_port() -> int:
    """A port nothing listens on (yet)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Worker:
    """One `crible run <service>` process."""

    name: str
    process: asyncio.subprocess.Process
    metrics_port: int
    lines: list[dict[str, Any]] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def logged(self, message: str) -> list[dict[str, Any]]:
        """The log lines whose message is ``message``."""
        return [line for line in self.lines if line.get("msg") == message]

    async def readyz(self) -> tuple[int, str] | None:
        """``/readyz``'s status and body; None when nothing listens. Raises on a dropped probe."""
        return await probe(self.metrics_port, "/readyz")

    async def stop(self, *, timeout: float = 60) -> int:
        """SIGTERM, then wait for the exit status."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
        code = await exited(self.process, within=timeout)
        if self.reader is not None:
            # A child left behind (an orphan) would hold the log pipe open for ever.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.reader, timeout=10)
        return code


def service_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a service process under ``settings`` (its topic prefix, ...)."""
    return {
        **os.environ,
        "CRIBLE_TOPIC_PREFIX": settings.topic_prefix,
        "CRIBLE_METRICS_TOKEN": TOKEN,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        **extra,
    }


async def start(name: str, settings: Settings, **extra: str) -> Worker:
    """Start `crible run <name>` with its own metrics and HTTP ports."""
    port = free_port()
    env = service_env(
        settings,
        CRIBLE_METRICS_PORT=str(port),
        CRIBLE_HTTP_PORT=str(free_port()),
        **extra,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services", "run", name, env=env, stderr=asyncio.subprocess.PIPE
    )
    worker = Worker(name, process, port)

    async def collect() -> None:
        assert process.stderr is not None
        async for raw in process.stderr:
            with contextlib.suppress(ValueError):
                worker.lines.append(json.loads(raw))

    worker.reader = asyncio.create_task(collect())
    return worker


@contextlib.asynccontextmanager
async def running_process(name: str, settings: Settings, **extra: str) -> AsyncIterator[Worker]:
    """A service process, stopped (SIGTERM, else SIGKILL) at the end whatever happens."""
    worker = await start(name, settings, **extra)
    try:
        yield worker
    finally:
        if worker.process.returncode is None:
            try:
                await worker.stop(timeout=60)
            except TimeoutError:
                worker.process.kill()


async def ready(worker: Worker, *, within: float = 120) -> None:
    """Wait until ``worker``'s ``/readyz`` answers 200; fail if it exits or takes too long."""
    deadline = time.monotonic() + within
    while (answer := await worker.readyz()) is None or answer[0] != 200:
        assert worker.process.returncode is None, worker.lines[-3:]
        assert time.monotonic() < deadline, answer
        await asyncio.sleep(0.5)


async def probe(port: int, path: str) -> tuple[int, str] | None:
    """GET ``path`` with the token: (status, body), None if refused; raises if dropped."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return None
    try:
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()
        )
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=10)
    except ConnectionError as error:
        raise DroppedProbeError(f"{path}: {type(error).__name__}") from error
    finally:
        writer.close()
    if not raw:
        raise DroppedProbeError(f"{path}: the connection closed without an answer")
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


class DroppedProbeError(AssertionError):
    """The process accepted a probe's connection and closed it without answering."""


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, their children, ...)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Forwarder:
    """A local port that forwards to another once opened: a dependency that comes up late."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self._target = target_port
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        """Start forwarding."""
        self._server = await asyncio.start_server(self._connect, "127.0.0.1", self.port)

    async def close(self) -> None:
        """Stop forwarding; cut the connections it carries."""
        if self._server is not None:
            self._server.close()
        for pipe in list(self._pipes):
            pipe.cancel()
        if self._server is not None:
            await self._server.wait_closed()

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target)
        except OSError:
            writer.close()
            return
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            pipe = asyncio.create_task(_copy(source, sink))
            self._pipes.add(pipe)
            pipe.add_done_callback(self._pipes.discard)


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        sink.close()


def with_port(dsn: str, port: int) -> str:
    """``dsn`` pointed at another port of the same host."""
    parts = urlsplit(dsn)
    host = parts.hostname or "127.0.0.1"
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@{host}:{port}" if credentials else f"{host}:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def port_of(dsn: str) -> int:
    """The port of a DSN or a ``host:port`` address."""
    if "://" not in dsn:
        return int(dsn.rsplit(":", 1)[1])
    return urlsplit(dsn).port or 5432


def left_alive(pids: Iterable[int]) -> list[int]:
    """Which of ``pids`` still run; those are killed (a failing test leaves no orphan)."""
    left = [pid for pid in pids if alive(pid)]
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


async def exited(process: asyncio.subprocess.Process, *, within: float) -> int:
    """The exit status, once the process has exited (raises TimeoutError past ``within``).

    Not ``process.wait()``, which also waits for the process's pipes to close: a child it
    left behind would hold them open for ever.
    """
    deadline = time.monotonic() + within
    while process.returncode is None:  # set once it exits, open pipes or not
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {process.pid} still runs after {within} s")
        await asyncio.sleep(0.1)
    return process.returncode
