"""The probe service with its CPU stage in a process pool, run as `crible run` runs a service:
for tests that kill it (`python -m tests.integration.run_probe`)."""

from __future__ import annotations

import uvloop

from shared.config import get_settings
from shared.logs import configure_logging
from shared.runtime import Stage, serve
from tests.integration.probe import Faults, probe_service, stage_length


def main() -> None:
    """Serve the probe until SIGTERM."""
    configure_logging("probe")
    stage: Stage[int | None] = Stage(stage_length, executor="process", workers=2)
    uvloop.run(serve(probe_service(Faults(), stage=stage), get_settings()))


if __name__ == "__main__":
    main()
