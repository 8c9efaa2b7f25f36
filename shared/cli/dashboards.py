"""Crible's Grafana dashboards, assembled from the panels each service declares, as JSON.

The runtime's panels come first (``shared/dashboard.py``), then each service's
(``services/<name>/dashboard.py``, ``PANELS``) in the registry's order.
``crible dashboards export`` writes ``deploy/grafana/dashboards/*.json``; a test renders
them again and compares, checks that every query reads metrics Crible exports (or the
recording rules), and has the local Prometheus parse each query. Each panel is one
PromQL query or a few; the data source is the provisioned Prometheus (uid ``prometheus``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared import dashboard as runtime
from shared.cli.registry import Registry
from shared.panels import INFRASTRUCTURE, LEGAL, PIPELINE, REVIEW, Panel

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}


@dataclass(frozen=True, slots=True)
class Dashboard:
    """A dashboard: rows of panels, two per row."""

    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...] = field(default_factory=tuple)


def _panel(panel: Panel, index: int) -> dict[str, Any]:
    width = 12
    return {
        "id": index + 1,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": width, "x": (index % 2) * width, "y": (index // 2) * 8},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom"}}
        if panel.kind == "timeseries"
        else {"reduceOptions": {"calcs": ["lastNotNull"]}},
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "datasource": DATASOURCE,
                "expr": expr,
                "legendFormat": legend,
            }
            for i, (expr, legend) in enumerate(panel.queries)
        ],
    }


def render(dashboard: Dashboard) -> dict[str, Any]:
    """The dashboard as Grafana's JSON model."""
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": ["crible"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "panels": [_panel(p, i) for i, p in enumerate(dashboard.panels)],
    }


#: Every dashboard (uid, title, description), in the order they are exported.
BOARDS = (
    Dashboard(
        PIPELINE,
        "Crible: pipeline overview",
        "Rate, errors, duration, lag and dead letters per stage (ingest, prescreen, dispatch, "
        "legal).",
    ),
    Dashboard(
        REVIEW,
        "Crible: review operations",
        "The human-review queue: depth by category and priority band, oldest case, SLA "
        "breaches, decisions, appeals and reversals.",
    ),
    Dashboard(
        LEGAL,
        "Crible: legal requests",
        "Requests by state, deadlines, disclosures, notices and retention.",
    ),
    Dashboard(
        INFRASTRUCTURE,
        "Crible: infrastructure (Kafka, PostgreSQL, processes)",
        "How Kafka and PostgreSQL look from Crible's processes: readiness, retries by stage, "
        "rebalances, commit recoveries, outbox relays, memory and CPU.",
    ),
)


def assembled(registry: Registry) -> tuple[Dashboard, ...]:
    """Every dashboard with its panels: the runtime's, then each service's in order."""
    declared = [runtime.PANELS]
    declared += [panels for _, panels in registry.dashboards() if panels is not None]
    return tuple(
        Dashboard(
            board.uid,
            board.title,
            board.description,
            tuple(p for panels in declared for p in panels.get(board.uid, ())),
        )
        for board in BOARDS
    )


def rendered(registry: Registry) -> dict[str, str]:
    """File name to JSON of every dashboard."""
    return {f"{d.uid}.json": json.dumps(render(d), indent=2) + "\n" for d in assembled(registry)}


def export(registry: Registry) -> list[Path]:
    """Write every dashboard's JSON."""
    DASHBOARDS.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered(registry).items():
        path = DASHBOARDS / name
        path.write_text(text)
        written.append(path)
    return written
