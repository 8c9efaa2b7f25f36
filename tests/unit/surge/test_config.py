"""Windows and thresholds come from the environment, checked at start-up."""

import pytest
from pydantic import ValidationError

from services.surge.config import SurgeSettings


def test_the_defaults_are_ten_minutes_by_one_and_an_hour() -> None:
    rules = SurgeSettings().policy()

    assert [(w.size, w.step) for w in rules.windows] == [(600, 60), (3600, 300)]
    assert rules.bucket_seconds == 60
    assert rules.horizon_seconds == 3600
    assert rules.links_kept_seconds == 600  # the shortest window


def test_windows_are_read_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "CRIBLE_SURGE_WINDOWS", '[{"size_seconds": 120, "step_seconds": 30, "threshold": 5}]'
    )

    assert SurgeSettings().policy().bucket_seconds == 30


def test_a_window_that_does_not_align_with_the_smallest_step_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "CRIBLE_SURGE_WINDOWS",
        '[{"size_seconds": 600, "step_seconds": 60, "threshold": 5},'
        ' {"size_seconds": 90, "step_seconds": 90, "threshold": 5}]',
    )

    with pytest.raises(ValidationError):
        SurgeSettings()


def test_links_are_kept_at_least_a_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRIBLE_SURGE_LINKS_SECONDS", "900")
    assert SurgeSettings().policy().links_kept_seconds == 900

    monkeypatch.setenv("CRIBLE_SURGE_LINKS_SECONDS", "30")
    with pytest.raises(ValidationError):
        SurgeSettings()
