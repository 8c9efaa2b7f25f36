"""No service's core reads a clock: every moment it uses is handed to it (STYLE.md).

The import contracts (``make lint``) keep each core free of I/O libraries; a clock is no
import, so it is checked here, references included (``clock=time.monotonic`` as a default
reads the clock as surely as ``datetime.now()`` does).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVICES = Path(__file__).parents[3] / "services"
#: Every service's core: a package, or one module for a small service.
CORES = ["dispatch/core", "ingest/core.py", "legal/core", "prescreen/core", "surge/core"]
#: Functions of ``time``, ``datetime`` and ``date`` that read the wall clock or a timer.
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


@pytest.mark.parametrize("core", CORES)
def test_the_core_is_handed_every_moment_it_uses(core: str) -> None:
    path = SERVICES / core
    modules = [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))
    assert modules
    assert all(m.is_file() for m in modules)
    reads = {str(m.relative_to(SERVICES)): clock_reads(m.read_text()) for m in modules}
    assert {name: calls for name, calls in reads.items() if calls} == {}


def test_every_service_has_its_core_listed() -> None:
    services = {p.name for p in SERVICES.iterdir() if (p / "service.py").is_file()}
    assert services == {core.split("/")[0] for core in CORES}


def test_the_check_sees_calls_and_defaults() -> None:
    source = (
        "import time\nfrom datetime import datetime\n"
        "def f(clock=time.monotonic):\n    return datetime.now()\n"
    )
    assert clock_reads(source) == ["line 3: time.monotonic", "line 4: datetime.now"]
