"""The surge detector as the runtime runs it: ``crible run surge``.

Not a set of ``ConsumerSpec`` consumers: the runtime runs the faust app as the service's
main task, beside the shared metrics endpoint, and stops it with everything else.
"""

from services.surge.app import SurgeApp
from services.surge.config import SurgeSettings
from shared.runtime import Service, ServiceContext


async def run_surge(context: ServiceContext) -> None:
    """Run the faust app until the process is told to stop (raises if an agent stalls)."""
    surge = SurgeApp(context.settings, SurgeSettings())
    context.state["surge"] = surge
    await surge.run(context.stop, every=context.settings.housekeeping_seconds)


def _readiness(context: ServiceContext) -> list[str]:
    surge = context.state.get("surge")
    return ["starting"] if surge is None else surge.readiness()


SPEC = Service(name="surge", main=run_surge, uses_database=False, readiness=_readiness)
