"""The whole pipeline as an operator runs it, for `crible bench e2e` and `crible chaos`.

`crible run all` in a process of its own under a topic prefix of its own; its services'
readiness, process ids, memory and children read from outside; every consumer group's lag
as the broker reports it; the machine's load average while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

from shared.cli.registry import Registry
from shared.config import Settings
from shared.kafka import make_admin, make_plain_consumer
from shared.runtime.lag import WatchedGroup, group_lag
from shared.runtime.parent import stop_with_me
from shared.topics import wire_name


@dataclass
class Pipeline:
    """A running `crible run all`: its supervisor process and its services' ports."""

    names: list[str]
    supervisor: asyncio.subprocess.Process
    metrics_base_port: int
    token: str
    #: Where `crible run all` and its services log (their stderr).
    log: Path
    started: float = field(default_factory=time.monotonic)

    def restarts(self) -> dict[str, list[int]]:
        """Each service the supervisor restarted, with the exit status of each time."""
        out: dict[str, list[int]] = {}
        with self.log.open("rb") as lines:
            for line in lines:
                if b'"service exited; restarting"' not in line:
                    continue
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    entry = orjson.loads(line)
                    # Identical lines are folded: a summary line counts those it stood for.
                    times = int(entry.get("repeated", 1))
                    out.setdefault(str(entry["service"]), []).extend([int(entry["code"])] * times)
        return out

    def port(self, name: str) -> int:
        """A service's metrics port."""
        return self.metrics_base_port + self.names.index(name)

    async def readiness(self) -> dict[str, int | None]:
        """Each service's ``/readyz`` status (None: no answer)."""
        async with httpx.AsyncClient(timeout=5) as client:
            return {
                name: await _status(
                    client, f"http://127.0.0.1:{self.port(name)}/readyz", self.token
                )
                for name in self.names
            }

    async def wait_ready(self, *, within: float = 180) -> float:
        """Wait until every service answers ``/readyz`` 200; the seconds it took."""
        started = time.monotonic()
        while True:
            states = await self.readiness()
            if all(code == 200 for code in states.values()):
                return time.monotonic() - started
            if self.supervisor.returncode is not None:
                raise RuntimeError("crible run all exited while starting")
            if time.monotonic() - started > within:
                raise RuntimeError(f"not every service became ready in {within:.0f} s: {states}")
            await asyncio.sleep(0.5)

    async def scrape(self) -> dict[str, str]:
        """Each service's ``/metrics`` exposition (empty if it does not answer)."""
        expositions = {}
        async with httpx.AsyncClient(timeout=10) as client:
            for name in self.names:
                url = f"http://127.0.0.1:{self.port(name)}/metrics"
                try:
                    answer = await client.get(
                        url, headers={"Authorization": f"Bearer {self.token}"}
                    )
                    expositions[name] = answer.text if answer.status_code == 200 else ""
                except httpx.HTTPError:
                    expositions[name] = ""
        return expositions

    def services(self) -> dict[str, int]:
        """Each running service's process id (children of the supervisor)."""
        found = {}
        for pid in children(self.supervisor.pid):
            argv = _argv(pid)
            if len(argv) >= 2 and argv[-2] == "run" and argv[-1] in self.names:
                found[argv[-1]] = pid
        return found


@contextlib.asynccontextmanager
async def running_pipeline(
    registry: Registry,
    settings: Settings,
    *,
    metrics_base_port: int,
    http_base_port: int,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[Pipeline]:
    """`crible run all` under ``settings.topic_prefix``; stopped (SIGTERM) at the end."""
    token = os.environ.get("CRIBLE_METRICS_TOKEN") or (
        settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    )
    if not token:
        raise RuntimeError("CRIBLE_METRICS_TOKEN is not set: run it under `crible local`")
    env = {
        **os.environ,
        "CRIBLE_TOPIC_PREFIX": settings.topic_prefix,
        "CRIBLE_METRICS_TOKEN": token,
        **(extra_env or {}),
        **stop_with_me(),  # and its services with it: a killed bench leaves no pipeline behind
    }
    log = Path(tempfile.gettempdir()) / f"crible-{settings.topic_prefix}log"
    with log.open("wb") as stderr:
        supervisor = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services", "run", "all",
            "--metrics-base-port", str(metrics_base_port), "--http-base-port", str(http_base_port),
            env=env, stderr=stderr,
        )  # fmt: skip
    pipeline = Pipeline(registry.names, supervisor, metrics_base_port, token, log)
    try:
        yield pipeline
    finally:
        if supervisor.returncode is None:
            supervisor.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(supervisor.wait(), timeout=60)
            except TimeoutError:
                supervisor.kill()
                await supervisor.wait()


