from __future__ import annotations

from datetime import UTC, datetime

from services.legal.handlers.retention import run_retention
from shared.runtime.retention import RuleOutcome
from tests.unit.legal.fakes import FakeAudit, FakeKeys, FakeRetention

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


async def test_a_run_puts_its_counts_and_the_partitions_dropped_on_the_audit_chain() -> None:
    audit = FakeAudit(FakeKeys().audit_ring())
    store = FakeRetention(
        [
            RuleOutcome("legal.sessions", 253_000, 4, 0.2, partitions=1, estimated=True),
            RuleOutcome("legal.accounts", 2, 0, 0.1),
        ],
        audit,
    )
    await run_retention(store, now=NOW)
    assert store.asked == [(NOW, False, 5000)]
    assert dict(audit.chain[-1].details) == {
        "dry_run": False,
        "sessions_deleted": 253_000,
        "sessions_kept_preserved": 4,
        "sessions_partitions_dropped": 1,
        "sessions_deleted_estimated": True,
        "accounts_deleted": 2,
        "accounts_kept_preserved": 0,
    }


async def test_a_dry_run_says_what_is_due_and_records_it_so() -> None:
    audit = FakeAudit(FakeKeys().audit_ring())
    store = FakeRetention([RuleOutcome("legal.sessions", 3, 1, 0.0, partitions=2)], audit)
    await run_retention(store, now=NOW, dry_run=True)
    assert dict(audit.chain[-1].details) == {
        "dry_run": True,
        "sessions_due": 3,
        "sessions_kept_preserved": 1,
        "sessions_partitions_due": 2,
        "sessions_deleted_estimated": False,
    }
