"""The ingest service as the runtime runs it: ``crible run ingest``."""

from services.ingest.adapters.postgres.retention import RETENTION
from services.ingest.handler import handle_decisions, handle_reports
from shared.events import ReportSubmitted
from shared.events.decisions import ReviewDecision
from shared.runtime import ConsumerSpec, Service
from shared.topics import CASES, REPORTS_ACCEPTED, REPORTS_SUBMITTED, REVIEW_DECISIONS

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
