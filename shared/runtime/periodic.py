"""Work a service repeats on a schedule beside its consumers: retention, reminders, gauges.

Each :class:`shared.runtime.spec.Periodic` runs in its own task. An exclusive one first
takes a PostgreSQL advisory lock named after the service and the task, on a connection it
holds for the whole run, so that however many processes of the service are scaled out, one
runs it at a time; the others skip that round. A failing run is logged and counted, and the
task tries again at its next round: periodic work never stops the consumers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from shared import metrics
from shared.runtime.spec import Periodic, ServiceContext

log = logging.getLogger(__name__)


def lock_name(service: str, task: str) -> str:
    """The advisory lock's name (hashed by PostgreSQL into its 64-bit key)."""
    return f"crible:{service}:{task}"


async def run_once(task: Periodic, ctx: ServiceContext) -> str:
    """One round of ``task``: ``ran``, ``skipped`` (another process holds it) or ``failed``."""
    started = time.monotonic()
    try:
        if not task.exclusive or ctx.pool is None:
            await task.run(ctx)
        else:
            async with ctx.pool.acquire() as conn:
                name = lock_name(ctx.service, task.name)
                got = await conn.fetchval(
                    "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", name
                )
                if not got:
                    return "skipped"
                try:
                    await task.run(ctx)
                finally:
                    await conn.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", name)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("periodic task failed", extra={"task": task.name})
        return "failed"
    finally:
        metrics.PERIODIC_SECONDS.labels(ctx.service, task.name).observe(time.monotonic() - started)
    return "ran"


async def run_periodic(task: Periodic, ctx: ServiceContext) -> None:
    """Run ``task`` every ``task.every_seconds`` until the service stops."""
    every = task.every_seconds() if callable(task.every_seconds) else task.every_seconds
    for outcome in metrics.PERIODIC_OUTCOMES:  # at 0 from the start: the first failure alerts
        metrics.PERIODIC_RUNS.labels(ctx.service, task.name, outcome)
    delay = task.first_after_seconds
    while not ctx.stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ctx.stop.wait(), timeout=delay)
        if ctx.stop.is_set():
            return
        outcome = await run_once(task, ctx)
        metrics.PERIODIC_RUNS.labels(ctx.service, task.name, outcome).inc()
        if outcome == "ran":
            metrics.PERIODIC_LAST_SUCCESS.labels(ctx.service, task.name).set(time.time())
        delay = every
