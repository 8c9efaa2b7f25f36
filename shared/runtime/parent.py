"""A child process that ends when its parent is gone.

No stage worker, screener or service outlives the process that started it (a SIGKILLed
worker's children would otherwise run for ever). The child watches its parent id from a
thread of its own: once the parent has died, the child belongs to another process (init,
or a subreaper), and it ends. That holds whichever thread of the parent started it
(``PR_SET_PDEATHSIG`` fires when that *thread* ends) and frees what only the children kept
open: multiprocessing's resource tracker exits once the last holder of its pipe has gone.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

#: The process a service started with ``services run`` stops with (gracefully): set by
#: whatever starts it, `crible run all` or a benchmark, to its own id.
PARENT_VARIABLE = "CRIBLE_SUPERVISOR_PID"


def stop_with_me() -> dict[str, str]:
    """The environment that makes a service this process starts stop when it dies."""
    return {PARENT_VARIABLE: str(os.getpid())}


def _exit_now() -> None:
    os._exit(1)


def exit_with_parent(
    parent: int, *, every: float = 0.5, on_orphaned: Callable[[], None] = _exit_now
) -> None:
    """Call ``on_orphaned`` (by default: exit at once) when ``parent`` is no longer the parent.

    ``parent`` is the id the parent passed down (``os.getpid()`` there), so a parent that
    died before the child got here is noticed too.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        log.warning("parent process gone; stopping", extra={"parent": parent})
        on_orphaned()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
