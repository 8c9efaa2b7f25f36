"""The one runtime that runs every Crible service.

A service declares a :class:`Service` (consumers with their topics, event types and batch
handlers; optional start-up and shutdown hooks, a CPU stage, an HTTP API) and never writes
its own poll loop, signal handling or server start-up. The pieces, each in its module:

- :mod:`~shared.runtime.spec`: what a service declares;
- :mod:`~shared.runtime.contract`: what a handler receives and returns;
- :mod:`~shared.runtime.batch`: one batch from records to committed offsets;
- :mod:`~shared.runtime.consumer`: group membership, lanes, commits;
- :mod:`~shared.runtime.errors` and :mod:`~shared.runtime.retry`: what a failure means and
  how long to retry it;
- :mod:`~shared.runtime.outbox`: the one way events leave, stored with their effects
  (:mod:`~shared.runtime.outbox_table`) and sent once committed
  (:mod:`~shared.runtime.publisher`); :mod:`~shared.runtime.deadletter`: dead-letter copies;
- :mod:`~shared.runtime.retention` and :mod:`~shared.runtime.periodic`: work on a schedule;
- :mod:`~shared.runtime.housekeeping`: lag (:mod:`~shared.runtime.lag`, from the broker),
  outages (:mod:`~shared.runtime.outages`), relay of orphaned outbox rows, readiness;
- :mod:`~shared.runtime.http`: the HTTP API beside the consumers;
- :mod:`~shared.runtime.process`: one process, one graceful stop.
"""

from shared.runtime.contract import Handled, Inbound, Outbound
from shared.runtime.deadletter import dead_letter
from shared.runtime.errors import ConfigurationError, describe_error
from shared.runtime.process import install_stop_signals, serve
from shared.runtime.spec import (
    BatchHandler,
    ConsumerSpec,
    OwnGroup,
    Periodic,
    Resource,
    Resources,
    Service,
    ServiceContext,
    Stage,
    StageFactory,
)

__all__ = [
    "BatchHandler",
    "ConfigurationError",
    "ConsumerSpec",
    "Handled",
    "Inbound",
    "Outbound",
    "OwnGroup",
    "Periodic",
    "Resource",
    "Resources",
    "Service",
    "ServiceContext",
    "Stage",
    "StageFactory",
    "dead_letter",
    "describe_error",
    "install_stop_signals",
    "serve",
]
