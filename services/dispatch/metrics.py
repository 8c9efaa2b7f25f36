"""Dispatch's business metrics. Labels are categories, bands and outcomes: never people."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from prometheus_client import Counter, Gauge, Histogram

from services.dispatch.adapters.postgres.queue import QUEUE_SQL, WAITING_SQL, band_sql
from services.dispatch.core.lifecycle import State

log = logging.getLogger(__name__)

QUEUE_DEPTH = Gauge(
    "crible_dispatch_queue_depth",
    "Cases waiting for a person (queued, or leased with the lease expired), by screened "
    "category and priority band (P0 most urgent).",
    ["category", "band"],
)
OLDEST_SECONDS = Gauge(
    "crible_dispatch_oldest_case_age_seconds",
    "Age of the oldest case waiting for a person, by category.",
    ["category"],
)
SLA_BREACHES = Gauge(
    "crible_dispatch_sla_breached_cases",
    "Cases waiting or leased past their SLA deadline, by category.",
    ["category"],
)
DECISIONS = Counter(
    "crible_dispatch_decisions_total",
    "Decisions taken by reviewers, by outcome and category.",
    ["outcome", "category"],
)
TIME_TO_DECISION = Histogram(
    "crible_dispatch_time_to_decision_seconds",
    "From a case revision's first verdict to its decision, by category.",
    ["category"],
    buckets=(60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 72 * 3600),
)
AUTOMATIC_ACTIONS = Counter(
    "crible_dispatch_automatic_actions_total",
    "Enforcement actions taken on act_now verdicts before any person, by category.",
    ["category"],
)
REVERSALS = Counter(
    "crible_dispatch_reversals_total",
    "Enforcement a reviewer lifted, by category and by what was lifted: an automatic action "
    "(act_now) or an earlier decision (on appeal).",
    ["category", "of"],
)
DISAGREEMENTS = Counter(
    "crible_dispatch_dual_review_disagreements_total",
    "Dual reviews whose two decisions differed (escalated to a senior), by category.",
    ["category"],
)
APPEALS_FILED = Counter(
    "crible_dispatch_appeals_filed_total",
    "Appeals filed on decided cases, by category.",
    ["category"],
)
APPEALS_DECIDED = Counter(
    "crible_dispatch_appeals_decided_total",
    "Appeals decided, by category and result (upheld or overturned).",
    ["category", "result"],
)
LEASES_EXPIRED = Counter(
    "crible_dispatch_leases_expired_total",
    "Leases that ran out before a decision and whose case another request took over.",
    ["category"],
)
SURGE_SIGNALS = Counter(
    "crible_dispatch_surge_signals_total",
    "Surge signals received and applied to the queue's ranking, by kind.",
    ["kind"],
)
REPORTER_WEIGHTS_MOVED = Counter(
    "crible_dispatch_reporter_weights_moved_total",
    "Reporter trust weights moved by final decisions: down for no_violation, up when confirmed.",
    ["outcome"],
)
SUBMITTED = Counter(
    "crible_dispatch_statements_submitted_total",
    "Statements of reasons the Transparency Database answered for, by status: submitted, "
    "duplicate (stored by an earlier call) or rejected (dead-lettered).",
    ["status"],
)
EXPIRED_LEASES = Gauge(
    "crible_dispatch_expired_leases",
    "Cases whose lease ran out and that nobody has taken again yet, by category.",
    ["category"],
)


async def watch_queue(pool: asyncpg.Pool, stop: asyncio.Event, *, every: float = 15.0) -> None:
    """Refresh the queue's gauges every ``every`` seconds until ``stop`` is set."""
    while not stop.is_set():
        try:
            await refresh(pool)
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("queue metrics not refreshed: %s", type(error).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


async def refresh(pool: asyncpg.Pool) -> None:
    """Read the queue's shape once and export it."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            f"""SELECT screened_category AS category, {band_sql()} AS band, count(*) AS depth
               FROM dispatch.cases
               WHERE state IN {WAITING_SQL}
                  OR (state = '{State.LEASED.value}' AND lease_expires_at < now())
               GROUP BY 1, 2"""
        )
        ages = await conn.fetch(
            f"""SELECT screened_category AS category,
                   extract(epoch FROM now() - min(opened_at))::float8 AS oldest,
                   count(*) FILTER (WHERE due_at < now()) AS breached,
                   count(*) FILTER (WHERE state = '{State.LEASED.value}'
                                    AND lease_expires_at < now()) AS expired
               FROM dispatch.cases
               WHERE state IN {QUEUE_SQL}
               GROUP BY 1"""
        )
    QUEUE_DEPTH.clear()
    for row in rows:
        QUEUE_DEPTH.labels(row["category"], row["band"]).set(row["depth"])
    OLDEST_SECONDS.clear()
    SLA_BREACHES.clear()
    EXPIRED_LEASES.clear()
    for row in ages:
        OLDEST_SECONDS.labels(row["category"]).set(float(row["oldest"]))
        SLA_BREACHES.labels(row["category"]).set(row["breached"])
        EXPIRED_LEASES.labels(row["category"]).set(row["expired"])
