"""An outage of Kafka or PostgreSQL, logged once when it starts and once when it ends.

During an outage every client retries and its library logs each failed attempt; what an
operator needs is when it began, when it ended and how long it lasted. The housekeeping
task checks both every round and reports here; the repeated lines themselves are folded by
the logging filter (``shared/logs.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Outage:
    since: float
    failed_checks: int
    error: str


class Outages:
    """Which dependencies are down, as the last checks said; logs each change once."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._down: dict[str, _Outage] = {}

    def failed(self, dependency: str, error: BaseException) -> None:
        """A check of ``dependency`` (``kafka``, ``database``) failed."""
        outage = self._down.get(dependency)
        if outage is not None:
            outage.failed_checks += 1
            return
        self._down[dependency] = _Outage(self._clock(), 1, type(error).__name__)
        log.error(
            "%s unreachable: outage started",
            dependency,
            extra={"dependency": dependency, "error": type(error).__name__},
        )

    def succeeded(self, dependency: str) -> None:
        """A check of ``dependency`` succeeded."""
        outage = self._down.pop(dependency, None)
        if outage is None:
            return
        log.warning(
            "%s reachable again: outage ended",
            dependency,
            extra={
                "dependency": dependency,
                "outage_s": round(self._clock() - outage.since, 1),
                "failed_checks": outage.failed_checks,
                "error": outage.error,
            },
        )

    def down(self, dependency: str) -> bool:
        """Whether ``dependency`` is in an outage."""
        return dependency in self._down
