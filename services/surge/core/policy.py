"""The detector's thresholds as the pure core uses them (built from the settings)."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    #: How long a bucket keeps its links (None: the shortest window's size).
    links_seconds: int | None = None

    #: The granularity of the state: every window is made of whole buckets.
    bucket_seconds: int = field(init=False)
    #: The lowest threshold: a subject with fewer reports in its horizon has no burst.
    lowest: int = field(init=False)
    #: How long a subject's buckets are kept: the longest window.
    horizon_seconds: int = field(init=False)
    #: ``links_seconds`` resolved: a bucket keeps its links this long after the newest.
    links_kept_seconds: int = field(init=False)

    def __post_init__(self) -> None:
        # Computed once: the stages read them for every subject of every message.
        object.__setattr__(self, "bucket_seconds", reduce(gcd, (w.step for w in self.windows)))
        object.__setattr__(self, "lowest", min(w.threshold for w in self.windows))
        object.__setattr__(self, "horizon_seconds", max(w.size for w in self.windows))
        kept = (
            min(w.size for w in self.windows) if self.links_seconds is None else self.links_seconds
        )
        object.__setattr__(self, "links_kept_seconds", kept)

    def links_from(self, latest: int) -> int:
        """The oldest bucket start that keeps its links, ``latest`` the subject's newest."""
        return latest - self.links_kept_seconds + self.bucket_seconds
