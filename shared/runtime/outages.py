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
        #: Dependencies failing within their grace: since when, and how many checks.
        self._settling: dict[str, _Outage] = {}

    def failed(self, dependency: str, error: BaseException, *, grace: float = 0.0) -> None:
        """A check of ``dependency`` (``kafka``, ``database``) failed.

        ``grace``: how long failures like this one may last before they are an outage (a
        broker that answers while its group coordinator loads); 0 makes this one an outage.
        """
        outage = self._down.get(dependency)
        if outage is not None:
            outage.failed_checks += 1
            return
        now = self._clock()
        settling = self._settling.setdefault(dependency, _Outage(now, 0, type(error).__name__))
        settling.failed_checks += 1
        if now - settling.since < grace:
            return
        self._down[dependency] = self._settling.pop(dependency)
        self._down[dependency].error = type(error).__name__
        log.error(
            "%s unreachable: outage started",
            dependency,
            extra={"dependency": dependency, "error": type(error).__name__},
        )

    def succeeded(self, dependency: str) -> None:
        """A check of ``dependency`` succeeded."""
        self._settling.pop(dependency, None)
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
