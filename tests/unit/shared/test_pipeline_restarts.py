"""The restarts `crible bench e2e` reports, read from the pipeline's log."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, cast

from shared.cli.pipeline import Pipeline
from shared.logs import JsonFormatter, RepeatFolder


def test_every_restart_is_counted_folded_lines_included(tmp_path: Path) -> None:
    log = tmp_path / "pipeline.log"
    handler = logging.FileHandler(log)
    handler.setFormatter(JsonFormatter("crible-supervisor"))
    folder = RepeatFolder(handler.emit, interval=3600)  # as the services' logs fold
    handler.addFilter(folder)
    logger = logging.getLogger("test.supervisor")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for service, code in (("surge", 70), ("surge", 70), ("surge", 70), ("ingest", -9)):
            logger.error("service exited; restarting", extra={"service": service, "code": code})
        logger.info("service started", extra={"service": "surge", "restarts": 3})
    finally:
        folder.flush()  # the count of the identical lines folded, as at exit
        handler.close()
        logger.removeHandler(handler)
    pipeline = Pipeline(["surge", "ingest"], cast(Any, None), 9100, "token", log)

    assert pipeline.restarts() == {"surge": [70, 70, 70], "ingest": [-9]}
