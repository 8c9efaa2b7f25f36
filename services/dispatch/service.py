"""The dispatch service as the runtime runs it: ``crible run dispatch``.

Consumers, each its own group so that each scales on its own:

- ``main``: screening verdicts into the review queue, automatic enforcement of ``act_now``;
- ``reports``: the reports of each case (what reviewers read; who reported);
- ``surges``: surge signals re-rank the cases of their subject (works without the topic's
  producer: no signal, no change);
- ``outcomes``: final decisions move the trust weights of the reporters of their case;
- ``statements``: submission of statements of reasons to the DSA Transparency Database,
  only when ``CRIBLE_DISPATCH_SOR_URL`` and ``_TOKEN`` are set.

Beside them, the reviewer HTTP API and a task keeping the queue's gauges current.
"""

from services.dispatch.adapters.http.api import build_app
from services.dispatch.adapters.postgres.retention import RETENTION
from services.dispatch.handlers.followers import store_reports, store_surges, weigh_reporters
from services.dispatch.handlers.intake import Intake
from services.dispatch.handlers.statements import STATEMENTS, close_submitter
from services.dispatch.metrics import watch_queue
from shared.events.decisions import ReviewDecision
from shared.events.reports import ReportAccepted
from shared.events.screening import ScreeningVerdict
from shared.events.surge import SurgeSignal
from shared.runtime import ConsumerSpec, Service, ServiceContext
from shared.topics import (
    ENFORCEMENT_ACTIONS,
    REPORTS_ACCEPTED,
    REVIEW_DECISIONS,
    SCREENING_VERDICTS,
    STATEMENTS_OF_REASONS,
    SURGE_SIGNALS,
)

VERDICTS: ConsumerSpec[ScreeningVerdict] = ConsumerSpec(
    models={SCREENING_VERDICTS: ScreeningVerdict},
    handler=Intake(),
    produces=(ENFORCEMENT_ACTIONS, STATEMENTS_OF_REASONS),
)
REPORTS: ConsumerSpec[ReportAccepted] = ConsumerSpec(
    models={REPORTS_ACCEPTED: ReportAccepted}, handler=store_reports, name="reports"
)
SURGES: ConsumerSpec[SurgeSignal] = ConsumerSpec(
    models={SURGE_SIGNALS: SurgeSignal}, handler=store_surges, name="surges"
)
OUTCOMES: ConsumerSpec[ReviewDecision] = ConsumerSpec(
    models={REVIEW_DECISIONS: ReviewDecision}, handler=weigh_reporters, name="outcomes"
)


async def _watch(ctx: ServiceContext) -> None:
    """Keep the queue's gauges (depth, oldest case, SLA breaches) current."""
    if ctx.pool is not None:
        await watch_queue(ctx.pool, ctx.stop)


SPEC = Service(
    name="dispatch",
    consumers=(VERDICTS, REPORTS, SURGES, OUTCOMES, STATEMENTS),
    on_stop=(close_submitter,),
    http_app=build_app,
    main=_watch,
    periodic=(RETENTION,),
)
