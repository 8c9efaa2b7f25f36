"""Surge's configuration: environment variables with the ``CRIBLE_SURGE_`` prefix.

Windows and thresholds are policy: they are tuned per deployment, so every one of them is a
setting (the README's configuration table lists them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.surge.core.policy import Policy
from services.surge.core.windows import WindowSpec


class WindowSetting(BaseModel):
    """One hopping window as configured: its size, its step and its absolute threshold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    size_seconds: int = Field(gt=0, description="How long the window is.")
    step_seconds: int = Field(gt=0, description="How far the next window starts.")
    threshold: int = Field(ge=2, description="Reports in the window that make a burst.")

    def spec(self) -> WindowSpec:
        """The window as the core uses it."""
        return WindowSpec(size=self.size_seconds, step=self.step_seconds, threshold=self.threshold)


def _default_windows() -> tuple[WindowSetting, ...]:
    return (
        WindowSetting(size_seconds=600, step_seconds=60, threshold=25),
        WindowSetting(size_seconds=3600, step_seconds=300, threshold=60),
    )


class SurgeSettings(BaseSettings):
    """What the surge detector can be told from outside."""

    model_config = SettingsConfigDict(
        env_prefix="CRIBLE_SURGE_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    windows: tuple[WindowSetting, ...] = Field(
        default_factory=_default_windows,
        min_length=1,
        description="Hopping windows as JSON, e.g. "
        '[{"size_seconds": 600, "step_seconds": 60, "threshold": 25}]; every size and step '
        "a multiple of the smallest step.",
    )
    relative_factor: float = Field(
        default=5.0,
        ge=1.0,
        description="A burst's reports per active minute must also reach this many times its "
        "category's (the other subjects of the category in the same window).",
    )
    baseline_min_subjects: int = Field(
        default=20,
        ge=1,
        description="Subject-minutes a category needs in a window before the relative test "
        "applies (below, the absolute threshold decides alone).",
    )
    new_reporter_seconds: int = Field(
        default=7 * 86400,
        gt=0,
        description="A reporter first seen less than this long before a report is new (once "
        "the detector has watched that long).",
    )
    new_reporter_share: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description="Share of new reporters that makes a burst coordinated.",
    )
    coreport_seconds: int = Field(
        default=7 * 86400,
        gt=0,
        description="How far back reporters' other subjects count as acting together.",
    )
    coreport_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Share of a burst's reporters who reported one same other subject before "
        "that makes it coordinated.",
    )
    coreport_min: int = Field(
        default=5, ge=2, description="Fewest reporters a co-reporting set needs to count."
    )
    links_seconds: int | None = Field(
        default=None,
        gt=0,
        description="How long a bucket keeps its co-reporting links after the subject's "
        "newest: a burst's co-reporting share is judged on the reporters of its buckets this "
        "recent (default: the shortest window's size). Older buckets keep only their reports "
        "and reporters, so the longest window costs two words a report.",
    )
    republish_growth: float = Field(
        default=0.25,
        ge=0,
        description="A window's signal is published again once its count grew "
        "by this fraction (0: at every new report).",
    )
    flush_quiet_seconds: float = Field(
        default=2.0,
        ge=0,
        description="A window whose growth was held back gets its last figures published "
        "once its subject had no growth for this long (looked at every "
        "CRIBLE_HOUSEKEEPING_SECONDS).",
    )
    flush_max_seconds: float = Field(
        default=15.0,
        ge=0,
        description="A subject that keeps growing gets the last figures of its held windows "
        "that ended published at the latest this long after its growth was first held back "
        "(its open windows: at each republish step, and once it goes quiet).",
    )
    reporter_retention_seconds: int = Field(
        default=30 * 86400,
        gt=0,
        description="A reporter inactive this long is forgotten (seen again later: new).",
    )
    batch_max: int = Field(
        default=2000, ge=1, description="Most accepted reports the intake handles at once."
    )
    batch_within_seconds: float = Field(
        default=0.05, gt=0, description="How long the intake waits to fill a batch."
    )
    intake_worker: bool = Field(
        default=True,
        description="Read and place the intake's batches in a worker process of its own, "
        "beside the event loop of the faust stages (off: in that loop).",
    )
    stall_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A topic with lag whose processed offset has not moved this long is a "
        "stalled agent: the process exits (non-zero) for its supervisor to restart it.",
    )
    commit_interval_seconds: float = Field(
        default=1.0, gt=0, description="How often faust commits processed offsets."
    )
    session_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How long the group waits for a silent member (a killed process) before "
        "giving its partitions to the others.",
    )
    sweep_seconds: float = Field(
        default=30.0, gt=0, description="How often expired windows and reporters are dropped."
    )
    reporters_store: Literal["rocksdb", "memory"] = Field(
        default="rocksdb",
        description="Where the reporters table lives: faust's RocksDB store on disk (it "
        "outgrows memory: every reporter of the retention) or memory. The baselines are "
        "bounded by the longest window's buckets per category and stay in memory.",
    )
    subjects_hot_mib: float = Field(
        default=16,
        ge=0,
        description="The subjects kept decoded in memory (the table is on disk), least "
        "recently used dropped first: MiB of their changelog form (0: every read decodes "
        "from RocksDB).",
    )
    data_dir: Path | None = Field(
        default=None,
        description="Where faust keeps its tables' state (the RocksDB databases, one per "
        "table and partition; kept across restarts, they restore from where they were) and "
        "bookkeeping; by default a directory under the system's temporary directory, never "
        "the working directory. One directory per process.",
    )

    @model_validator(mode="after")
    def _steps_align(self) -> Self:
        bucket = min(w.step_seconds for w in self.windows)
        for w in self.windows:
            if w.size_seconds % bucket or w.step_seconds % bucket:
                raise ValueError(
                    f"window {w.size_seconds}s/{w.step_seconds}s is not a multiple of the "
                    f"smallest step ({bucket}s)"
                )
            if w.size_seconds < w.step_seconds:
                raise ValueError("a window is at least as long as its step")
        if self.links_seconds is not None and self.links_seconds < bucket:
            raise ValueError(f"links_seconds is at least the smallest step ({bucket}s)")
        return self

    def specs(self) -> tuple[WindowSpec, ...]:
        """The windows as the core uses them."""
        return tuple(w.spec() for w in self.windows)

    def policy(self) -> Policy:
        """The thresholds as the pure core uses them."""
        return Policy(
            windows=self.specs(),
            relative_factor=self.relative_factor,
            baseline_min_subjects=self.baseline_min_subjects,
            new_reporter_seconds=self.new_reporter_seconds,
            new_reporter_share=self.new_reporter_share,
            coreport_seconds=self.coreport_seconds,
            coreport_share=self.coreport_share,
            coreport_min=self.coreport_min,
            links_seconds=self.links_seconds,
            republish_growth=self.republish_growth,
            reporter_retention_seconds=self.reporter_retention_seconds,
        )
