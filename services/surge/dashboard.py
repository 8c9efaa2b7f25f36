"""Surge's Grafana panels (beside its metrics; assembled by ``crible dashboards export``)."""

from __future__ import annotations

from shared.panels import PIPELINE, Panel, Panels

PANELS: Panels = {
    PIPELINE: (
        Panel(
            "Surge: records per stage and signals per minute",
            (
                ("sum by (stage) (rate(crible_surge_stage_records_total[5m]))", "{{stage}} /s"),
                ("sum by (kind) (rate(crible_surge_signals_total[5m])) * 60", "{{kind}} /min"),
            ),
            description="Viral signals raise a subject's cases; coordinated ones discount them.",
        ),
        Panel(
            "Surge: table keys, replays and stalls",
            (
                ("sum by (table) (crible_surge_table_keys)", "{{table}} keys"),
                ("sum(increase(crible_surge_replayed_reports_total[1h]))", "replayed (1h)"),
                ("sum(increase(crible_surge_stalls_total[1h]))", "watchdog stalls (1h)"),
            ),
        ),
        Panel(
            "Surge: resident memory and RocksDB's part of it",
            (
                (
                    'process_resident_memory_bytes{job="crible", service="surge"}',
                    "{{instance}} resident",
                ),
                ("sum by (instance, part) (crible_surge_rocksdb_bytes)", "{{instance}} {{part}}"),
            ),
            unit="bytes",
            description="RocksDB's cache is bounded (64 MiB a process, write buffers included); "
            "resident memory that keeps growing past it is the process's own.",
        ),
    ),
}
