"""The legal service as the runtime runs it: ``crible run legal``.

- ``identity``: ``identity.events`` sealed into ``legal.accounts``, ``legal.phone_numbers``
  and ``legal.sessions`` (``handler.py``);
- ``requests``: what the portal received, from ``legal.requests``, checked against the law
  (``checking.py``); refusals go to ``legal.disclosures``;
- the portal (``portal.py``): authorities submit signed requests and fetch their packages;
  legal officers read, narrow, prepare and approve (``officers.py``), and every step is on
  the hash-chained audit log;
- on a schedule (``schedule.py``): retention, ended preservation orders, user notices,
  and the deadline gauges.
"""

from services.legal.adapters.http.portal import build_portal
from services.legal.handlers.checks import RequestChecks
from services.legal.handlers.intake import IdentityIntake
from services.legal.schedule import PERIODIC
from shared.events.identity import IdentityEvent
from shared.events.legal import RequestReceived
from shared.runtime import ConsumerSpec, Service, ServiceContext
from shared.topics import IDENTITY_EVENTS, LEGAL_DISCLOSURES, LEGAL_REQUESTS

INTAKE = IdentityIntake()
CHECKS = RequestChecks()
IDENTITY: ConsumerSpec[IdentityEvent] = ConsumerSpec(
    models={IDENTITY_EVENTS: IdentityEvent}, handler=INTAKE, name="identity"
)
REQUESTS: ConsumerSpec[RequestReceived] = ConsumerSpec(
    models={LEGAL_REQUESTS: RequestReceived},
    handler=CHECKS,
    name="requests",
    produces=(LEGAL_DISCLOSURES,),
)


async def _load_keys(_: ServiceContext) -> None:
    INTAKE.load_keys()
    CHECKS.load_keys()


SPEC = Service(
    name="legal",
    consumers=(IDENTITY, REQUESTS),
    on_start=(_load_keys,),
    http_app=build_portal,
    periodic=PERIODIC,
)
