"""Prescreen's core reads no clock: every moment it uses is handed to it (STYLE.md).

The import contract (``make lint``) keeps the core free of I/O libraries; a clock is no
import, so it is checked here, references included (``clock=time.monotonic`` as a default
reads the clock as surely as a call does).
"""

from __future__ import annotations

import ast
from pathlib import Path

import services.prescreen.core

CORE = Path(services.prescreen.core.__file__).parent
#: Functions of ``time`` and ``datetime`` that read the wall clock or a timer.
CLOCK = {"now", "utcnow", "today", "time", "time_ns", "monotonic", "monotonic_ns", "perf_counter"}


def clock_reads(source: str) -> list[str]:
    """Every ``time.<clock>`` or ``datetime.<clock>`` in ``source``, called or not, as text."""
    return [
        f"line {node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute)
        and node.attr in CLOCK
        and ast.unparse(node.value).split(".")[-1] in {"time", "datetime", "date"}
    ]


def test_the_core_is_handed_every_moment_it_uses() -> None:
    modules = sorted(CORE.rglob("*.py"))
    assert len(modules) > 10
    reads = {m.name: clock_reads(m.read_text()) for m in modules}
    assert {name: calls for name, calls in reads.items() if calls} == {}


def test_the_check_sees_calls_and_defaults() -> None:
    source = (
        "import time\nfrom datetime import datetime\n"
        "def f(clock=time.monotonic):\n    return datetime.now()\n"
    )
    assert clock_reads(source) == ["line 3: time.monotonic", "line 4: datetime.now"]
