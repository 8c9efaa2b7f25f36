"""The identity store's retention: what the law says to keep, and not a day longer.

Décret n° 2021-1362 (taken by CPP art. 60-1-2 and CPCE art. L34-1): civil identity (the
account, its phone numbers) for 5 years after the account ended; connection data (sessions:
address, port, time) for 1 year after it was observed. The periods are configuration
(``LegalSettings``). An account under a running preservation order (CPP art. 60-2,
Regulation 2023/1543 art. 11) is skipped, and the job says how many rows it kept so.

The job runs in the legal service on a schedule (``Periodic``, one process at a time by an
advisory lock) and as ``crible legal retention [--dry-run]`` (the same lock). Counts go to
the audit chain and to metrics; never a value.
"""

from __future__ import annotations

from datetime import datetime

from services.legal import metrics
from services.legal.adapters.postgres import audit_log as auditlog
from services.legal.config import LegalSettings
from services.legal.core.audit import AuditStep
from shared.db import Connection
from shared.retention import RetentionRule, RuleOutcome, count_deleted, enforce_rule

#: An account a running preservation order protects (``s`` is the row being considered).
_PRESERVED = """EXISTS (SELECT 1 FROM legal.preservations p
    WHERE p.platform_user_id = {alias}.platform_user_id AND p.lifted_at IS NULL
      AND p.ends_at > :now)"""

SESSIONS_BASIS = "décret n° 2021-1362 art. 1 (connection data: 1 year)"
IDENTITY_BASIS = "décret n° 2021-1362 art. 1 (civil identity: 5 years after the account ends)"


def rules(settings: LegalSettings) -> tuple[RetentionRule, ...]:
    """The identity store's rules under the configured periods."""
    policy = settings.retention()
    preserved_s, preserved_a = _PRESERVED.format(alias="s"), _PRESERVED.format(alias="a")
    sessions = RetentionRule(
        name="legal.sessions",
        basis=SESSIONS_BASIS,
        period=policy.connection_data,
        due=f"""SELECT row_id AS key FROM legal.sessions s
                WHERE observed_at < :cutoff AND NOT {preserved_s}
                ORDER BY observed_at LIMIT :limit FOR UPDATE OF s SKIP LOCKED""",
        count_due=f"""SELECT count(*) FROM legal.sessions s
                      WHERE observed_at < :cutoff AND NOT {preserved_s}""",
        deletes=("DELETE FROM legal.sessions WHERE row_id = ANY($1::text[])",),
        count_kept=f"""SELECT count(*) FROM legal.sessions s
                       WHERE observed_at < :cutoff AND {preserved_s}""",
    )
    accounts = RetentionRule(
        name="legal.accounts",
        basis=IDENTITY_BASIS,
        period=policy.civil_identity_after_account_end,
        due=f"""SELECT platform_user_id AS key FROM legal.accounts a
                WHERE closed_at < :cutoff AND NOT {preserved_a}
                ORDER BY closed_at LIMIT :limit FOR UPDATE OF a SKIP LOCKED""",
        count_due=f"""SELECT count(*) FROM legal.accounts a
                      WHERE closed_at < :cutoff AND NOT {preserved_a}""",
        # The account's numbers and any session left go with it (children first).
        deletes=(
            "DELETE FROM legal.phone_numbers WHERE platform_user_id = ANY($1::text[])",
            "DELETE FROM legal.sessions WHERE platform_user_id = ANY($1::text[])",
            "DELETE FROM legal.accounts WHERE platform_user_id = ANY($1::text[])",
        ),
        count_kept=f"""SELECT count(*) FROM legal.accounts a
                       WHERE closed_at < :cutoff AND {preserved_a}""",
    )
    return (sessions, accounts)


async def run_retention(
    conn: Connection,
    settings: LegalSettings,
    *,
    now: datetime,
    dry_run: bool = False,
    batch: int = 5000,
    actor: str = "legal",
) -> list[RuleOutcome]:
    """Apply every rule at ``now``; record the counts on the audit chain and in metrics."""
    outcomes = [
        await enforce_rule(conn, rule, now=now, dry_run=dry_run, batch=batch)
        for rule in rules(settings)
    ]
    details: dict[str, str | int | bool | None] = {"dry_run": dry_run}
    for outcome in outcomes:
        table = outcome.name.removeprefix("legal.")
        details[f"{table}_due" if dry_run else f"{table}_deleted"] = outcome.due
        details[f"{table}_kept_preserved"] = outcome.kept
    async with conn.transaction():
        await auditlog.record(conn, AuditStep.RETENTION_RUN, actor=actor, details=details)
    if not dry_run:
        count_deleted("legal", outcomes)
        for outcome in outcomes:
            metrics.RETENTION_KEPT_PRESERVED.labels(outcome.name).set(outcome.kept)
    return outcomes
