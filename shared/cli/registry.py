"""The services the ``crible`` command knows, found by convention in each service's package.

A service package ``services/<name>/`` has ``service.py`` with its ``SPEC``, and may have
``migrations/`` (SQL files), ``api.py`` (``adapters/http/api.py`` in STYLE.md's layout) with
``openapi()``, and, in ``tools/`` (STYLE.md's room for what operators run; the package's top
level is still read for services not yet moved):
``bench.py`` with ``run(settings, options) -> exit status``, ``bench_<name>.py`` for more, and
``commands.py`` with ``register(subparsers)`` adding the service's own ``crible`` subcommands
(e.g. ``crible banks``), which import what they need only when they run; and
``dashboard.py`` with ``PANELS``, its Grafana panels (``shared/panels.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any, cast

from shared.config import Settings

#: A service's benchmark: settings and the command-line options after its name.
Bench = Callable[[Settings, Sequence[str]], int]


class Registry:
    """Service names mapped to their packages, in the order they are started."""

    def __init__(self, packages: Mapping[str, str]) -> None:
        self._packages = dict(packages)

    @property
    def names(self) -> list[str]:
        """Every service, in registration order."""
        return list(self._packages)

    def spec(self, name: str) -> Any:
        """The service's ``SPEC``."""
        return import_module(f"{self._packages[name]}.service").SPEC

    def migrations(self) -> list[tuple[str, str]]:
        """(owner, package) of every service that has SQL migrations, in order."""
        return [
            (name, f"{package}.migrations")
            for name, package in self._packages.items()
            if find_spec(f"{package}.migrations") is not None
        ]

    def command_modules(self) -> list[Any]:
        """The ``commands`` modules of the services that add subcommands."""
        found = (_tool(p, "commands") for p in self._packages.values())
        return [import_module(module) for module in found if module is not None]

    def openapi(self) -> dict[str, dict[str, Any]]:
        """The OpenAPI document of every service with an HTTP API (``api.openapi()``).

        The API module is ``adapters/http/api.py`` in STYLE.md's layout, else ``api.py``.
        """
        found = {n: _module(p, "adapters.http.api", "api") for n, p in self._packages.items()}
        return {name: import_module(m).openapi() for name, m in found.items() if m is not None}

    def dashboards(self) -> list[tuple[str, Any]]:
        """(name, ``PANELS`` of its ``dashboard.py`` or None) of every service, in order."""
        found = {n: _module(p, "dashboard") for n, p in self._packages.items()}
        return [(n, None if m is None else import_module(m).PANELS) for n, m in found.items()]

    def benchmarks(self) -> list[str]:
        """Every benchmark: a service's (``bench.py``) and named ones beside it.

        A service may ship more as ``bench_<name>.py`` (legal's ``bench_retention.py``).
        """
        names = [n for n, p in self._packages.items() if _tool(p, "bench") is not None]
        return names + sorted(self._extra_benches())

    def bench(self, name: str) -> Bench:
        """The benchmark's entry point."""
        module = self._extra_benches().get(name) or _tool(self._packages[name], "bench")
        if module is None:
            raise KeyError(f"no benchmark named {name!r}")
        return cast(Bench, import_module(module).run)

    def _extra_benches(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for package in self._packages.values():
            for room in (f"{package}.tools", package):
                spec = find_spec(room) if find_spec(package) is not None else None
                for folder in spec.submodule_search_locations or () if spec else ():
                    for path in sorted(Path(folder).glob("bench_*.py")):
                        name = path.stem.removeprefix("bench_")
                        found.setdefault(name, f"{room}.{path.stem}")
        return found


def _tool(package: str, name: str) -> str | None:
    """The module ``name`` of a service: in its ``tools/`` room, else at its top level."""
    return _module(package, f"tools.{name}", name)


def _module(package: str, *names: str) -> str | None:
    """The first of ``package``'s modules ``names`` that exists."""
    for name in names:
        module = f"{package}.{name}"
        try:
            if find_spec(module) is not None:
                return module
        except ModuleNotFoundError:  # no tools/ (or adapters/) package yet
            continue
    return None
