"""The ingest service as the runtime runs it: ``crible run ingest``.

This is where adapters meet handlers: each consumer names the PostgreSQL case store the
runtime binds to its batch's transaction (``ports=``), and the handler gets it with plain values.
"""

from collections.abc import Sequence

from services.ingest import events
from services.ingest.adapters.postgres.cases import PostgresCaseStore
from services.ingest.adapters.postgres.retention import RETENTION
from services.ingest.handler import close_decided, ingest_batch
from services.ingest.ports import CaseStorePort
from shared.events import ReportSubmitted
from shared.events.decisions import ReviewDecision
from shared.runtime import ConsumerSpec, Handled, Inbound, Service
from shared.topics import CASES, REPORTS_ACCEPTED, REPORTS_SUBMITTED, REVIEW_DECISIONS


async def handle_reports(
    batch: Sequence[Inbound[ReportSubmitted]], store: CaseStorePort
) -> Handled:
    """Fold a batch of reports into cases, inside the runtime's transaction."""
    return await ingest_batch(
        [m.event for m in batch],
        bodies={m.event.report_id: events.compact_json(m.event, m.raw) for m in batch},
        store=store,
    )


async def handle_decisions(
    batch: Sequence[Inbound[ReviewDecision]], store: CaseStorePort
) -> Handled:
    """Close the case revisions final decisions decided, inside the runtime's transaction."""
    return await close_decided([m.event for m in batch], store=store)


REPORTS: ConsumerSpec[ReportSubmitted, CaseStorePort] = ConsumerSpec(
    models={REPORTS_SUBMITTED: ReportSubmitted},
    handler=handle_reports,
    ports=PostgresCaseStore,
    produces=(CASES, REPORTS_ACCEPTED),
)

#: Final review decisions close their case revision (dispatch publishes them).
DECISIONS: ConsumerSpec[ReviewDecision, CaseStorePort] = ConsumerSpec(
    models={REVIEW_DECISIONS: ReviewDecision},
    handler=handle_decisions,
    ports=PostgresCaseStore,
    name="decisions",
)

SPEC = Service(name="ingest", consumers=(REPORTS, DECISIONS), periodic=(RETENTION,))
