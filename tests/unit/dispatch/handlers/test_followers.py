"""Reports, surges, reporters' trust and re-ranking against ``Fake...`` ports."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from services.dispatch.core.reporters import ReportOutcome
from services.dispatch.handlers.followers import store_reports, store_surges, weigh_reporters
from services.dispatch.handlers.ranking import rerank
from services.dispatch.ports import WaitingCase
from shared.events.decisions import ReviewDecision
from shared.events.screening import Severity
from shared.events.surge import SurgeSignal
from tests.unit.dispatch.fakes import FakeFollowerStore
from tests.unit.dispatch.handlers.builders import SUBJECT, report

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def waiting(
    case_id: uuid.UUID, opened: datetime, subject_key: str = "message:c1:m1"
) -> WaitingCase:
    return WaitingCase(
        key=(case_id, 1),
        subject_key=subject_key,
        severity=Severity.MEDIUM,
        confidence=0.7,
        report_count=1,
        reporter_count=1,
        opened_at=opened,
    )


def decision(case_id: uuid.UUID, outcome: str, decision_id: uuid.UUID) -> ReviewDecision:
    return ReviewDecision.model_validate_json(
        json.dumps(
            {
                "schema_version": 1,
                "decision_id": str(decision_id),
                "case_id": str(case_id),
                "case_revision": 1,
                "subject": SUBJECT,
                "category": "hate_speech",
                "outcome": outcome,
                "policy_reason": "nv.no_breach",
                "explanation": "",
                "reviewer_id": "alice",
                "final": True,
                "decided_at": NOW.isoformat(),
            }
        )
    )


def signal(kind: str, count: int) -> SurgeSignal:
    start = NOW - timedelta(minutes=10)
    return SurgeSignal.model_validate_json(
        json.dumps(
            {
                "schema_version": 1,
                "signal_id": str(uuid.uuid4()),
                "subject": SUBJECT,
                "category": "hate_speech",
                "kind": kind,
                "window_start": start.isoformat(),
                "window_end": NOW.isoformat(),
                "count": count,
                "distinct_reporters": count,
                "emitted_at": NOW.isoformat(),
            }
        )
    )


async def test_reports_are_kept_once_reach_the_evidence_and_the_counts_of_the_case() -> None:
    store, case_id = FakeFollowerStore(), uuid.uuid4()
    store.waiting_cases[case_id, 1] = waiting(case_id, NOW - timedelta(hours=1))
    first = report(case_id, "p1", NOW, report_id="r1")
    await store_reports(
        [first, first, report(case_id, "p2", NOW), report(case_id, "p2", NOW)], store, NOW
    )
    assert len(store.reports[case_id, 1]) == 3
    assert store.refreshed == [(case_id, 1)]
    ranked = store.ranks[case_id, 1]
    assert (ranked.facts.reports, ranked.facts.reporters) == (3, 2)
    # The case keeps its age: only its head start moved.
    assert ranked.rank_at < NOW - timedelta(hours=1)


async def test_a_no_violation_costs_each_reporter_trust_once_whatever_the_redeliveries() -> None:
    store, case_id, decision_id = FakeFollowerStore(), uuid.uuid4(), uuid.uuid4()
    store.reports[case_id, 1] = [report(case_id, r, NOW) for r in ("b1", "b2", "b2")]
    moved = await weigh_reporters([decision(case_id, "no_violation", decision_id)], store)
    assert moved == [ReportOutcome.NO_VIOLATION] * 2
    weights = {r: w.weight for r, w in store.stored_weights.items()}
    assert set(weights) == {"b1", "b2"}
    assert all(w < 1.0 for w in weights.values())
    assert await weigh_reporters([decision(case_id, "no_violation", decision_id)], store) == []
    assert {r: w.weight for r, w in store.stored_weights.items()} == weights
    assert store.counted == {"b1": (0, 1), "b2": (0, 1)}


async def test_a_viral_surge_raises_a_case_and_a_coordinated_one_holds_it_back() -> None:
    plain, viral, coordinated = FakeFollowerStore(), FakeFollowerStore(), FakeFollowerStore()
    case_id = uuid.uuid4()
    for store in (plain, viral, coordinated):
        store.waiting_cases[case_id, 1] = waiting(case_id, NOW)
        store.reports[case_id, 1] = [report(case_id, f"p{i}", NOW) for i in range(5)]
    await rerank(plain, [(case_id, 1)], NOW)
    kinds = await store_surges([signal("viral", 400)], viral, NOW)
    await store_surges([signal("coordinated", 400)], coordinated, NOW)
    assert [k.value for k in kinds] == ["viral"]
    assert viral.ranks[case_id, 1].rank_at < plain.ranks[case_id, 1].rank_at
    assert coordinated.ranks[case_id, 1].rank_at > plain.ranks[case_id, 1].rank_at


async def test_re_ranking_only_touches_waiting_cases_and_keeps_their_age() -> None:
    store, old, gone = FakeFollowerStore(), uuid.uuid4(), uuid.uuid4()
    store.waiting_cases[old, 1] = waiting(old, NOW - timedelta(days=3))
    assert await rerank(store, [(old, 1), (gone, 1)], NOW) == 1
    assert set(store.ranks) == {(old, 1)}
    assert store.ranks[old, 1].rank_at <= NOW - timedelta(days=3)
