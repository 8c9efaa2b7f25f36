"""Ingest's Grafana panels (beside its metrics; assembled by ``crible dashboards export``)."""

from __future__ import annotations

from shared.panels import PIPELINE, Panel, Panels

PANELS: Panels = {
    PIPELINE: (
        Panel(
            "Reports accepted per second",
            (("sum by (outcome) (crible:ingest_reports:rate5m)", "{{outcome}}"),),
            "ops",
        ),
    ),
}
