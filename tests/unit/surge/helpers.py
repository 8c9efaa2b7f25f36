"""Records and policies for the surge unit tests."""

from __future__ import annotations

from services.surge.core.policy import Policy
from services.surge.core.records import Accepted, Annotated, fingerprint
from services.surge.core.windows import WindowSpec

#: 2026-11-28T10:00:00Z
T0 = 1_795_860_000
DAY = 86_400


def policy(**overrides: object) -> Policy:
    settings: dict[str, object] = {
        "windows": (WindowSpec(size=600, step=60, threshold=10),),
        "baseline_min_subjects": 20,
        "new_reporter_seconds": 7 * DAY,
        "coreport_seconds": 7 * DAY,
    }
    settings.update(overrides)
    return Policy(**settings)  # type: ignore[arg-type]


def accepted(
    n: int,
    *,
    reporter: str | None = None,
    subject: str = "ch1",
    at: int = T0,
    category: str = "spam",
) -> Accepted:
    return Accepted(
        report=fingerprint(f"{subject}-r{n}"),
        reporter=fingerprint(reporter or f"u{n}"),
        subject=f"channel:{subject}",
        parts=("channel", subject, None),
        category=category,
        at=at,
    )


def annotated(
    n: int,
    *,
    reporter: str | None = None,
    subject: str = "ch1",
    at: int = T0,
    category: str = "spam",
    new: bool = False,
    others: tuple[int, ...] = (),
) -> Annotated:
    a = accepted(n, reporter=reporter, subject=subject, at=at, category=category)
    return Annotated(a.report, a.reporter, a.subject, a.parts, a.category, a.at, new, others)
