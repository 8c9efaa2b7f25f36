"""``python -m services run ingest``: what the supervisor and the tests start."""

import sys

from services import main

sys.exit(main())
