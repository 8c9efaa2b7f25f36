"""The surge detector as the runtime runs it: ``crible run surge``.

Not a set of ``ConsumerSpec`` consumers: the runtime runs the faust app as the service's
main task, beside the shared metrics endpoint, and stops it with everything else.
"""

import logging
import os

from services.surge.adapters.app import SurgeApp
from services.surge.adapters.health import AgentStalledError
from services.surge.adapters.intake import INTAKE_GROUP
from services.surge.adapters.topology import GROUP
from services.surge.config import SurgeSettings
from shared.runtime import OwnGroup, Resource, Service, ServiceContext
from shared.topics import REPORTS_ACCEPTED, SURGE_BY_REPORTER, SURGE_BY_SUBJECT

log = logging.getLogger(__name__)
#: Exit status of a stalled process (sysexits.h: internal software error).
EX_SOFTWARE = 70
#: The running faust app, for readiness.
SURGE: Resource[SurgeApp] = Resource("surge")


async def run_surge(context: ServiceContext) -> None:
    """Run the faust app until the process is told to stop (raises if an agent stalls)."""
    if context.settings.log_level.upper() != "DEBUG":
        # faust and mode log every service's start and stop at INFO: one line each, dozens.
        # mode names a service's logger after its class's module: surge's subclasses of
        # faust's app, consumer and sensor log under theirs (they log nothing of their own).
        for name in (
            "faust",
            "mode",
            "services.surge.adapters.transport",
            "services.surge.adapters.tables",
            "services.surge.adapters.stores",
        ):
            logging.getLogger(name).setLevel(logging.WARNING)
    surge = SurgeApp(context.settings, SurgeSettings())
    context.resources.put(SURGE, surge)
    try:
        await surge.run(context.stop, every=context.settings.housekeeping_seconds)
    except AgentStalledError as error:
        # A wedged agent keeps faust's consumer thread (not a daemon) alive: the process
        # could not end by itself. Its supervisor starts a fresh one, which resumes the
        # tables from their changelogs and reads again what was not committed.
        log.critical("surge stalled; exiting for a restart", extra={"reason": str(error)})
        logging.shutdown()
        os._exit(EX_SOFTWARE)


def _readiness(context: ServiceContext) -> list[str]:
    surge = context.resources.find(SURGE)
    return ["starting"] if surge is None else surge.readiness()


SPEC = Service(
    name="surge",
    main=run_surge,
    uses_database=False,
    readiness=_readiness,
    # The intake's group and faust's: the runtime reports their lag from the broker's
    # committed offsets, like its own groups'.
    own_groups=(
        OwnGroup(INTAKE_GROUP, (REPORTS_ACCEPTED,)),
        OwnGroup(GROUP, (SURGE_BY_REPORTER, SURGE_BY_SUBJECT)),
    ),
)
