"""The runtime's Grafana panels, beside its metrics (``shared/metrics.py``): every service's."""

from __future__ import annotations

from shared.panels import INFRASTRUCTURE, PIPELINE, Panel, Panels

PANELS: Panels = {
    PIPELINE: (
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
    ),
    INFRASTRUCTURE: (
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
}
