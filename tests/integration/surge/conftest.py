"""What surge's integration tests share: its topics under the test's prefix, its windows, and
the processes of ``crible run surge`` they start."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from shared.config import Settings
from shared.kafka import apply_topics
from shared.topics import SURGE_APP

#: One 10-minute window stepping by a minute; 10 reports make a burst.
WINDOWS = '[{"size_seconds": 600, "step_seconds": 60, "threshold": 10}]'
#: The command of a surge process.
SURGE = (sys.executable, "-m", "services", "run", "surge")


@pytest.fixture
async def surge(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings, with surge's topics created and its windows configured for the tests."""
    await apply_topics(settings, SURGE_APP)
    monkeypatch.setenv("CRIBLE_SURGE_WINDOWS", WINDOWS)
    monkeypatch.setenv("CRIBLE_SURGE_BATCH_WITHIN_SECONDS", "0.02")
    return settings


def surge_env(settings: Settings, **variables: str) -> dict[str, str]:
    """The environment of a surge process on the test's topics and windows, committing every
    half second, serving no metrics; ``variables`` add to it or override it."""
    return {
        **os.environ,
        "CRIBLE_TOPIC_PREFIX": settings.topic_prefix,
        "CRIBLE_METRICS_PORT": "0",
        "CRIBLE_SURGE_WINDOWS": WINDOWS,
        "CRIBLE_SURGE_COMMIT_INTERVAL_SECONDS": "0.5",
        **variables,
    }


async def start_surge(
    env: dict[str, str], *, log: Path | None = None
) -> asyncio.subprocess.Process:
    """`crible run surge` in ``env``, its log (stderr) in ``log`` or dropped."""
    if log is None:
        return await asyncio.create_subprocess_exec(
            *SURGE, env=env, stderr=asyncio.subprocess.DEVNULL
        )
    with log.open("wb") as stderr:
        return await asyncio.create_subprocess_exec(*SURGE, env=env, stderr=stderr)
