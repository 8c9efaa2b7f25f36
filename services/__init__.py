"""Crible's services, and the composition root that hands them to the ``crible`` command.

Each service lives in ``services/<name>/`` and is run by ``crible run <name>``. This is the
one place that knows every service: ``shared/`` never imports from ``services/``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

#: Every service that exists, with its package (conventions: ``shared/cli/registry.py``).
SERVICES: dict[str, str] = {
    "ingest": "services.ingest",
    "prescreen": "services.prescreen",
    "dispatch": "services.dispatch",
    "legal": "services.legal",
    "surge": "services.surge",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``crible`` console script."""
    from shared.cli.main import main as cli_main  # noqa: PLC0415 - keep `import services` light

    return cli_main(argv, services=SERVICES)


if __name__ == "__main__":
    sys.exit(main())
