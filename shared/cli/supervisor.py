"""``crible run all``: one process per service, restarted if it dies, stopped together."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType

from shared.runtime.parent import stop_with_me

log = logging.getLogger(__name__)


@dataclass
class _Child:
    name: str
    port: int
    #: Its HTTP API's port, used by services that have one.
    http_port: int
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = field(default=0.0)


def supervise(services: list[str], *, metrics_base_port: int, http_base_port: int) -> int:
    """Run every service in its own process until SIGINT/SIGTERM; return 0 on a clean stop.

    Service i gets metrics port ``metrics_base_port + i`` and HTTP port
    ``http_base_port + i`` (used only by a service with an HTTP API).
    """
    children = [
        _Child(name, metrics_base_port + i, http_base_port + i) for i, name in enumerate(services)
    ]
    stopping = False

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    while not stopping:
        now = time.monotonic()
        for child in children:
            if child.process is not None and child.process.poll() is not None:
                code = child.process.returncode
                child.restarts += 1
                child.next_start = now + min(30.0, 2.0 ** min(child.restarts, 5))
                log.error("service exited; restarting", extra={"service": child.name, "code": code})
                child.process = None
            if child.process is None and now >= child.next_start:
                env = dict(
                    os.environ,
                    CRIBLE_METRICS_PORT=str(child.port),
                    CRIBLE_HTTP_PORT=str(child.http_port),
                    # The service stops if this supervisor dies (SIGKILL leaves no chance
                    # to stop it): no orphan keeps its ports and partitions.
                    **stop_with_me(),
                )
                child.process = subprocess.Popen(  # noqa: S603 - our own entry point
                    [sys.executable, "-m", "services", "run", child.name], env=env
                )
                log.info(
                    "service started",
                    extra={
                        "service": child.name,
                        "metrics_port": child.port,
                        "pid": child.process.pid,
                        "restarts": child.restarts,
                    },
                )
        time.sleep(0.2)
    for child in children:
        if child.process is not None and child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for child in children:
        if child.process is None:
            continue
        try:
            child.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("service did not stop in time; killing it", extra={"service": child.name})
            child.process.kill()
            child.process.wait()
    return 0
