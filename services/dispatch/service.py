"""The dispatch service as the runtime runs it: ``crible run dispatch``.

So far: verdicts into the review queue, automatic enforcement of ``act_now`` verdicts, and
the reviewer API (next case under a lease, decide). Dual review, escalation, holds,
statements of reasons and appeals come next (issue 7).
"""

from services.dispatch.api import build_app
from services.dispatch.intake import Intake
from shared.events.screening import ScreeningVerdict
from shared.runtime import ConsumerSpec, Service
from shared.topics import ENFORCEMENT_ACTIONS, SCREENING_VERDICTS

VERDICTS: ConsumerSpec[ScreeningVerdict] = ConsumerSpec(
    models={SCREENING_VERDICTS: ScreeningVerdict},
    handler=Intake(),
    produces=(ENFORCEMENT_ACTIONS,),
)

SPEC = Service(name="dispatch", consumers=(VERDICTS,), http_app=build_app)
