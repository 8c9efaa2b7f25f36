"""Ingest's business counters (exported beside the runtime's message metrics)."""

from prometheus_client import Counter

REPORTS = Counter(
    "crible_ingest_reports_total",
    "Reports by what ingest did with them: accepted (counted), repeat (stored, but the "
    "reporter was already counted in the case revision), duplicate (a report id seen "
    "before; category 'all').",
    ["outcome", "category"],
)
CASES = Counter(
    "crible_ingest_case_events_total",
    "Case events published, by type (case.opened, case.updated, case.reopened).",
    ["event_type", "category"],
)
CASES_CLOSED = Counter(
    "crible_ingest_cases_closed_total",
    "Case revisions closed by a final review decision (the next report reopens the case).",
)
