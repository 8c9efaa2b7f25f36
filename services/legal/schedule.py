"""What the legal service does on a schedule, beside its consumers and portal.

- ``retention`` (every ``CRIBLE_LEGAL_RETENTION_EVERY_HOURS``, one process at a time):
  the identity store's retention job (``handlers/retention.py``);
- ``session_months`` (hourly, one process at a time): the month partitions of
  ``legal.sessions`` for the month ahead (``adapters/postgres/session_months.py``);
- ``notices`` (every ``CRIBLE_LEGAL_NOTICES_EVERY_SECONDS``, 60 by default, one process
  at a time): preservation orders whose time ran out are recorded as ended, packages whose
  link expired untaken are marked so, and the notices due are sent (``handlers/notices.py``);
- ``deadlines`` (every 15 s, every process): the request gauges that alerts read;
- ``checkpoints`` (every ``CRIBLE_LEGAL_CHECKPOINT_EVERY_SECONDS``, 60, one process at a
  time): the audit chain's head, verified since the last checkpoint, signed and published
  (``handlers/checkpoints.py``);
- ``registrations`` (every 60 s, every process): the credential changes no registration
  names, for the alert (``crible audit verify`` is the full check, with the keys).
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

from services.legal import metrics
from services.legal.adapters.postgres import audit_log, session_months
from services.legal.adapters.postgres.gauges import refresh_deadline_gauges
from services.legal.adapters.postgres.retention import PostgresRetention
from services.legal.adapters.postgres.units import Units
from services.legal.config import LegalSettings
from services.legal.core.lifecycle import RequestState
from services.legal.core.registrations import STEPS, findings
from services.legal.handlers import checkpoints, downloads, notices, preservation
from services.legal.handlers.retention import run_retention
from shared.runtime import Periodic, ServiceContext
from shared.runtime.retention import retention_schedule

log = logging.getLogger(__name__)
#: Every state a request can be in (the gauge shows 0 for those with none).
STATES = tuple(state.value for state in RequestState)


def _units(ctx: ServiceContext) -> Units:
    if ctx.pool is None or ctx.outbox is None:
        raise RuntimeError("legal's scheduled jobs need the database")
    return Units(ctx.pool, ctx.outbox)


async def _retention(ctx: ServiceContext) -> None:
    units = _units(ctx)
    async with units.pool.acquire() as conn:
        store = PostgresRetention(conn, units.policy.retention, units.keys.audit_ring())
        await run_retention(store, now=datetime.now(UTC))


async def _session_months(ctx: ServiceContext) -> None:
    async with _units(ctx).pool.acquire() as conn:
        made = await session_months.create_ahead(conn, today=datetime.now(UTC).date())
    if made:
        log.info("session month partitions created", extra={"months": made})


async def _notices(ctx: ServiceContext) -> None:
    units, now = _units(ctx), datetime.now(UTC)
    async with units.transaction() as (legal, _):
        await preservation.record_ended(legal, now=now)
        await downloads.expire_links(legal)
    async with units.transaction() as (legal, _):
        sent = await notices.send_due(legal, now=now)
    for delayed_by in sent:
        metrics.NOTICES_SENT.labels(delayed_by).inc()


async def _deadlines(ctx: ServiceContext) -> None:
    async with _units(ctx).pool.acquire() as conn:
        await refresh_deadline_gauges(conn, now=datetime.now(UTC), states=STATES)


async def _checkpoints(ctx: ServiceContext) -> None:
    units = _units(ctx)
    try:
        async with units.transaction() as (legal, _):
            checkpoint = await checkpoints.anchor(legal, now=datetime.now(UTC))
    except checkpoints.ChainTamperedError as error:
        metrics.CHECKPOINTS.labels("refused").inc()
        log.error(  # noqa: TRY400 - the reason is the message; no traceback helps here
            "audit checkpoint refused", extra={"reason": str(error)}
        )
        return
    if checkpoint is not None:
        metrics.CHECKPOINTS.labels("signed").inc()
        metrics.ANCHORED_ENTRIES.set(checkpoint.size)


async def _registrations(ctx: ServiceContext) -> None:
    if ctx.pool is None:
        raise RuntimeError("legal's scheduled jobs need the database")
    async with ctx.pool.acquire() as conn:
        changes = await audit_log.registrations(conn)
        named = await audit_log.entries_of(conn, STEPS)
    found = findings(changes, named)
    metrics.UNREGISTERED_CHANGES.set(sum(1 for f in found if f.incident is None))


def _notices_every() -> float:
    return float(os.environ.get("CRIBLE_LEGAL_NOTICES_EVERY_SECONDS", "60"))


PERIODIC = (
    retention_schedule("legal", _retention),
    Periodic("session_months", 3600, _session_months, first_after_seconds=1),
    Periodic("notices", _notices_every, _notices),
    Periodic("deadlines", 15, _deadlines, exclusive=False, first_after_seconds=1),
    Periodic("registrations", 60, _registrations, exclusive=False, first_after_seconds=3),
    Periodic(
        "checkpoints",
        lambda: LegalSettings().checkpoint_every_seconds,
        _checkpoints,
        first_after_seconds=2,
    ),
)
