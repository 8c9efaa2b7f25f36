"""The identity store's retention rules in SQL: what the law says to keep, not a day longer.

Décret n° 2021-1362 (taken by CPP art. 60-1-2 and CPCE art. L34-1): civil identity (the
account, its phone numbers) for 5 years after the account ended; connection data (sessions:
address, port, time) for 1 year after it was observed. The periods are configuration
(``LegalSettings``). An account under a running preservation order (CPP art. 60-2,
Regulation 2023/1543 art. 11) is skipped, and the job says how many rows it kept so.

Sessions are kept in month partitions (``session_months.py``): a month wholly past its year
is dropped whole, its preserved rows moved to the default partition first, and the rows of
the month the cutoff falls in that are past their year are trimmed row by row; the rules
below delete row by row only in the default partition (rows kept by an order, strays) and
in the accounts' tables.

The job runs in the legal service on a schedule (``Periodic``, one process at a time by an
advisory lock) and as ``crible legal retention [--dry-run]`` (the same lock). Counts go to
the audit chain and to metrics; never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from services.legal.adapters.postgres import session_months
from services.legal.adapters.postgres.audit_log import record
from services.legal.core.audit import AuditStep, DetailValue
from services.legal.core.fieldcrypt import KeyRing
from services.legal.core.rules import RetentionPolicy
from shared.db import Connection
from shared.runtime.retention import RetentionRule, RuleOutcome, enforce_rule

#: An account a running preservation order protects (``s`` is the row being considered).
_PRESERVED = """EXISTS (SELECT 1 FROM legal.preservations p
    WHERE p.platform_user_id = {alias}.platform_user_id AND p.lifted_at IS NULL
      AND p.ends_at > :now)"""

SESSIONS_BASIS = "décret n° 2021-1362 art. 1 (connection data: 1 year)"
IDENTITY_BASIS = "décret n° 2021-1362 art. 1 (civil identity: 5 years after the account ends)"
#: How long a month's drop may wait for its lock before it is left for the next run: dropping
#: a month locks ``legal.sessions`` whole, and writers queue behind a waiting lock.
LOCK_TIMEOUT_MS = 500


def rules(policy: RetentionPolicy) -> tuple[RetentionRule, ...]:
    """The identity store's rules under the configured periods."""
    preserved_s, preserved_a = _PRESERVED.format(alias="s"), _PRESERVED.format(alias="a")
    # Row by row only in the default partition: the months go whole (or trimmed, above).
    default = session_months.DEFAULT_PARTITION
    sessions = RetentionRule(
        name="legal.sessions",
        basis=SESSIONS_BASIS,
        period=policy.connection_data,
        due=f"""SELECT row_id AS key FROM {default} s
                WHERE observed_at < :cutoff AND NOT {preserved_s}
                ORDER BY observed_at LIMIT :limit FOR UPDATE OF s SKIP LOCKED""",
        count_due=f"""SELECT count(*) FROM {default} s
                      WHERE observed_at < :cutoff AND NOT {preserved_s}""",
        deletes=(f"DELETE FROM {default} WHERE row_id = ANY($1::text[])",),
        count_kept=f"""SELECT count(*) FROM {default} s
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
        # The account's numbers and any session left go with it (children first), and its
        # data key: what a backup still holds of it can no longer be opened. Its sessions
        # are a year old or more, so only the default partition can still hold any.
        deletes=(
            "DELETE FROM legal.phone_numbers WHERE platform_user_id = ANY($1::text[])",
            f"DELETE FROM {default} WHERE platform_user_id = ANY($1::text[])",
            "DELETE FROM legal.accounts WHERE platform_user_id = ANY($1::text[])",
            "DELETE FROM legal.account_keys WHERE platform_user_id = ANY($1::text[])",
        ),
        count_kept=f"""SELECT count(*) FROM legal.accounts a
                       WHERE closed_at < :cutoff AND {preserved_a}""",
    )
    return (sessions, accounts)


class PostgresRetention:
    """``RetentionStore``: the rules enforced batch by batch, each batch its own transaction."""

    def __init__(self, conn: Connection, retention: RetentionPolicy, ring: KeyRing) -> None:
        self._conn = conn
        self._retention = retention
        self._ring = ring
        #: The session months' part of the last run (its detach and drop times, for a bench).
        self.months: session_months.MonthsOutcome | None = None

    async def enforce(self, *, now: datetime, dry_run: bool, batch: int) -> list[RuleOutcome]:
        """Drop the months past their year, trim the next, then apply every rule at ``now``.

        With ``dry_run``, count what is due instead.
        """
        months = await session_months.drop_due(
            self._conn,
            cutoff=now - self._retention.connection_data,
            now=now,
            dry_run=dry_run,
            lock_timeout_ms=LOCK_TIMEOUT_MS,
            batch=batch,
        )
        self.months = months
        outcomes = [
            await enforce_rule(self._conn, rule, now=now, dry_run=dry_run, batch=batch)
            for rule in rules(self._retention)
        ]
        sessions = outcomes[0]
        outcomes[0] = replace(
            sessions,
            due=sessions.due + months.rows,
            # Once dropped, a month's preserved rows are in the default partition, counted
            # there; those of the trimmed month are still in it.
            kept=sessions.kept + months.held_in_place + (months.held if dry_run else 0),
            seconds=sessions.seconds + months.seconds,
            partitions=months.months,
            estimated=months.estimated,
        )
        return outcomes

    async def record_run(self, *, actor: str, details: Mapping[str, DetailValue]) -> None:
        """Put the run's counts on the audit chain, in a transaction of its own."""
        async with self._conn.transaction():
            await record(
                self._conn, AuditStep.RETENTION_RUN, ring=self._ring, actor=actor, details=details
            )
