"""A check shared by the unit tests of bounded caches: memory levels off past the bound."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable


def assert_memory_levels_off(touch: Callable[[int], object], *, bound: int) -> None:
    """Touch ``bound`` distinct keys, then three times as many new ones: little more is kept."""

    def traced_after(keys: range) -> int:
        for n in keys:
            touch(n)
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        filled = traced_after(range(bound))
        later = traced_after(range(bound, 4 * bound))
    finally:
        tracemalloc.stop()

    # The cache's table may grow once; without a bound it would keep three times as much again.
    assert filled - start > 0
    assert later - filled < (filled - start) / 4
