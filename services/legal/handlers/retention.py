"""The identity store's retention job: what the law says to keep, and not a day longer.

Décret n° 2021-1362 (taken by CPP art. 60-1-2 and CPCE art. L34-1): civil identity (the
account, its phone numbers) for 5 years after the account ended; connection data (sessions)
for 1 year after it was observed (the rules themselves: ``adapters/postgres/retention.py``).
An account under a running preservation order is skipped, and the job says how many rows it
kept so. Counts go to the audit chain and to metrics; never a value.
"""

from __future__ import annotations

from datetime import datetime

from services.legal import metrics
from services.legal.core.audit import DetailValue
from services.legal.ports import RetentionStore
from shared.runtime.retention import RuleOutcome, count_deleted


async def run_retention(
    store: RetentionStore, *, now: datetime, dry_run: bool = False, batch: int = 5000,
    actor: str = "legal",
) -> list[RuleOutcome]:  # fmt: skip
    """Apply every rule at ``now``; record the counts on the audit chain and in metrics."""
    outcomes = await store.enforce(now=now, dry_run=dry_run, batch=batch)
    details: dict[str, DetailValue] = {"dry_run": dry_run}
    for outcome in outcomes:
        table = outcome.name.removeprefix("legal.")
        details[f"{table}_due" if dry_run else f"{table}_deleted"] = outcome.due
        details[f"{table}_kept_preserved"] = outcome.kept
        if outcome.partitions:  # months dropped whole; their rows as the statistics count them
            details[f"{table}_partitions_due" if dry_run else f"{table}_partitions_dropped"] = (
                outcome.partitions
            )
            details[f"{table}_deleted_estimated"] = outcome.estimated
    await store.record_run(actor=actor, details=details)
    if not dry_run:
        count_deleted("legal", outcomes)
        for outcome in outcomes:
            metrics.RETENTION_KEPT_PRESERVED.labels(outcome.name).set(outcome.kept)
    return outcomes
