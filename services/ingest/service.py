"""The ingest service as the runtime runs it: ``crible run ingest``.

This is where adapters meet handlers: each batch gets the PostgreSQL case store of its
transaction's connection, and the handler its plain values.
"""

from collections.abc import Sequence

from services.ingest import events
from services.ingest.adapters.postgres.cases import PostgresCaseStore
from services.ingest.adapters.postgres.retention import RETENTION
from services.ingest.handler import close_decided, ingest_batch
from shared.db import Connection
from shared.events import ReportSubmitted
from shared.events.decisions import ReviewDecision
from shared.runtime import ConsumerSpec, Handled, Inbound, Service
from shared.topics import CASES, REPORTS_ACCEPTED, REPORTS_SUBMITTED, REVIEW_DECISIONS


async def handle_reports(batch: Sequence[Inbound[ReportSubmitted]], conn: Connection) -> Handled:
    """Fold a batch of reports into cases, inside the runtime's transaction."""
    return await ingest_batch(
        [m.event for m in batch],
        bodies={m.event.report_id: events.compact_json(m.event, m.raw) for m in batch},
        store=PostgresCaseStore(conn),
    )


async def handle_decisions(batch: Sequence[Inbound[ReviewDecision]], conn: Connection) -> Handled:
    """Close the case revisions final decisions decided, inside the runtime's transaction."""
    return await close_decided([m.event for m in batch], store=PostgresCaseStore(conn))


REPORTS: ConsumerSpec[ReportSubmitted] = ConsumerSpec(
    models={REPORTS_SUBMITTED: ReportSubmitted},
    handler=handle_reports,
    produces=(CASES, REPORTS_ACCEPTED),
)

#: Final review decisions close their case revision (dispatch publishes them).
DECISIONS: ConsumerSpec[ReviewDecision] = ConsumerSpec(
    models={REVIEW_DECISIONS: ReviewDecision}, handler=handle_decisions, name="decisions"
)

SPEC = Service(name="ingest", consumers=(REPORTS, DECISIONS), periodic=(RETENTION,))
