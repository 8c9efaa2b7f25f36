"""Prescreen's Grafana panels (beside its metrics; assembled by ``crible dashboards export``)."""

from __future__ import annotations

from shared.panels import PIPELINE, Panel, Panels

PANELS: Panels = {
    PIPELINE: (
        Panel(
            "Screening verdicts per second",
            (("sum by (route) (crible:prescreen_verdicts:rate5m)", "{{route}}"),),
            "ops",
        ),
        Panel(
            "Screener errors per second",
            (
                (
                    "sum by (screener) (rate(crible_prescreen_screener_errors_total[5m]))",
                    "{{screener}}",
                ),
                ("max(crible_prescreen_external_circuit_state)", "external circuit (2 = open)"),
            ),
            "short",
        ),
    ),
}
