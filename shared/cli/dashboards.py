"""Crible's Grafana dashboards, written as data here and exported as JSON for provisioning.

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

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}


@dataclass(frozen=True, slots=True)
class Panel:
    """One panel: a title, its queries (PromQL, legend), its unit and kind."""

    title: str
    queries: tuple[tuple[str, str], ...]
    unit: str = "short"
    kind: str = "timeseries"
    description: str = ""


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


PIPELINE = Dashboard(
    "crible-pipeline",
    "Crible: pipeline overview",
    "Rate, errors, duration, lag and dead letters per stage (ingest, prescreen, dispatch, legal).",
    (
        Panel(
            "Messages processed per second",
            (
                (
                    (
                        "sum by (service, topic) "
                        '(crible:messages_consumed:rate5m{outcome="processed"})'
                    ),
                    "{{service}} ← {{topic}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Events published per second",
            (
                (
                    "sum by (service, topic) (crible:messages_produced:rate5m)",
                    "{{service}} → {{topic}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Dead letters per second",
            (
                (
                    "sum by (service, topic, error) (crible:messages_dead_lettered:rate5m)",
                    "{{service}} {{topic}} {{error}}",
                ),
            ),
            "ops",
            description="Runbook: deploy/RUNBOOK.md#dead-letters",
        ),
        Panel(
            "Consumer lag",
            (("crible:consumer_lag_messages:sum", "{{service}} {{topic}}"),),
            "short",
            description="Messages waiting per group and topic.",
        ),
        Panel(
            "Handler duration p99",
            (("crible:handler_duration_seconds:p99_5m", "{{service}}"),),
            "s",
        ),
        Panel(
            "Batch size (median)",
            (
                (
                    (
                        "histogram_quantile(0.5, sum by (service, le) "
                        "(rate(crible_batch_size_messages_bucket[5m])))"
                    ),
                    "{{service}}",
                ),
            ),
        ),
        Panel(
            "Stalled batches per second",
            (
                (
                    "sum by (service, error) (rate(crible_stalled_batches_total[5m]))",
                    "{{service}} {{error}}",
                ),
            ),
            "ops",
            description="Every record of a batch failed: an outage or a bug.",
        ),
        Panel(
            "Reports accepted per second",
            (("sum by (outcome) (crible:ingest_reports:rate5m)", "{{outcome}}"),),
            "ops",
        ),
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
    ),
)

REVIEW = Dashboard(
    "crible-review",
    "Crible: review operations",
    "The human-review queue: depth by category and priority band, oldest case, SLA "
    "breaches, decisions, appeals and reversals.",
    (
        Panel(
            "Queue depth by category and band",
            (("sum by (category, band) (crible_dispatch_queue_depth)", "{{category}} {{band}}"),),
        ),
        Panel(
            "Oldest waiting case",
            (("max by (category) (crible_dispatch_oldest_case_age_seconds)", "{{category}}"),),
            "s",
        ),
        Panel(
            "Cases past their SLA",
            (("sum by (category) (crible_dispatch_sla_breached_cases)", "{{category}}"),),
            description="Runbook: deploy/RUNBOOK.md#review-sla-breached",
        ),
        Panel(
            "Decisions per hour",
            (("sum by (outcome) (crible:dispatch_decisions:rate5m) * 3600", "{{outcome}}"),),
        ),
        Panel(
            "Time to decision p90",
            (
                (
                    (
                        "histogram_quantile(0.9, sum by (category, le) "
                        "(rate(crible_dispatch_time_to_decision_seconds_bucket[1h])))"
                    ),
                    "{{category}}",
                ),
            ),
            "s",
        ),
        Panel(
            "Automatic actions and reversals per hour",
            (
                (
                    "sum(rate(crible_dispatch_automatic_actions_total[1h])) * 3600",
                    "automatic actions",
                ),
                (
                    "sum by (of) (rate(crible_dispatch_reversals_total[1h])) * 3600",
                    "reversals of {{of}}",
                ),
            ),
        ),
        Panel(
            "Appeals per hour",
            (
                ("sum(rate(crible_dispatch_appeals_filed_total[1h])) * 3600", "filed"),
                (
                    "sum by (result) (rate(crible_dispatch_appeals_decided_total[1h])) * 3600",
                    "decided: {{result}}",
                ),
            ),
        ),
        Panel(
            "Expired leases and dual-review disagreements",
            (
                ("sum(crible_dispatch_expired_leases)", "leases expired, not retaken"),
                (
                    "sum(increase(crible_dispatch_dual_review_disagreements_total[1h]))",
                    "disagreements (1h)",
                ),
            ),
        ),
    ),
)

LEGAL = Dashboard(
    "crible-legal",
    "Crible: legal requests",
    "Requests by state, deadlines, disclosures, notices and retention.",
    (
        Panel("Requests by state", (("sum by (state) (crible_legal_requests)", "{{state}}"),)),
        Panel(
            "Deadlines",
            (
                ('max(crible_legal_requests_due{within="1h"})', "due within 1 h"),
                ('max(crible_legal_requests_due{within="24h"})', "due within 24 h"),
                ("max(crible_legal_requests_overdue)", "overdue"),
            ),
            kind="stat",
            description="Runbook: deploy/RUNBOOK.md#legal-request-overdue",
        ),
        Panel(
            "Most overdue request",
            (("max(crible_legal_oldest_overdue_seconds)", "late by"),),
            "s",
            kind="stat",
        ),
        Panel(
            "Checks and answers per day",
            (
                (
                    "sum by (verdict) (increase(crible_legal_requests_checked_total[1d]))",
                    "checked: {{verdict}}",
                ),
                ("sum by (outcome) (increase(crible_legal_disclosures_total[1d]))", "{{outcome}}"),
            ),
        ),
        Panel(
            "Time to acknowledge and to comply (median)",
            (
                (
                    (
                        "histogram_quantile(0.5, sum by (le) "
                        "(rate(crible_legal_time_to_acknowledge_seconds_bucket[1d])))"
                    ),
                    "acknowledge",
                ),
                (
                    (
                        "histogram_quantile(0.5, sum by (le) "
                        "(rate(crible_legal_time_to_comply_seconds_bucket[1d])))"
                    ),
                    "comply",
                ),
            ),
            "s",
        ),
        Panel(
            "User notices sent per day",
            (
                (
                    "sum by (delayed_by) (increase(crible_legal_user_notices_total[1d]))",
                    "{{delayed_by}}",
                ),
            ),
        ),
        Panel(
            "Retention: rows deleted per day",
            (
                (
                    "sum by (service, rule) (increase(crible_retention_deleted_total[1d]))",
                    "{{rule}}",
                ),
                (
                    "sum by (table) (crible_legal_retention_kept_preserved)",
                    "kept by an order: {{table}}",
                ),
            ),
        ),
        Panel(
            "Since the last complete retention run",
            (
                (
                    (
                        "time() - max by (service) "
                        '(crible_periodic_last_success_timestamp_seconds{task="retention"})'
                    ),
                    "{{service}}",
                ),
            ),
            "s",
            description="Runbook: deploy/RUNBOOK.md#retention-not-run",
        ),
        Panel(
            "Identity events stored per second",
            (
                (
                    "sum by (event_type) (rate(crible_legal_identity_events_total[5m]))",
                    "{{event_type}}",
                ),
            ),
            "ops",
        ),
    ),
)

INFRASTRUCTURE = Dashboard(
    "crible-infrastructure",
    "Crible: infrastructure (Kafka, PostgreSQL, processes)",
    "How Kafka and PostgreSQL look from Crible's processes: readiness, retries by stage, "
    "rebalances, commit recoveries, outbox relays, memory and CPU.",
    (
        Panel(
            "Processes up and ready",
            (
                ('sum by (service) (up{job="crible"})', "{{service}} up"),
                ("sum by (service) (crible_ready)", "{{service}} ready"),
            ),
        ),
        Panel(
            "Transient retries by stage (Kafka, PostgreSQL)",
            (
                (
                    "sum by (service, stage) (crible:transient_retries:rate5m)",
                    "{{service}} {{stage}}",
                ),
            ),
            "ops",
        ),
        Panel(
            "Partition assignments (rebalances) per hour",
            (
                (
                    "sum by (service, consumer) (increase(crible_partition_assignments_total[1h]))",
                    "{{service}} {{consumer}}",
                ),
            ),
        ),
        Panel(
            "Commit recoveries and outbox relays",
            (
                (
                    "sum by (service) (increase(crible_commit_recoveries_total[1h]))",
                    "{{service}} commit recovered",
                ),
                (
                    "sum by (service) (increase(crible_outbox_relayed_batches_total[1h]))",
                    "{{service}} outbox relayed",
                ),
            ),
        ),
        Panel(
            "Events the broker refused",
            (
                (
                    "sum by (service, topic) (increase(crible_undeliverable_events_total[1h]))",
                    "{{service}} {{topic}}",
                ),
            ),
        ),
        Panel(
            "Periodic tasks",
            (
                (
                    "sum by (service, task, outcome) (increase(crible_periodic_runs_total[1h]))",
                    "{{service}} {{task}} {{outcome}}",
                ),
            ),
        ),
        Panel(
            "Resident memory",
            (('sum by (service) (process_resident_memory_bytes{job="crible"})', "{{service}}"),),
            "bytes",
        ),
        Panel(
            "CPU",
            (
                (
                    'sum by (service) (rate(process_cpu_seconds_total{job="crible"}[5m]))',
                    "{{service}}",
                ),
            ),
            "percentunit",
        ),
    ),
)

ALL = (PIPELINE, REVIEW, LEGAL, INFRASTRUCTURE)


def rendered() -> dict[str, str]:
    """File name to JSON of every dashboard."""
    return {f"{d.uid}.json": json.dumps(render(d), indent=2) + "\n" for d in ALL}


def export() -> list[Path]:
    """Write every dashboard's JSON."""
    DASHBOARDS.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered().items():
        path = DASHBOARDS / name
        path.write_text(text)
        written.append(path)
    return written
