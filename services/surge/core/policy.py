"""The detector's thresholds as the pure core uses them (built from the settings)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from math import gcd

from services.surge.core.windows import WindowSpec


@dataclass(frozen=True, slots=True)
class Policy:
    """Every number the detection rules depend on (see ``SurgeSettings`` for each meaning)."""

    windows: tuple[WindowSpec, ...]
    relative_factor: float = 5.0
    baseline_min_subjects: int = 20
    new_reporter_seconds: int = 7 * 86400
    new_reporter_share: float = 0.6
    coreport_seconds: int = 7 * 86400
    coreport_share: float = 0.5
    coreport_min: int = 5
    republish_growth: float = 0.25
    reporter_retention_seconds: int = 30 * 86400

    @property
    def bucket_seconds(self) -> int:
        """The granularity of the state: every window is made of whole buckets."""
        return reduce(gcd, (w.step for w in self.windows))

    @property
    def lowest(self) -> int:
        """The lowest threshold: a subject with fewer reports in its horizon has no burst."""
        return min(w.threshold for w in self.windows)

    @property
    def horizon_seconds(self) -> int:
        """How long a subject's buckets are kept: the longest window."""
        return max(w.size for w in self.windows)
