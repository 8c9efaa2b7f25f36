"""What surge's integration tests share: its topics under the test's prefix, its windows."""

from __future__ import annotations

import pytest

from shared.config import Settings
from shared.kafka import apply_topics
from shared.topics import SURGE_APP

#: One 10-minute window stepping by a minute; 10 reports make a burst.
WINDOWS = '[{"size_seconds": 600, "step_seconds": 60, "threshold": 10}]'


@pytest.fixture
async def surge(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings, with surge's topics created and its windows configured for the tests."""
    await apply_topics(settings, SURGE_APP)
    monkeypatch.setenv("CRIBLE_SURGE_WINDOWS", WINDOWS)
    monkeypatch.setenv("CRIBLE_SURGE_BATCH_WITHIN_SECONDS", "0.02")
    return settings
