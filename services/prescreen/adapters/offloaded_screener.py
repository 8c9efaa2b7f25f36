"""Run a text screener in a process of its own, so that its CPU work overlaps the others'.

The text screener (regular expressions and a scikit-learn model, both holding the GIL) is
the costliest per case; in a child process it runs while the hash and URL screeners run in
the stage's thread, and the batch takes the longer of the two instead of their sum.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor

from services.prescreen.core.model import (
    CaseInput,
    Finding,
    Screener,
    ScreenerResult,
    TextItem,
    Usability,
)
from shared.events import Category
from shared.runtime.parent import exit_with_parent

#: The screener of this child process (set by the pool's initializer).
_CHILD: Screener | None = None


def _start_child(factory: Callable[[], Screener], parent: int) -> None:
    global _CHILD  # noqa: PLW0603 - one screener per child process, built once
    exit_with_parent(parent)  # a SIGKILLed worker's child must not run for ever
    # Ctrl-C reaches the whole process group; the service stops its child itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _CHILD = factory()
    _CHILD.screen([])  # load what loads lazily (a model) before the first batch


# Cases and results cross the process boundary as plain tuples: pickling slotted
# dataclasses cost more than the screening they carried.
_Texts = tuple[str, int, str, tuple[tuple[str, str, str | None], ...]]
_Finding = tuple[str, str, str, int | None, str | None]
_Result = tuple[
    str, str, str, dict[str, float], tuple[_Finding, ...], tuple[str, ...], tuple[str | None, ...]
]


#: Enum members by value: a dict lookup costs a fraction of calling the enum.
_CATEGORIES = {category.value: category for category in Category}
_USABILITY = {usability.value: usability for usability in Usability}


def _to_child(case: CaseInput) -> _Texts:
    texts = tuple((t.source, t.text, t.language) for t in case.texts)
    return (case.case_id, case.revision, case.category.value, texts)


def _in_child(item: _Texts) -> CaseInput:
    case_id, revision, category, texts = item
    return CaseInput(
        case_id, revision, _CATEGORIES[category], texts=tuple(TextItem(*t) for t in texts)
    )


def _from_child(item: _Result) -> ScreenerResult:
    name, version, usability, scores, findings, notes, languages = item
    return ScreenerResult(
        name,
        version,
        _USABILITY[usability],
        {_CATEGORIES[c]: score for c, score in scores.items()},
        tuple(Finding(k, _CATEGORIES[c], ref, d, detail) for k, c, ref, d, detail in findings),
        notes,
        languages,
    )


def _screen_in_child(cases: list[_Texts]) -> list[_Result]:
    if _CHILD is None:
        raise RuntimeError("the child process has no screener")
    return [
        (
            r.screener,
            r.version,
            r.usability.value,
            {c.value: score for c, score in r.scores.items()},
            tuple((f.kind, f.category.value, f.ref, f.distance, f.detail) for f in r.findings),
            r.notes,
            r.languages,
        )
        for r in _CHILD.screen([_in_child(c) for c in cases])
    ]


def _joined(parts: list[Future[list[_Result]]]) -> Future[list[_Result]]:
    """One future of the parts' results, concatenated in order (the first failure, if any)."""
    if len(parts) == 1:
        return parts[0]
    joined: Future[list[_Result]] = Future()
    left = [len(parts)]
    lock = threading.Lock()

    def done(_: Future[list[_Result]]) -> None:
        with lock:
            left[0] -= 1
            if left[0]:
                return
        for part in parts:
            failed = CancelledError() if part.cancelled() else part.exception()
            if failed is not None:
                joined.set_exception(failed)
                return
        joined.set_result([r for p in parts for r in p.result()])

    for part in parts:
        part.add_done_callback(done)
    return joined


class OffloadedScreener:
    """A screener run in a child process; ``submit`` starts a batch, ``results`` waits for it.

    The child sees the cases' identity, category and texts only: it suits text screeners.

    ``factory`` must be picklable (a module-level function, or a ``functools.partial`` of
    one): the child builds its own screener with it.
    """

    def __init__(
        self, factory: Callable[[], Screener], *, name: str, version: str, processes: int = 1
    ) -> None:
        if processes < 1:
            raise ValueError("an offloaded screener needs at least one process")
        self.name = name
        self.version = version
        self._factory = factory
        self._processes = processes
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn: a fresh interpreter, never a fork of a process with an event loop and threads
        return ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_child,
            initargs=(self._factory, os.getpid()),
        )

    def submit(self, cases: Sequence[CaseInput]) -> Future[list[_Result]]:
        """Start screening a batch (the cases' texts) in the children; see :meth:`results`.

        With several processes the batch is cut into one run of cases each, screened side by
        side; the future holds their results in the batch's order.
        """
        payload = [_to_child(c) for c in cases]
        size = -(-len(payload) // self._processes) or 1
        runs = [payload[start : start + size] for start in range(0, len(payload), size)] or [[]]
        try:
            return _joined([self._pool.submit(_screen_in_child, run) for run in runs])
        except RuntimeError:  # the pool broke (a child died): start another one
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            return _joined([self._pool.submit(_screen_in_child, run) for run in runs])

    @staticmethod
    def results(future: Future[list[_Result]]) -> list[ScreenerResult]:
        """Wait for a submitted batch's results."""
        return [_from_child(r) for r in future.result()]

    def screen(self, cases: Sequence[CaseInput]) -> list[ScreenerResult]:
        """Screen a batch in the child and wait for the results."""
        return self.results(self.submit(cases))

    def close(self) -> None:
        """Stop the child process."""
        self._pool.shutdown(wait=True, cancel_futures=True)
