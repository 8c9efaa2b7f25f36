"""The legal service as the runtime runs it: ``crible run legal``.

So far the identity store: ``identity.events`` sealed into ``legal.accounts``,
``legal.phone_numbers`` and ``legal.sessions``. The authority portal, approvals, disclosures
and the audit chain come next (issue 9); their pure core is in this package.
"""

from services.legal.handler import IdentityIntake
from shared.events.identity import IdentityEvent
from shared.runtime import ConsumerSpec, Service, ServiceContext
from shared.topics import IDENTITY_EVENTS

INTAKE = IdentityIntake()
IDENTITY: ConsumerSpec[IdentityEvent] = ConsumerSpec(
    models={IDENTITY_EVENTS: IdentityEvent}, handler=INTAKE, name="identity"
)


async def _load_keys(_: ServiceContext) -> None:
    INTAKE.load_keys()


SPEC = Service(name="legal", consumers=(IDENTITY,), on_start=(_load_keys,))