async def _status(client: httpx.AsyncClient, url: str, token: str) -> int | None:
    try:
        return (await client.get(url, headers={"Authorization": f"Bearer {token}"})).status_code
    except httpx.HTTPError:
        return None


def every_group(registry: Registry, prefix: str) -> list[WatchedGroup]:
    """Every consumer group the services run (the runtime's and their own), as on the wire."""
    groups = []
    for name in registry.names:
        spec = registry.spec(name)
        for consumer in spec.consumers:
            if consumer.enabled is not None and not consumer.enabled():
                continue  # off unless configured: never commits, its lag means nothing
            topics = {wire_name(t.name, prefix): t.name for t in consumer.models}
            groups.append(WatchedGroup(name, prefix + consumer.group_id(name), topics))
        for own in spec.own_groups:
            topics = {wire_name(t.name, prefix): t.name for t in own.topics}
            groups.append(WatchedGroup(name, prefix + own.group_id, topics))
    return groups


async def lags(settings: Settings, groups: Sequence[WatchedGroup]) -> dict[str, int]:
    """Each group's total lag, from the broker's end offsets and committed offsets."""
    admin = make_admin(settings)
    consumer = make_plain_consumer(settings, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        return {
            group.group_id.removeprefix(settings.topic_prefix): sum(
                (
                    await group_lag(admin, consumer, group_id=group.group_id, topics=group.topics)
                ).values()
            )
            for group in groups
        }
    finally:
        await consumer.stop()
        await admin.close()


async def drained(
    settings: Settings, groups: Sequence[WatchedGroup], *, within: float
) -> tuple[float, dict[str, float]]:
    """Wait until every group's lag is 0; the seconds it took, and when each group got there."""
    started = time.monotonic()
    done: dict[str, float] = {}
    while True:
        current = await lags(settings, groups)
        for group, lag in current.items():
            if lag == 0:
                done.setdefault(group, time.monotonic() - started)
            else:
                done.pop(group, None)
        if all(lag == 0 for lag in current.values()):
            return time.monotonic() - started, done
        if time.monotonic() - started > within:
            waiting = {g: lag for g, lag in current.items() if lag}
            raise RuntimeError(f"the pipeline did not drain in {within:.0f} s: {waiting}")
        await asyncio.sleep(0.5)


def children(pid: int) -> list[int]:
    """The live child processes of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[1]) == pid and stat[0] != "Z":
                    found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid``."""
    found: list[int] = []
    frontier = [pid]
    while frontier:
        frontier = [child for parent in frontier for child in children(parent)]
        found.extend(frontier)
    return found


def _argv(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().rstrip("\0").split("\0")
    except OSError:
        return []


def rss_bytes(pid: int) -> int:
    """A process's resident memory (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class LoadSampler:
    """The machine's 1-minute load average, sampled while something runs."""

    def __init__(self, every: float = 5.0) -> None:
        self._every = every
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def __enter__(self) -> LoadSampler:
        self._task = asyncio.create_task(self._sample())
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
        self.samples.append(os.getloadavg()[0])

    async def _sample(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            await asyncio.sleep(self._every)

    def latest(self) -> float:
        """The last sample (now, if none yet)."""
        return self.samples[-1] if self.samples else os.getloadavg()[0]

    def summary(self) -> str:
        """Min / mean / max of the samples."""
        if not self.samples:
            return "n/a"
        return (
            f"{min(self.samples):.2f} / {statistics.fmean(self.samples):.2f} / "
            f"{max(self.samples):.2f}"
        )
