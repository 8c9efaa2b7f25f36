"""The retention job every service runs for the data it owns: rules, batches, counts.

A :class:`RetentionRule` names the rows due (older than its period, and not kept for a
reason such as a preservation order) and how to delete them. :func:`enforce` deletes them a
batch per transaction: each batch locks a few thousand rows at most, skips rows another
transaction holds (``FOR UPDATE SKIP LOCKED`` in the rules' queries) and gives up rather
than wait on a lock (``lock_timeout``), so the store is never blocked for long. Only counts
come out: never a row's content.

SQL in a rule uses ``:cutoff`` (now minus the period), ``:now`` and ``:limit``, bound in
order of appearance; deletes take the due keys as ``$1`` (an array).
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared import metrics
from shared.db import Connection
from shared.runtime.spec import Hook, Periodic, ServiceContext

_NAMED = re.compile(r":(cutoff|now|limit)\b")


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """One kind of data and how long it is kept."""

    name: str
    #: Where the period comes from (a law's article, or the platform's documented policy).
    basis: str
    period: timedelta
    #: Selects the due keys as ``key``; must end with ``LIMIT :limit`` and its locking.
    due: str
    #: Counts what is due (for ``--dry-run``).
    count_due: str
    #: Deletes the rows of the keys in ``$1``, in order (children first).
    deletes: tuple[str, ...]
    #: Counts rows past their period kept anyway (e.g. preserved by an order), or None.
    count_kept: str | None = None


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """What one rule did (or, dry, would do)."""

    name: str
    due: int  # deleted, or due when dry
    kept: int  # past the period but kept (preserved)
    seconds: float
    #: Whole partitions dropped (or due when dry) instead of rows deleted one by one.
    partitions: int = 0
    #: ``due`` holds the planner's row estimate of dropped partitions (counting them would
    #: read them whole).
    estimated: bool = False


def bind(sql: str, *, cutoff: datetime, now: datetime, limit: int) -> tuple[str, list[Any]]:
    """``sql`` with ``:cutoff``, ``:now``, ``:limit`` as ``$n``, and the values in order."""
    values = {"cutoff": cutoff, "now": now, "limit": limit}
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    return _NAMED.sub(number, sql), [values[name] for name in order]


async def enforce_rule(
    conn: Connection,
    rule: RetentionRule,
    *,
    now: datetime,
    dry_run: bool = False,
    batch: int = 5000,
    lock_timeout_ms: int = 2000,
) -> RuleOutcome:
    """Delete what ``rule`` says is due at ``now``, a batch per transaction."""
    started = time.monotonic()
    cutoff = now - rule.period
    kept = 0
    if rule.count_kept is not None:
        sql, args = bind(rule.count_kept, cutoff=cutoff, now=now, limit=batch)
        kept = int(await conn.fetchval(sql, *args))
    if dry_run:
        sql, args = bind(rule.count_due, cutoff=cutoff, now=now, limit=batch)
        due = int(await conn.fetchval(sql, *args))
        return RuleOutcome(rule.name, due, kept, time.monotonic() - started)
    deleted = 0
    due_sql, due_args = bind(rule.due, cutoff=cutoff, now=now, limit=batch)
    while True:
        async with conn.transaction():
            # Never queue behind a writer for long: give up the batch and try the next round.
            await conn.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
            keys = [row["key"] for row in await conn.fetch(due_sql, *due_args)]
            if not keys:
                break
            for statement in rule.deletes:
                await conn.execute(statement, keys)
        deleted += len(keys)
        if len(keys) < batch:
            break
    return RuleOutcome(rule.name, deleted, kept, time.monotonic() - started)


def count_deleted(service: str, outcomes: Sequence[RuleOutcome]) -> None:
    """Add a run's deletions to ``crible_retention_deleted_total``."""
    for outcome in outcomes:
        metrics.RETENTION_DELETED.labels(service, outcome.name).inc(outcome.due)


#: The first scheduled run waits this long after start: a process restarting in a loop does
#: not hammer the store, and one that lives ten minutes does run it.
FIRST_RUN_AFTER_SECONDS = 600.0


def retention_schedule(service: str, run: Hook, *, default_hours: float = 6) -> Periodic:
    """``run`` as the service's retention task, every ``CRIBLE_<SERVICE>_RETENTION_EVERY_HOURS``.

    The interval is read when the service starts, from the environment alone: a service's
    specification is built without its secrets (the OpenAPI export builds legal's so).
    """
    env = f"CRIBLE_{service.upper()}_RETENTION_EVERY_HOURS"

    def every() -> float:
        return float(os.environ.get(env, str(default_hours))) * 3600

    return Periodic("retention", every, run, first_after_seconds=FIRST_RUN_AFTER_SECONDS)


def periodic_retention(
    service: str, rules: Callable[[], Sequence[RetentionRule]], *, default_hours: float = 6
) -> Periodic:
    """The scheduled job of a service's rules, counted in ``crible_retention_deleted_total``."""

    async def run(ctx: ServiceContext) -> None:
        if ctx.pool is None:
            return
        now = datetime.now(UTC)
        async with ctx.pool.acquire() as conn:
            outcomes = [await enforce_rule(conn, rule, now=now) for rule in rules()]
        count_deleted(service, outcomes)
        _log.info(
            "retention ran",
            extra={"deleted": {o.name: o.due for o in outcomes}},
        )

    return retention_schedule(service, run, default_hours=default_hours)


_log = logging.getLogger(__name__)
