"""Prescreen's business metrics, beside the runtime's message metrics.

No personal data in labels: routes, categories, screener and bank names only.
"""

from prometheus_client import Counter, Gauge, Histogram

VERDICTS = Counter(
    "crible_prescreen_verdicts_total",
    "Verdicts published, by route (act_now, human_review, dismiss) and screened category.",
    ["route", "category"],
)
QA_SAMPLES = Counter(
    "crible_prescreen_qa_samples_total",
    "Dismissals sent to human review as the policy's quality-assurance sample.",
)
UNCHANGED = Counter(
    "crible_prescreen_unchanged_total",
    "Case events screened whose verdict did not change (no new verdict published), or that "
    "were stale (an older case state than one already screened), by reason.",
    ["reason"],
)
SCORES = Histogram(
    "crible_prescreen_score",
    "Scores given by each screener that could use the case, per category.",
    ["screener", "category"],
    buckets=(0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
)
USABILITY = Counter(
    "crible_prescreen_screener_cases_total",
    "Cases per screener by whether it could use their data (used, no_input, unusable, "
    "unavailable).",
    ["screener", "usability"],
)
SCREENER_SECONDS = Histogram(
    "crible_prescreen_screener_seconds",
    "Time one screener took on a whole batch.",
    ["screener"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
PREPARE_SECONDS = Histogram(
    "crible_prescreen_prepare_seconds",
    "Time taken on a whole batch to clean its texts, identify their languages and find the "
    "links written in them, before any screener.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
SCREENER_ERRORS = Counter(
    "crible_prescreen_screener_errors_total",
    "Batches on which a screener raised (its cases were screened without it).",
    ["screener"],
)
SHADOW_DECISIONS = Counter(
    "crible_prescreen_shadow_decisions_total",
    "Decisions of the shadow policy (stored, never published), by route and by whether "
    "they agree with the live policy's route.",
    ["route", "agrees"],
)
BANK_HASHES = Gauge(
    "crible_prescreen_bank_hashes",
    "Live hashes per bank in this worker's memory.",
    ["bank"],
)
BANK_UPDATES = Counter(
    "crible_prescreen_bank_updates_total",
    "Bank updates this worker applied from hashbanks.updates, by type.",
    ["type"],
)
BANK_LAST_UPDATE = Gauge(
    "crible_prescreen_bank_last_update_timestamp_seconds",
    "When this worker last applied a bank update (Unix time).",
)
