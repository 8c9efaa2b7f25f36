"""The report contract rejects what a platform engineer must fix, with a usable reason."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from shared import schemas
from shared.events import ReportSubmitted
from shared.runtime import describe_error

VALID = {
    "schema_version": 1,
    "report_id": "r1",
    "reported_at": "2026-11-28T10:00:00+01:00",
    "reporter_id": "u1",
    "reporter_language": "pt-BR",
    "subject": {"kind": "message", "id": "5", "chat_id": "c9"},
    "category": "fraud_scam",
    "text": "they asked for my card number",
    "evidence": {"media": [{"pdq": "f" * 64, "pdq_quality": 90}], "urls": ["https://x.invalid/a"]},
}


def with_(**changes: object) -> bytes:
    return json.dumps({**VALID, **changes}).encode()


def test_a_complete_report_is_accepted() -> None:
    parsed = ReportSubmitted.model_validate_json(json.dumps(VALID))
    assert parsed.subject.key() == "message:c9:5"


@pytest.mark.parametrize(
    ("payload", "location"),
    [
        (with_(category="bad-content"), "category"),
        (with_(schema_version=2), "schema_version"),
        (with_(reported_at="2026-11-28T10:00:00"), "reported_at"),  # no time zone
        (with_(subject={"kind": "message", "id": "5"}), "subject"),  # a message needs its chat
        (with_(subject={"kind": "user", "id": "5", "chat_id": "c"}), "subject"),
        (with_(text="x" * 2001), "text"),
        (with_(reporter_id=""), "reporter_id"),
        (with_(evidence={"media": [{}]}), "evidence.media.0"),
        (with_(evidence={"urls": [""]}), "evidence.urls.0"),
        (with_(evidence={"urls": ["https://x.example/" + "a" * 2048]}), "evidence.urls.0"),
        (with_(evidence={"media": [{"pdq_dihedral": ["f" * 64]}]}), "evidence.media.0"),
        (with_(unexpected=True), "unexpected"),
        (with_(reporter_id=42), "reporter_id"),  # strict: no silent coercion
    ],
)
def test_schema_violations_are_rejected_with_their_location(payload: bytes, location: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ReportSubmitted.model_validate_json(payload)
    assert location in describe_error(caught.value)


@pytest.mark.parametrize(
    "link",
    ["HTTPS://Scam.Example/login", "hxxp://scam[.]example", "javascript:alert(1)", "www.x.fr"],
)
def test_a_link_is_never_a_reason_to_refuse_a_report(link: str) -> None:
    report = ReportSubmitted.model_validate_json(with_(evidence={"urls": [link]}))
    assert report.evidence is not None
    assert report.evidence.urls == (link,)


def test_error_reason_never_echoes_the_message_content() -> None:
    secret = "+33612345678"
    with pytest.raises(ValidationError) as caught:
        ReportSubmitted.model_validate_json(with_(text=secret * 200))
    reason = describe_error(caught.value)
    assert secret not in reason
    assert "text: String should have at most 2000 characters" in reason


def test_exported_schemas_match_the_models() -> None:
    assert schemas.stale() == [], "run `crible schemas export` and commit deploy/schemas/"
