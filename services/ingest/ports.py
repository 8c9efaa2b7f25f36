"""What the ingestion handler needs from storage, as an interface."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from services.ingest.core import CaseId, Ingestion, Known
from shared.events import ReportSubmitted


class CaseStorePort(Protocol):
    """Reports, cases and counted reporters, inside one transaction."""

    async def lock_cases(self, case_ids: Collection[CaseId]) -> None:
        """Hold the cases until the transaction ends, so concurrent workers serialise."""

    async def load(self, reports: Sequence[ReportSubmitted], case_ids: Sequence[CaseId]) -> Known:
        """What is already stored about these reports and their cases (one per report)."""
        ...

    async def save(
        self, ingestion: Ingestion, *, accepted_at: datetime, bodies: Mapping[str, bytes]
    ) -> None:
        """Write the new reports (``bodies``: report id to compact JSON), reporters, cases."""

    async def close_case(self, case_id: CaseId, *, revision: int) -> bool:
        """Mark a case revision decided; the next report reopens it. False if not current."""
        ...
