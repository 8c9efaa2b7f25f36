"""Structured logging: one JSON object per line, with the service and correlation fields.

Never pass personal data (phone numbers, IP addresses, free text) to a log call; log ids.

Identical warnings and errors repeated within an interval are folded (:class:`RepeatFolder`):
the first is written at once, the rest counted, and one line at the end of the interval says
how many there were. A broker outage makes every client log each failed reconnection;
folded, it costs a few lines a minute instead of thousands.
"""

from __future__ import annotations

import atexit
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

_RESERVED = set(vars(logging.makeLogRecord({})))
#: Set on the line that reports folded repeats: how many were not written.
REPEATED = "repeated"


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line; ``extra=`` fields become top-level keys."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as a JSON line."""
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


@dataclass(slots=True)
class _Window:
    opened: float
    suppressed: int
    first: logging.LogRecord


class RepeatFolder(logging.Filter):
    """Writes the first of identical warnings or errors, then counts the rest for a while.

    Identical means the same logger, level, message and ``extra`` fields. At the end of each
    ``interval`` a record that was repeated is written once more, with ``repeated`` (how
    many were not written) and ``over_s``. Info and debug records always pass.
    """

    def __init__(
        self,
        emit: Callable[[logging.LogRecord], object],
        *,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._emit = emit
        self._interval = interval
        self._clock = clock
        self._windows: dict[tuple[object, ...], _Window] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        """Let ``record`` through unless an identical one was written this interval."""
        if record.levelno < logging.WARNING or hasattr(record, REPEATED):
            return True
        key = _identity(record)
        now = self._clock()
        with self._lock:
            window = self._windows.get(key)
            if window is not None and now - window.opened < self._interval:
                window.suppressed += 1
                return False
            self._windows[key] = _Window(now, 0, record)
        if window is not None and window.suppressed:
            self._report(window, now)
        return True

    def flush(self) -> None:
        """Write the count of every interval that has ended (all of them at exit)."""
        self._flush(until=float("inf"))

    def flush_ended(self) -> None:
        """Write the count of every interval that has ended."""
        self._flush(until=self._clock() - self._interval)

    def _flush(self, *, until: float) -> None:
        now = self._clock()
        with self._lock:
            ended = [(k, w) for k, w in self._windows.items() if w.opened <= until]
            for key, _ in ended:
                del self._windows[key]
        for _, window in ended:
            if window.suppressed:
                self._report(window, now)

    def _report(self, window: _Window, now: float) -> None:
        first = window.first
        summary = logging.makeLogRecord(vars(first))
        summary.exc_info = summary.exc_text = None
        setattr(summary, REPEATED, window.suppressed)
        summary.over_s = round(now - window.opened, 1)
        summary.created = time.time()
        self._emit(summary)


def _identity(record: logging.LogRecord) -> tuple[object, ...]:
    extras = tuple(sorted((k, repr(v)) for k, v in vars(record).items() if k not in _RESERVED))
    error = None
    if record.exc_info and record.exc_info[1] is not None:
        error = (type(record.exc_info[1]).__name__, str(record.exc_info[1]))
    return (record.name, record.levelno, record.getMessage(), extras, error)


def rebalance_commits_are_warnings(record: logging.LogRecord) -> bool:
    """Aiokafka's "OffsetCommit failed ... will rejoin" as a warning, not an error.

    A commit refused because the group moved on (a rebalance) is routine: the client
    rejoins by itself and the records are read again by their new owner. An ERROR line for
    it would page an operator for nothing.
    """
    if record.levelno == logging.ERROR and record.name.startswith("aiokafka"):
        message = record.getMessage()
        if message.startswith("OffsetCommit failed") and "will rejoin" in message:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True


def configure_logging(service: str, level: str = "INFO", *, fold_seconds: float = 30.0) -> None:
    """Send every log record of the process to stderr as JSON lines, repeats folded."""
    global _FOLDER  # noqa: PLW0603 - the process's one folder, replaced when reconfigured
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    handler.addFilter(rebalance_commits_are_warnings)
    if _FOLDER is not None:
        _FOLDER.flush()
        _FOLDER = None
    if fold_seconds > 0:
        _FOLDER = RepeatFolder(partial(_emit, handler), interval=fold_seconds)
        handler.addFilter(_FOLDER)
        _start_flushing()
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # aiokafka logs every rebalance and reconnect at INFO; keep its warnings only.
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


#: The folder of the process's handler (None: repeats are not folded).
_FOLDER: RepeatFolder | None = None
_FLUSHING = threading.Event()


def _emit(handler: logging.StreamHandler[Any], record: logging.LogRecord) -> None:
    if not getattr(handler.stream, "closed", False):  # at exit, stderr may be gone
        handler.handle(record)


def _start_flushing() -> None:
    """Report ended intervals from a thread (a storm may end in silence), and all at exit."""
    if _FLUSHING.is_set():
        return
    _FLUSHING.set()

    def loop() -> None:
        while True:
            time.sleep(1.0)
            if _FOLDER is not None:
                _FOLDER.flush_ended()

    threading.Thread(target=loop, name="log-folder", daemon=True).start()
    atexit.register(lambda: _FOLDER.flush() if _FOLDER is not None else None)
