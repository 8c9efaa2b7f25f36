"""`make lint`'s import contracts hold, and break when a core imports I/O or shared a service.

Each run is on a copy of the Python sources, so that a forbidden import can be written into
one without touching the checkout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: A module of each service's core, and the contract that keeps it pure.
CORES = [
    ("services/dispatch/core/lifecycle.py", "dispatch's core is pure"),
    ("services/legal/core/__init__.py", "legal's core is pure"),
    ("services/prescreen/core/__init__.py", "prescreen's core is pure"),
    ("services/surge/core/windows.py", "surge's core is pure"),
    ("services/ingest/core.py", "ingest's core and event formats are pure"),
]
#: A file format a core leaves to its adapters: it checks the documents they read.
FILE_FORMATS = [
    ("services/dispatch/core/sla.py", "yaml", "dispatch's core is pure"),
    ("services/prescreen/core/policy.py", "yaml", "prescreen's core is pure"),
]


def _sources(tmp_path: Path) -> Path:
    """A copy of ``services``, ``shared`` (Python files only) and the contracts."""

    def not_python(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()]

    for package in ("services", "shared"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=not_python)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_contracts_hold_on_a_copy_of_the_sources(tmp_path: Path) -> None:
    result = _lint_imports(_sources(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "imported", "contract"),
    [(module, "asyncpg", contract) for module, contract in CORES] + FILE_FORMATS,
)
def test_a_core_module_importing_io_or_a_file_format_breaks_its_contract(
    tmp_path: Path, module: str, imported: str, contract: str
) -> None:
    root = _sources(tmp_path)
    path = root / module
    path.write_text(path.read_text() + f"\nimport {imported}  # noqa: E402\n")

    result = _lint_imports(root)

    assert result.returncode != 0
    assert any(contract in name for name in _broken(result.stdout)), result.stdout


def test_shared_importing_a_service_breaks_its_contract(tmp_path: Path) -> None:
    root = _sources(tmp_path)
    path = root / "shared/runtime/spec.py"
    path.write_text(path.read_text() + "\nimport services.ingest.core  # noqa: E402\n")

    result = _lint_imports(root)

    assert result.returncode != 0
    assert any("shared imports no service" in n for n in _broken(result.stdout)), result.stdout


#: Prescreen's layers, one forbidden import each: the rules reaching their stemmer adapter,
#: the engine naming the offloaded screener's class, a screener recording its own metrics.
PRESCREEN_LAYERS = [
    (
        "services/prescreen/core/text_rules.py",
        "services.prescreen.adapters.stemmers",
        "prescreen's core is pure",
    ),
    (
        "services/prescreen/handlers/screening.py",
        "services.prescreen.adapters.offloaded_screener",
        "prescreen's handlers take ports",
    ),
    ("services/prescreen/core/text_screener.py", "services.prescreen.metrics", "prescreen's core"),
]


@pytest.mark.parametrize(("module", "imported", "contract"), PRESCREEN_LAYERS)
def test_a_prescreen_layer_importing_one_above_it_breaks_its_contract(
    tmp_path: Path, module: str, imported: str, contract: str
) -> None:
    root = _sources(tmp_path)
    path = root / module
    path.write_text(path.read_text() + f"\nimport {imported}  # noqa: E402\n")

    result = _lint_imports(root)

    assert result.returncode != 0
    assert any(contract in name for name in _broken(result.stdout)), result.stdout


def _broken(report: str) -> list[str]:
    """The names of the contracts the report says are broken (it wraps long names, and joins
    the verdict to a name that fills the line: ``... no runtimeBROKEN``)."""
    summary = " ".join(report.split("Contracts:", maxsplit=1)[0].split())
    parts = re.split(r" ?(KEPT|BROKEN)(?= |$)", summary)
    return [
        name for name, verdict in zip(parts[::2], parts[1::2], strict=False) if verdict == "BROKEN"
    ]
