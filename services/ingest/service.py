"""The ingest service as the runtime runs it: ``crible run ingest``."""

from services.ingest.handler import handle_reports
from shared.events import ReportSubmitted
from shared.runtime import ConsumerSpec, Service
from shared.topics import CASES, REPORTS_ACCEPTED, REPORTS_SUBMITTED

REPORTS: ConsumerSpec[ReportSubmitted] = ConsumerSpec(
    models={REPORTS_SUBMITTED: ReportSubmitted},
    handler=handle_reports,
    produces=(CASES, REPORTS_ACCEPTED),
)

SPEC = Service(name="ingest", consumers=(REPORTS,))
