"""Grafana panels as data: each service declares its own beside its metrics.

A service's ``dashboard.py`` holds ``PANELS``, its panels by dashboard (one of the uids
below); ``crible dashboards export`` (``shared/cli/dashboards.py``) assembles them, the
runtime's first, then each service's in the registry's order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PIPELINE = "crible-pipeline"
REVIEW = "crible-review"
LEGAL = "crible-legal"
INFRASTRUCTURE = "crible-infrastructure"


@dataclass(frozen=True, slots=True)
class Panel:
    """One panel: a title, its queries (PromQL, legend), its unit and kind."""

    title: str
    queries: tuple[tuple[str, str], ...]
    unit: str = "short"
    kind: str = "timeseries"
    description: str = ""


#: Panels by dashboard uid.
Panels = Mapping[str, tuple[Panel, ...]]
