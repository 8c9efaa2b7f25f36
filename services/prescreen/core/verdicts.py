"""Verdict events (``ScreeningVerdict``) of screened cases, and what makes a new one due."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from services.prescreen.core.inbound import CaseToScreen
from services.prescreen.core.model import CaseInput, ScreenerResult
from services.prescreen.core.policy import Decision

_NAMESPACE = uuid.UUID("5f0c6c1e-93b4-4f7e-8f0a-6c7d2b1e4a90")
#: Bounds of the contract's lists: a verdict never fails its own schema.
_MAX_MATCHES = 64
_MAX_NOTES = 16
_MAX_LANGUAGES = 32
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{1,8})*")


@dataclass(frozen=True, slots=True)
class Screened:
    """One case revision, screened: what each screener said and what the policies decided."""

    case: CaseInput
    results: tuple[ScreenerResult, ...]
    live: Decision
    shadow: Decision | None


def verdict_id(case_event_id: uuid.UUID) -> uuid.UUID:
    """The verdict of a case event: the same on every redelivery of the event."""
    return uuid.uuid5(_NAMESPACE, f"verdict/{case_event_id}")


@dataclass(frozen=True, slots=True)
class Verdict:
    """A verdict ready to store and publish: its identity, its route, its JSON."""

    verdict_id: uuid.UUID
    case_id: uuid.UUID
    case_revision: int
    case_event_id: uuid.UUID
    decision: Decision
    screened_at: datetime
    body: bytes


def build_verdict(event: CaseToScreen, screened: Screened, *, now: datetime) -> Verdict:
    """The ``ScreeningVerdict`` announcing what the live policy decided for ``event``.

    Written as a plain dict and encoded with orjson: through the pydantic model, it cost as
    much as screening the case. Every field comes from validated input or from this
    module, which keeps the contract's bounds; unit tests check verdicts of hostile input
    through the strict model.
    """
    live = screened.live
    identity = verdict_id(event.event_id)
    body = {
        "schema_version": 1,
        "verdict_id": identity,
        "case_id": event.case_id,
        "case_revision": event.revision,
        "case_event_id": event.event_id,
        "subject": event.subject.model_dump(exclude_none=True),
        "category": event.category,
        "screened_category": live.category,
        "route": live.route,
        "severity": live.severity,
        "priority_hint": live.priority_hint,
        "confidence": min(1.0, max(0.0, live.confidence)),
        "qa_sample": live.qa_sample,
        "policy": {"name": live.policy_name, "version": live.policy_version},
        "report_count": event.report_count,
        "reporter_count": event.reporter_count,
        "reporter_languages": [
            lang for lang in event.reporter_languages[:_MAX_LANGUAGES] if _is_language(lang)
        ],
        "screeners": [_report(r) for r in screened.results],
        "screened_at": now,
    }
    return Verdict(
        verdict_id=identity,
        case_id=event.case_id,
        case_revision=event.revision,
        case_event_id=event.event_id,
        decision=live,
        screened_at=now,
        body=orjson.dumps(body),
    )


def fingerprint(screened: Screened) -> str:
    """What a verdict says that matters downstream: a new one is published when it changes."""
    live = screened.live
    matches = sorted(
        f"{r.screener}:{f.kind}:{f.ref}:{f.category}" for r in screened.results for f in r.findings
    )
    text = "|".join([live.route, live.category, live.severity, str(live.priority_hint), *matches])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _report(result: ScreenerResult) -> dict[str, Any]:
    return {
        "name": result.screener,
        "version": result.version,
        "usability": result.usability,
        "scores": {c.value: min(1.0, max(0.0, score)) for c, score in result.scores.items()},
        "matches": [
            {
                "kind": f.kind,
                "category": f.category,
                "ref": f.ref[:128],
                "distance": f.distance,
                "detail": None if f.detail is None else f.detail[:256],
            }
            for f in result.findings[:_MAX_MATCHES]
        ],
        "notes": [n[:256] for n in result.notes[:_MAX_NOTES]],
    }


def _is_language(tag: str) -> bool:
    # Case events carry validated tags; this keeps a verdict valid whatever a producer sent.
    return len(tag) <= 35 and _LANGUAGE.fullmatch(tag) is not None
