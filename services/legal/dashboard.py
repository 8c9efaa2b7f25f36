"""Legal's Grafana panels (beside its metrics; assembled by ``crible dashboards export``)."""

from __future__ import annotations

from shared.panels import LEGAL, Panel, Panels

PANELS: Panels = {
    LEGAL: (
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
                (
                    "sum by (outcome) (increase(crible_legal_disclosures_total[1d]))",
                    "{{outcome}}",
                ),
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
}
