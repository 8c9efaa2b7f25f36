"""Legal's core reads no clock: every moment it uses is handed to it (STYLE.md).

The import contract in ``pyproject.toml`` (run by ``make lint``) keeps the core free of I/O
libraries, the database and the runtime; a clock is no import, so it is checked here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import services.legal.core

CORE = Path(services.legal.core.__file__).parent
#: Calls that read the wall clock or a timer.
CLOCK = {"now", "utcnow", "today", "time", "time_ns", "monotonic", "perf_counter"}


def clock_reads(source: str) -> list[str]:
    """``name.attr(...)`` calls in ``source`` that read a clock, as text."""
    return [
        f"line {node.lineno}: {ast.unparse(node.func)}()"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCK
    ]


def test_the_core_is_handed_every_moment_it_uses() -> None:
    modules = sorted(CORE.rglob("*.py"))
    assert len(modules) > 10
    reads = {m.name: clock_reads(m.read_text()) for m in modules}
    assert {name: calls for name, calls in reads.items() if calls} == {}


def test_the_check_sees_a_clock_read() -> None:
    assert clock_reads("from datetime import datetime\nx = datetime.now()\n") == [
        "line 2: datetime.now()"
    ]
