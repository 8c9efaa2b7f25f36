"""Retrying what the infrastructure failed, for as long as it lasts and no longer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from shared import metrics
from shared.config import Settings
from shared.runtime.errors import Fault, StopRequestedError, classify

log = logging.getLogger(__name__)

T = TypeVar("T")


class RetryPolicy:
    """Capped exponential back-off, by the :class:`Fault` of each failure.

    Transient failures are retried until they pass or the process is asked to stop;
    ambiguous ones ``ambiguous_attempts`` times; fatal and message faults are raised at once
    for the caller to stop the worker or isolate the message.
    """

    def __init__(self, settings: Settings, *, service: str, stop: asyncio.Event) -> None:
        self._initial = settings.retry_initial_seconds
        self._max = settings.retry_max_seconds
        self._ambiguous_attempts = settings.retry_ambiguous_attempts
        self._service = service
        self._stop = stop

    async def run(
        self,
        stage: str,
        action: Callable[[], Awaitable[T]],
        *,
        ambiguous_attempts: float | None = None,
    ) -> T:
        """Run ``action``; retry it as its failures' faults allow.

        ``ambiguous_attempts`` overrides the configured cap (0 while isolating a record, where
        the split itself is the retry; unlimited once effects are committed and only their
        publication is left).
        """
        delay = self._initial
        ambiguous = 0
        cap = self._ambiguous_attempts if ambiguous_attempts is None else ambiguous_attempts
        while True:
            try:
                return await action()
            except StopRequestedError:
                raise
            except Exception as error:
                fault = classify(error)
                if fault is Fault.AMBIGUOUS and ambiguous < cap:
                    ambiguous += 1
                elif fault is not Fault.TRANSIENT:
                    raise
                if self._stop.is_set():
                    raise StopRequestedError from error
                metrics.TRANSIENT_RETRIES.labels(self._service, stage).inc()
                log.warning(
                    "retrying after a failure",
                    extra={
                        "stage": stage,
                        "error": type(error).__name__,
                        "fault": fault.value,
                        "retry_in_s": delay,
                    },
                )
                await self.pause(delay)
                delay = min(delay * 2, self._max)

    async def pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the process is asked to stop meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    def backoff(self, attempt: int) -> float:
        """The delay before retry number ``attempt`` (1, 2, ...)."""
        return float(min(self._initial * 2 ** max(0, attempt - 1), self._max))
