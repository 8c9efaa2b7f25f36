"""The ingest service as the runtime runs it: ``crible run ingest``."""

from services.ingest.handler import handle_reports
from shared.events import ReportSubmitted
from shared.runtime import ConsumerSpec
from shared.topics import CASES, REPORTS_ACCEPTED, REPORTS_SUBMITTED

SPEC: ConsumerSpec[ReportSubmitted] = ConsumerSpec(
    service="ingest",
    models={REPORTS_SUBMITTED: ReportSubmitted},
    handler=handle_reports,
    produces=(CASES, REPORTS_ACCEPTED),
)
