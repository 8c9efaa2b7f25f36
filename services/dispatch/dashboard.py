"""Dispatch's Grafana panels, the review dashboard (assembled by ``crible dashboards export``)."""

from __future__ import annotations

from shared.panels import REVIEW, Panel, Panels

PANELS: Panels = {
    REVIEW: (
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
}
