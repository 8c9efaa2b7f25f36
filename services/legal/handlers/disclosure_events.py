"""What ``legal.disclosures`` says about a request's answer: ids, categories and counts only."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from shared.events.legal import DataCategory, DisclosureEvent, DisclosureEventType, LegalRequest
from shared.runtime.contract import Outbound
from shared.topics import LEGAL_DISCLOSURES


def disclosure_event(
    event_type: DisclosureEventType,
    request: LegalRequest,
    *,
    categories: Iterable[DataCategory] = (),
    record_counts: Mapping[str, int] | None = None,
    refusal_codes: Iterable[str] = (),
    package_sha256: str | None = None,
) -> Outbound:
    """The event, keyed by request so that one request's events stay in order."""
    event = DisclosureEvent(
        schema_version=1,
        event_id=uuid.uuid4(),
        event_type=event_type,
        request_id=request.request_id,
        authority_id=request.authority_id,
        instrument=request.instrument,
        categories=tuple(sorted(categories)),
        record_counts=dict(record_counts or {}),
        refusal_codes=tuple(refusal_codes),
        package_sha256=package_sha256,
        occurred_at=datetime.now(UTC),
    )
    return Outbound(
        LEGAL_DISCLOSURES.name, str(request.request_id).encode(), event.model_dump_json().encode()
    )
