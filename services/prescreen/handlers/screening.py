"""The screening engine: every screener on a whole batch, then the live and shadow policies.

It is the consumer's stage: it runs in a worker thread, before the handler's transaction,
so no transaction is held open and the event loop keeps heartbeats and commits flowing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any, cast

from services.prescreen import metrics
from services.prescreen.core.inbound import CaseToScreen
from services.prescreen.core.language import LanguageIdentifier
from services.prescreen.core.model import (
    BackgroundScreener,
    CaseInput,
    Screener,
    ScreenerResult,
    Usability,
)
from services.prescreen.core.policy import Policy, decide
from services.prescreen.core.preparation import identify, prepare, with_languages
from services.prescreen.core.verdicts import Screened

log = logging.getLogger(__name__)


class ScreeningEngine:
    """Screeners and policies, applied to batches of case events."""

    def __init__(
        self,
        screeners: Sequence[Screener],
        live: Policy,
        shadow: Policy | None = None,
        *,
        languages: LanguageIdentifier | None = None,
    ) -> None:
        self.screeners = tuple(screeners)
        self.live = live
        self.shadow = shadow
        #: None: untagged texts stay of unknown language (no identifier, none to run).
        self.languages = languages

    def screen_events(self, events: list[CaseToScreen]) -> list[Screened]:
        """The stage's compute: one :class:`Screened` per event, in order."""
        return self.screen([e.to_input() for e in events])

    def screen(self, cases: list[CaseInput]) -> list[Screened]:
        """Prepare the batch's texts, run every screener on it, then decide each case.

        Screeners that read languages run last, once the text screener (or, without one,
        the engine's own identifier) has said which language each text is in.
        """
        begun = time.perf_counter()
        cases = prepare(cases)
        metrics.PREPARE_SECONDS.observe(time.perf_counter() - begun)
        first = [(i, s) for i, s in enumerate(self.screeners) if not _reads_languages(s)]
        # Background screeners start first and work in their processes meanwhile.
        started = {
            index: (time.perf_counter(), _submit(screener, cases))
            for index, screener in first
            if isinstance(screener, BackgroundScreener)
        }
        results = {
            index: self._collect(screener, cases, *started[index])
            if index in started
            else self._run(screener, cases)
            for index, screener in first
        }
        cases = self._with_languages(cases, list(results.values()))
        for index, screener in enumerate(self.screeners):
            if index not in results:
                results[index] = self._run(screener, cases)
        per_screener = [results[index] for index in range(len(self.screeners))]
        screened = []
        for position, case in enumerate(cases):
            one = tuple(results[position] for results in per_screener)
            live = decide(self.live, case, list(one))
            shadow = None if self.shadow is None else decide(self.shadow, case, list(one))
            screened.append(Screened(case, one, live, shadow))
        return screened

    def _with_languages(
        self, cases: list[CaseInput], results: list[list[ScreenerResult]]
    ) -> list[CaseInput]:
        """The texts' languages as a screener identified them, else as the engine does."""
        for batch in results:
            if any(r.languages for r in batch):
                return with_languages(cases, [r.languages for r in batch])
        if self.languages is None:
            # prepare() already set each case's main language from its tags, and an untagged
            # text stays unknown: rebuilding every case would change nothing
            return cases
        return identify(cases, self.languages)

    def _run(self, screener: Screener, cases: list[CaseInput]) -> list[ScreenerResult]:
        """One screener on the batch; if it raises, its cases are screened without it."""
        return self._collect(screener, cases, time.perf_counter(), None)

    def _collect(
        self,
        screener: Screener,
        cases: list[CaseInput],
        started: float,
        future: Future[Any] | BaseException | None,
    ) -> list[ScreenerResult]:
        try:
            results = _checked(_outcome(screener, cases, future), len(cases))
        except Exception as error:  # one screener's bug must not stop the screening
            log.exception("screener %s failed on a batch", screener.name)
            metrics.SCREENER_ERRORS.labels(screener.name).inc()
            note = f"screener failed: {type(error).__name__}"
            results = [
                ScreenerResult(
                    screener.name, screener.version, Usability.UNAVAILABLE, notes=(note,)
                )
                for _ in cases
            ]
        metrics.SCREENER_SECONDS.labels(screener.name).observe(time.perf_counter() - started)
        return results


def _reads_languages(screener: Screener) -> bool:
    return bool(getattr(screener, "reads_languages", False))


def _submit(screener: BackgroundScreener, cases: list[CaseInput]) -> Future[Any] | BaseException:
    try:
        return screener.submit(cases)
    except Exception as error:  # noqa: BLE001 - reported with the screener's results
        return error


def _outcome(
    screener: Screener,
    cases: list[CaseInput],
    future: Future[Any] | BaseException | None,
) -> list[ScreenerResult]:
    if isinstance(future, BaseException):
        raise future
    if future is None:
        return screener.screen(cases)
    # only a background screener's batch has a future
    return cast("BackgroundScreener", screener).results(future)


def _checked(results: list[ScreenerResult], expected: int) -> list[ScreenerResult]:
    if len(results) != expected:
        raise RuntimeError(f"{len(results)} results for {expected} cases")
    return results
