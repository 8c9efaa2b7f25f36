"""Crible's services. Each lives in ``services/<name>/`` and is run by ``crible run <name>``."""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Every service that exists, with the module holding its ``SPEC``.
SERVICES: dict[str, str] = {
    "ingest": "services.ingest.service",
}


def load_spec(name: str) -> Any:
    """Import a service's consumer spec by name."""
    return import_module(SERVICES[name]).SPEC
