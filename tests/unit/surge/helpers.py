"""Records and policies for the surge unit tests."""

from __future__ import annotations

from typing import Any

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


def accepted_event(**changes: Any) -> dict[str, Any]:
    """A valid ``ReportAccepted`` as ingest writes it, with ``changes`` to its report."""
    report: dict[str, Any] = {
        "schema_version": 1,
        "report_id": "r1",
        "reported_at": "2026-11-28T10:00:00+00:00",
        "reporter_id": "u1",
        "reporter_language": "fr",
        "subject": {"kind": "message", "id": "m1", "chat_id": "c1"},
        "category": "spam",
        "text": "Crypto airdrop, send 0.1 BTC",
        "evidence": {"message_excerpt": "airdrop", "media": [], "urls": ["hxxp://a[.]b"]},
    }
    report.update(changes)
    return {
        "schema_version": 1,
        "report": report,
        "case_id": "9a7d1e4e-2b0c-4f55-9d8c-1f2e3d4c5b6a",
        "case_revision": 1,
        "repeat": False,
        "accepted_at": "2026-11-28T10:00:01+00:00",
    }
