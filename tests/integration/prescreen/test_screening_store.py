"""Prescreen's screening tables as the handler writes them, a batch per statement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.prescreen.adapters.postgres.screening import PostgresScreeningStore
from services.prescreen.core.screening_state import CaseScreening
from services.prescreen.ports import ShadowRow, VerdictRow

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)


def _state(
    case_id: uuid.UUID, revision: int, report_count: int, verdict: uuid.UUID
) -> CaseScreening:
    return CaseScreening(
        case_id=case_id,
        revision=revision,
        report_count=report_count,
        case_event_id=uuid.uuid4(),
        verdict_id=verdict,
        fingerprint=f"fp-{revision}-{report_count}",
        screened_at=NOW + timedelta(seconds=revision),
    )


def _verdict(case_id: uuid.UUID, number: int) -> VerdictRow:
    return VerdictRow(
        verdict_id=uuid.uuid4(),
        case_id=case_id,
        case_revision=1,
        case_event_id=uuid.uuid4(),
        route="human_review" if number % 2 else "dismiss",
        screened_category="fraud",
        severity="high",
        priority_hint=number,
        policy_name="live",
        policy_version=3,
        qa_sample=number == 2,
        screened_at=NOW,
        body=f'{{"n": {number}, "text": "l\'été à Paris"}}',
    )


def _shadow(verdict: VerdictRow) -> ShadowRow:
    return ShadowRow(
        verdict_id=verdict.verdict_id,
        policy_name="shadow",
        policy_version=4,
        route="dismiss",
        screened_category="spam",
        severity="low",
        priority_hint=verdict.priority_hint + 1,
        agrees=verdict.route == "dismiss",
        decided_at=NOW,
    )


async def test_a_batch_is_stored_as_given_once_and_states_only_move_forward(
    db: asyncpg.Connection,
) -> None:
    cases = [uuid.uuid4() for _ in range(5)]
    verdicts = [_verdict(case, n) for n, case in enumerate(cases)]
    shadows = [_shadow(v) for v in verdicts[:3]]
    states = [_state(c, 2, 1, v.verdict_id) for c, v in zip(cases, verdicts, strict=True)]
    async with db.transaction():
        await PostgresScreeningStore(db).save(states, verdicts, shadows)
    async with db.transaction():  # a redelivered batch changes nothing
        await PostgresScreeningStore(db).save(states, verdicts, shadows)

    rows = await db.fetch("SELECT * FROM prescreen.verdicts ORDER BY priority_hint")
    assert [VerdictRow(**dict(r)) for r in rows] == verdicts
    rows = await db.fetch("SELECT * FROM prescreen.shadow_decisions ORDER BY priority_hint")
    assert [ShadowRow(**dict(r)) for r in rows] == shadows

    newer, older = _state(cases[0], 2, 3, uuid.uuid4()), _state(cases[1], 1, 9, uuid.uuid4())
    async with db.transaction():
        store = PostgresScreeningStore(db)
        assert await store.lock_and_load(cases) == {s.case_id: s for s in states}
        await store.save([newer, older], [], [])
    loaded = await PostgresScreeningStore(db).lock_and_load(cases)
    assert loaded == {s.case_id: s for s in [newer, *states[1:]]}
