"""When a user may be told their data was disclosed (pure: no database)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

from services.legal.core.notices import notify_after
from shared.events.legal import LegalRequest

DISCLOSED = datetime(2026, 11, 1, 12, tzinfo=UTC)
DELAY = timedelta(days=30)


def request(*, emergency: bool = False, until: date | None = None) -> LegalRequest:
    return LegalRequest.model_validate_json(json.dumps({
        "schema_version": 1, "request_id": str(uuid.uuid4()), "instrument": "fr_cpp_60_1",
        "authority_id": "fr-parquet", "official": {"name": "X"}, "case_reference": "1",
        "offence": "o", "max_penalty_years": 5, "committed_online": True, "emergency": emergency,
        "target": {"kind": "platform_user_id", "value": "u1"}, "categories": ["subscriber"],
        "date_from": "2026-01-01T00:00:00Z", "date_to": "2026-02-01T00:00:00Z",
        "document_sha256": "0" * 64, "received_at": "2026-10-30T00:00:00Z",
        "non_disclosure_until": until and until.isoformat(),
    }))  # fmt: skip


def test_without_an_order_the_user_is_told_at_once() -> None:
    assert notify_after(request(), disclosed_at=DISCLOSED, emergency_delay=DELAY) == (
        DISCLOSED,
        None,
    )


def test_a_non_disclosure_order_delays_the_notice_to_the_end_of_its_last_day() -> None:
    when, why = notify_after(
        request(until=date(2027, 3, 1)), disclosed_at=DISCLOSED, emergency_delay=DELAY
    )
    assert why == "non_disclosure_order"
    assert when.date() == date(2027, 3, 1)
    assert when > datetime(2027, 3, 1, 23, 59, tzinfo=UTC)


def test_an_emergency_delays_the_notice_until_it_has_passed() -> None:
    when, why = notify_after(request(emergency=True), disclosed_at=DISCLOSED, emergency_delay=DELAY)
    assert (when, why) == (DISCLOSED + DELAY, "emergency")


def test_the_later_of_an_emergency_and_an_order_wins() -> None:
    short = notify_after(
        request(emergency=True, until=date(2026, 11, 5)),
        disclosed_at=DISCLOSED,
        emergency_delay=DELAY,
    )
    assert short == (DISCLOSED + DELAY, "emergency")
    long = notify_after(
        request(emergency=True, until=date(2027, 6, 1)),
        disclosed_at=DISCLOSED,
        emergency_delay=DELAY,
    )
    assert long[1] == "non_disclosure_order"
