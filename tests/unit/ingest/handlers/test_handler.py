"""Ingest's handlers through their storage port, against an in-memory fake store."""

from __future__ import annotations

import uuid

import orjson

from services.ingest.core import CaseId, CaseStatus
from services.ingest.handler import close_decided, ingest_batch
from shared.events import Category, ReportSubmitted
from shared.events.decisions import DecisionOutcome, ReviewDecision
from shared.topics import CASES, REPORTS_ACCEPTED
from tests.unit.ingest.core.test_core import SPAM_MESSAGE, T0, report
from tests.unit.ingest.fakes import FakeCaseStore


def bodies_of(reports: list[ReportSubmitted]) -> dict[str, bytes]:
    return {r.report_id: r.model_dump_json().encode() for r in reports}


async def test_handler_locks_the_cases_and_publishes_case_and_accepted_events() -> None:
    store = FakeCaseStore()
    reports = [report("r1", reporter="u1"), report("r2", reporter="u2")]

    handled = await ingest_batch(reports, bodies=bodies_of(reports), store=store)

    case_id = next(iter(store.cases))
    assert store.locked == [{case_id}]
    topics = [o.topic for o in handled.events]
    assert topics == [CASES.name, REPORTS_ACCEPTED.name, REPORTS_ACCEPTED.name]
    assert handled.events[0].key == case_id.encode()
    assert orjson.loads(handled.events[0].value)["report_count"] == 2
    assert handled.events[1].key == b"message:c1:m1"


async def test_replayed_batch_changes_nothing_and_publishes_nothing() -> None:
    store = FakeCaseStore()
    reports = [report("r1"), report("r2", reporter="u2")]
    await ingest_batch(reports, bodies=bodies_of(reports), store=store)
    before = dict(store.cases)

    handled = await ingest_batch(reports, bodies=bodies_of(reports), store=store)

    assert handled.events == []
    assert store.cases == before


async def test_closed_case_reopens_through_the_port() -> None:
    store = FakeCaseStore()
    first = [report("r1")]
    await ingest_batch(first, bodies=bodies_of(first), store=store)
    case_id = next(iter(store.cases))
    assert await store.close_case(case_id, revision=1)

    later = [report("r2")]
    handled = await ingest_batch(later, bodies=bodies_of(later), store=store)

    event = orjson.loads(handled.events[0].value)
    assert (event["event_type"], event["revision"]) == ("case.reopened", 2)


def decision(case_id: CaseId, *, revision: int, final: bool = True) -> ReviewDecision:
    return ReviewDecision(
        schema_version=1,
        decision_id=uuid.uuid4(),
        case_id=uuid.UUID(case_id),
        case_revision=revision,
        subject=SPAM_MESSAGE,
        category=Category.SPAM,
        outcome=DecisionOutcome.NO_VIOLATION,
        policy_reason="tos.spam.1",
        explanation="",
        reviewer_id="rev1",
        final=final,
        decided_at=T0,
    )


async def test_a_final_decision_closes_its_revision_and_the_next_report_reopens_it() -> None:
    store = FakeCaseStore()
    first = [report("r1")]
    await ingest_batch(first, bodies=bodies_of(first), store=store)
    case_id = next(iter(store.cases))

    await close_decided([decision(case_id, revision=1)], store=store)

    assert store.locked[-1] == {case_id}
    assert store.cases[case_id].status is CaseStatus.CLOSED
    later = [report("r2")]
    handled = await ingest_batch(later, bodies=bodies_of(later), store=store)
    assert orjson.loads(handled.events[0].value)["event_type"] == "case.reopened"


async def test_a_first_of_two_reviews_or_a_stale_revision_leaves_the_case_open() -> None:
    store = FakeCaseStore()
    first = [report("r1")]
    await ingest_batch(first, bodies=bodies_of(first), store=store)
    case_id = next(iter(store.cases))

    await close_decided(
        [decision(case_id, revision=1, final=False), decision(case_id, revision=7)],
        store=store,
    )

    assert store.cases[case_id].status is CaseStatus.OPEN
