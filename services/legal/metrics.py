"""Legal's metrics. Labels are event types and outcomes: never a person, number or address."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

IDENTITY_EVENTS = Counter(
    "crible_legal_identity_events_total",
    "Identity events sealed and stored, by type.",
    ["event_type"],
)
ROWS_REKEYED = Counter(
    "crible_legal_rows_rekeyed_total",
    "Rows re-encrypted under the current key by `crible legal rotate-key`, by table.",
    ["table"],
)
REQUESTS_CHECKED = Counter(
    "crible_legal_requests_checked_total",
    "Requests checked against the law, by instrument and verdict (accepted or refused).",
    ["instrument", "verdict"],
)
DISCLOSURES = Counter(
    "crible_legal_disclosures_total",
    "Answers to requests, by outcome: package_ready, no_data, downloaded, download_refused.",
    ["outcome"],
)
RETENTION_KEPT_PRESERVED = Gauge(
    "crible_legal_retention_kept_preserved",
    "Rows past their retention period kept by a running preservation order, at the last run.",
    ["table"],
)
REQUESTS = Gauge(
    "crible_legal_requests",
    "Legal requests by state (core/lifecycle.py: received, accepted, refused, narrowed, "
    "prepared, approved, package_ready, no_data, downloaded, link_expired, preserving, "
    "preservation_ended).",
    ["state"],
)
REQUESTS_DUE = Gauge(
    "crible_legal_requests_due",
    "Unanswered requests whose deadline falls within the window (1h, 24h), not yet overdue.",
    ["within"],
)
REQUESTS_OVERDUE = Gauge(
    "crible_legal_requests_overdue",
    "Unanswered requests past their deadline.",
)
OLDEST_OVERDUE_SECONDS = Gauge(
    "crible_legal_oldest_overdue_seconds",
    "How far past its deadline the most overdue unanswered request is (0: none).",
)
TIME_TO_ACKNOWLEDGE = Histogram(
    "crible_legal_time_to_acknowledge_seconds",
    "From a request's receipt to its legal checks' verdict.",
    buckets=(1, 5, 30, 60, 300, 3600, 8 * 3600, 86400),
)
TIME_TO_COMPLY = Histogram(
    "crible_legal_time_to_comply_seconds",
    "From a request's receipt to its answer (package built, no data, or preservation).",
    buckets=(60, 600, 3600, 4 * 3600, 8 * 3600, 86400, 3 * 86400, 10 * 86400, 30 * 86400),
)
NOTICES_SENT = Counter(
    "crible_legal_user_notices_total",
    "Notices sent to users whose data was disclosed, by whether they had been delayed.",
    ["delayed_by"],
)
CHECKPOINTS = Counter(
    "crible_legal_audit_checkpoints_total",
    "Audit checkpoints signed and published, or refused because the chain since the last "
    "one did not verify.",
    ["outcome"],
)
ANCHORED_ENTRIES = Gauge(
    "crible_legal_audit_anchored_entries",
    "Entries of the audit chain covered by the newest checkpoint this process signed.",
)
UNREGISTERED_CHANGES = Gauge(
    "crible_legal_unregistered_credential_changes",
    "Changes of an officer's or an authority's credentials that no registration on the audit "
    "chain names and no incident acknowledges (crible audit verify lists them).",
)
for _outcome in ("signed", "refused"):
    CHECKPOINTS.labels(_outcome)  # both series exist from the start: the first refusal alerts
