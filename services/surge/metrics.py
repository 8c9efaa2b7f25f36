"""Surge's business metrics, beside the shared ``crible_`` message metrics it also feeds.

Labels are low-cardinality: kind, table, stage. Never a subject or a reporter.
"""

from prometheus_client import Counter, Gauge

SIGNALS = Counter(
    "crible_surge_signals_total",
    "Surge signals published, by kind (a window's republication with larger figures counts).",
    ["kind"],
)
REPLAYS = Counter(
    "crible_surge_replayed_reports_total",
    "Reports the subject stage had counted already (a replay after a rebalance or a crash): "
    "ignored.",
)
RECORDS = Counter(
    "crible_surge_stage_records_total",
    "Records each stage of the app handled (intake, reporters, subjects).",
    ["stage"],
)
TABLE_KEYS = Gauge(
    "crible_surge_table_keys",
    "Keys held in each of the app's tables on this process.",
    ["table"],
)
ROCKSDB_BYTES = Gauge(
    "crible_surge_rocksdb_bytes",
    "RocksDB's memory in this process: the one block cache every table's databases share "
    "(`cache`, the write buffers charged to it included; `cache_pinned`, the part in use), "
    "their write buffers (`memtables`) and their index and filter blocks (`table_readers`).",
    ["part"],
)
STALLS = Counter(
    "crible_surge_stalls_total",
    "Times the watchdog found an agent stopped with lag on its topic (the process then exits "
    "for its supervisor to restart it).",
    ["topic"],
)
READ_AGAIN = Counter(
    "crible_surge_read_again_total",
    "Times a partition whose lag stopped moving was read again from its next offset to "
    "process (records faust's consumer lost track of around a rebalance), before any stall.",
    ["topic"],
)
