"""A circuit breaker: stop calling an endpoint that keeps failing, try again after a pause."""

from __future__ import annotations

import threading
from collections.abc import Callable
from enum import StrEnum


class CircuitState(StrEnum):
    """Where the breaker stands."""

    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"


class CircuitBreaker:
    """Stops calling an endpoint after consecutive failures, and tries again after a pause.

    Closed: every call goes through. After ``failure_threshold`` failures in a row it opens:
    no call goes through for ``cooldown_seconds``. Then it is half-open: one call goes through;
    its success closes the breaker, its failure opens it for another cool-down. ``clock``
    (monotonic seconds) is handed in by the adapter, as the core reads no clock itself.
    """

    def __init__(
        self,
        *,
        failure_threshold: int,
        cooldown_seconds: float,
        clock: Callable[[], float],
    ) -> None:
        self._threshold, self._cooldown, self._clock = failure_threshold, cooldown_seconds, clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        # screen() runs in worker threads; two batches may finish at once.
        self._lock = threading.Lock()

    @property
    def state(self) -> CircuitState:
        """The current state (open turns half-open by itself once the cool-down is over)."""
        with self._lock:
            return self._state()

    def allow(self) -> bool:
        """Whether a call may go now; in half-open, only the first caller gets through."""
        with self._lock:
            state = self._state()
            if state is CircuitState.CLOSED:
                return True
            if state is CircuitState.OPEN or self._trial_running:
                return False
            self._trial_running = True
            return True

    def record_success(self) -> None:
        """A call succeeded: close the breaker."""
        with self._lock:
            self._failures, self._opened_at, self._trial_running = 0, None, False

    def record_failure(self) -> None:
        """A call failed: count it, and open the breaker at the threshold or after a trial."""
        with self._lock:
            self._failures += 1
            if self._trial_running or self._failures >= self._threshold:
                self._opened_at = self._clock()
            self._trial_running = False

    def _state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._clock() - self._opened_at < self._cooldown:
            return CircuitState.OPEN
        return CircuitState.HALF_OPEN
