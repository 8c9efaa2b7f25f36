"""The dispatch service as the runtime runs it: ``crible run dispatch``.

So far: verdicts into the review queue, automatic enforcement of ``act_now`` verdicts, and
the reviewer API (next case under a lease, decide). Dual review, escalation, holds,
statements of reasons and appeals come next (issue 7).
"""

from services.dispatch.api import build_app
from services.dispatch.intake import Intake
from services.dispatch.metrics import watch_queue
from shared.events.screening import ScreeningVerdict
from shared.runtime import ConsumerSpec, Service, ServiceContext
from shared.topics import ENFORCEMENT_ACTIONS, SCREENING_VERDICTS

VERDICTS: ConsumerSpec[ScreeningVerdict] = ConsumerSpec(
    models={SCREENING_VERDICTS: ScreeningVerdict},
    handler=Intake(),
    produces=(ENFORCEMENT_ACTIONS,),
)


async def _watch(ctx: ServiceContext) -> None:
    """Keep the queue's gauges (depth, oldest case, SLA breaches) current."""
    if ctx.pool is not None:
        await watch_queue(ctx.pool, ctx.stop)


SPEC = Service(name="dispatch", consumers=(VERDICTS,), http_app=build_app, main=_watch)
