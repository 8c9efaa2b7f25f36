"""Submitting statements of reasons against ``Fake...`` ports."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.dispatch.handlers.statement_events import issued
from services.dispatch.handlers.statements import SubmissionPendingError, submit_statements
from services.dispatch.ports import SubmitResult, SubmitStatus
from shared.events.decisions import StatementIssued
from tests.unit.dispatch.fakes import FakeStatementLedger, FakeSubmitter

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def statement() -> StatementIssued:
    decision_id = uuid.uuid4()
    return issued({"puid": f"crible-{decision_id}"}, decision_id, uuid.uuid4(), NOW)


async def test_settled_statements_are_not_sent_again_and_fates_are_recorded() -> None:
    old, new, refused = statement(), statement(), statement()
    ledger = FakeStatementLedger({old.puid: "submitted"})
    server = FakeSubmitter(
        {refused.puid: SubmitResult(refused.puid, SubmitStatus.REJECTED, "category: invalid")}
    )
    done = await submit_statements([old, new, refused], ledger, server)
    assert server.sent == [[new.puid, refused.puid]]
    assert ledger.status == {old.puid: "submitted", new.puid: "submitted", refused.puid: "rejected"}
    assert done.refused == [(2, "Transparency Database refused the statement: category: invalid")]
    assert dict(done.counts) == {"submitted": 1, "rejected": 1}
    assert (await submit_statements([old, new], ledger, server)).counts == {}


async def test_a_statement_not_stored_for_now_records_nothing_and_retries_the_batch() -> None:
    one, other = statement(), statement()
    ledger = FakeStatementLedger()
    server = FakeSubmitter({other.puid: SubmitResult(other.puid, SubmitStatus.FAILED, "HTTP 429")})
    with pytest.raises(SubmissionPendingError, match="HTTP 429"):
        await submit_statements([one, other], ledger, server)
    assert ledger.status == {}
