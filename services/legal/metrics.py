"""Legal's metrics. Labels are event types and outcomes: never a person, number or address."""

from __future__ import annotations

from prometheus_client import Counter

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
