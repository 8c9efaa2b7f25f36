"""Ingest's use cases: reports folded into cases, and final decisions closing them.

Each takes the storage port its service binds (``service.py``), inside the runtime's
transaction; none builds an adapter or sees a connection.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from services.ingest import events, metrics
from services.ingest.core import Ingestion, case_ids_of, ingest_reports
from services.ingest.ports import CaseStorePort
from shared.events import ReportSubmitted
from shared.events.decisions import ReviewDecision
from shared.runtime import Handled
from shared.runtime.contract import Outbound
from shared.topics import CASES, REPORTS_ACCEPTED


async def ingest_batch(
    reports: Sequence[ReportSubmitted], *, bodies: Mapping[str, bytes], store: CaseStorePort
) -> Handled:
    """Lock the cases concerned, load what is known, fold, save; return the events."""
    case_ids = case_ids_of(reports)
    await store.lock_cases(set(case_ids))
    known = await store.load(reports, case_ids)
    ingestion = ingest_reports(reports, case_ids=case_ids, known=known)
    now = datetime.now(UTC)
    await store.save(ingestion, accepted_at=now, bodies=bodies)
    outbound = [
        Outbound(CASES.name, c.state.case_id.encode(), events.case_event(c, bodies=bodies, now=now))
        for c in ingestion.changes
    ]
    subject_keys = {c.state.case_id: c.state.subject.key().encode() for c in ingestion.changes}
    outbound += [
        Outbound(
            REPORTS_ACCEPTED.name,
            subject_keys[a.case_id],
            events.report_accepted(a, body=bodies[a.report.report_id], now=now),
        )
        for a in ingestion.accepted
    ]
    return Handled(outbound, after_commit=lambda: _count(ingestion))


def _count(ingestion: Ingestion) -> None:
    for (outcome, category), n in Counter(
        ("repeat" if a.repeat else "accepted", a.report.category) for a in ingestion.accepted
    ).items():
        metrics.REPORTS.labels(outcome, category.value).inc(n)
    if ingestion.duplicates:
        metrics.REPORTS.labels("duplicate", "all").inc(ingestion.duplicates)
    for (event_type, category), n in Counter(
        (c.event_type, c.state.category) for c in ingestion.changes
    ).items():
        metrics.CASES.labels(event_type.value, category.value).inc(n)


async def close_decided(decisions: Sequence[ReviewDecision], *, store: CaseStorePort) -> Handled:
    """Close the case revisions that final decisions decided; the next report reopens them.

    Idempotent: a revision already closed, or already reopened as a newer one, is left alone.
    """
    final = [d for d in decisions if d.final]
    await store.lock_cases({str(d.case_id) for d in final})
    closed = 0
    for decision in final:
        closed += await store.close_case(str(decision.case_id), revision=decision.case_revision)

    def count() -> None:
        metrics.CASES_CLOSED.inc(closed)

    return Handled((), after_commit=count)
