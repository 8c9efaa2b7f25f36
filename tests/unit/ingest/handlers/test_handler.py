"""The ingest handler's wiring through its storage port, with an in-memory fake store."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

import orjson

from services.ingest.core import CaseId, CaseState, Ingestion, Known, close_case
from services.ingest.handler import ingest_batch
from shared.events import ReportSubmitted
from shared.topics import CASES, REPORTS_ACCEPTED
from tests.unit.ingest.core.test_core import report


class FakeCaseStore:
    """Implements CaseStorePort with dicts; records what the handler asked for."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.reporters: set[tuple[CaseId, int, str]] = set()
        self.cases: dict[CaseId, CaseState] = {}
        self.locked: list[set[CaseId]] = []

    async def lock_cases(self, case_ids: Collection[CaseId]) -> None:
        self.locked.append(set(case_ids))

    async def load(self, reports: Sequence[ReportSubmitted], case_ids: Sequence[CaseId]) -> Known:
        return Known(
            report_ids={r.report_id for r in reports} & set(self.bodies),
            cases={c: self.cases[c] for c in case_ids if c in self.cases},
            reporters=set(self.reporters),
        )

    async def save(
        self, ingestion: Ingestion, *, accepted_at: datetime, bodies: Mapping[str, bytes]
    ) -> None:
        for accepted in ingestion.accepted:
            self.bodies[accepted.report.report_id] = bodies[accepted.report.report_id]
            self.reporters.add(
                (accepted.case_id, accepted.case_revision, accepted.report.reporter_id)
            )
        for change in ingestion.changes:
            self.cases[change.state.case_id] = change.state

    async def close_case(self, case_id: CaseId, *, revision: int) -> bool:
        state = self.cases.get(case_id)
        if state is None or state.revision != revision:
            return False
        self.cases[case_id] = close_case(state)
        return True


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
