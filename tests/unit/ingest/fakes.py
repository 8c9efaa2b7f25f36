"""In-memory implementations of ingest's ports, for its handlers' unit tests."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from services.ingest.core import CaseId, CaseState, Ingestion, Known, close_case
from shared.events import ReportSubmitted


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
