"""The legal service as the runtime runs it: ``crible run legal``.

So far: the identity store (``identity.events`` sealed into ``legal.accounts``,
``legal.phone_numbers`` and ``legal.sessions``) and the authority portal (signed requests
checked against the law, every step on the audit chain). Approvals, disclosures and
packages come next; their pure core is in this package.
"""

from services.legal.handler import IdentityIntake
from services.legal.portal import build_portal
from shared.events.identity import IdentityEvent
from shared.runtime import ConsumerSpec, Service, ServiceContext
from shared.topics import IDENTITY_EVENTS

INTAKE = IdentityIntake()
IDENTITY: ConsumerSpec[IdentityEvent] = ConsumerSpec(
    models={IDENTITY_EVENTS: IdentityEvent}, handler=INTAKE, name="identity"
)


async def _load_keys(_: ServiceContext) -> None:
    INTAKE.load_keys()


SPEC = Service(name="legal", consumers=(IDENTITY,), on_start=(_load_keys,), http_app=build_portal)
