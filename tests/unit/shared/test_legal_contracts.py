"""Identity events and legal requests: personal data validated, normalised, never echoed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from shared.events.identity import (
    AccountRegistered,
    IdentityEvent,
    PersonalDataError,
    SessionObserved,
    normalise_ip_address,
    normalise_phone_number,
)
from shared.events.legal import DataCategory, DisclosureEvent, LegalRequest, TargetKind
from shared.runtime import describe_error

PHONE = "+33 6 12 34 56 78"
SESSION: dict[str, Any] = {
    "schema_version": 1,
    "event_id": "e1",
    "platform_user_id": "u1",
    "occurred_at": "2026-11-28T10:00:00+01:00",
    "event_type": "session.observed",
    "ip_address": "2001:DB8::0:1",
    "source_port": 51234,
}
REQUEST: dict[str, Any] = {
    "schema_version": 1,
    "request_id": "6a8d7c1e-3b2f-4e55-9a41-0c2d9e8f7b10",
    "instrument": "eu_epoc",
    "authority_id": "fr-parquet-paris",
    "official": {"name": "Claire Martin", "title": "Procureure adjointe"},
    "case_reference": "PARQ-2026-001234",
    "offence": "escroquerie en bande organisée",
    "max_penalty_years": 10,
    "committed_online": True,
    "emergency": False,
    "target": {"kind": "phone_number", "value": PHONE},
    "categories": ["subscriber", "identification"],
    "date_from": "2026-06-01T00:00:00+02:00",
    "date_to": "2026-11-01T00:00:00+01:00",
    "document_sha256": "a" * 64,
    "non_disclosure_until": "2027-06-01",
    "received_at": "2026-11-28T09:00:00Z",
}


def identity(**changes: object) -> IdentityEvent:
    base = SESSION
    if changes.get("event_type", "session.observed") != "session.observed":
        base = {k: v for k, v in SESSION.items() if k not in {"ip_address", "source_port"}}
    return IdentityEvent.model_validate_json(json.dumps({**base, **changes}))


def request(**changes: object) -> LegalRequest:
    return LegalRequest.model_validate_json(json.dumps({**REQUEST, **changes}))


def test_each_identity_event_type_is_chosen_by_its_event_type() -> None:
    session = identity().root
    assert isinstance(session, SessionObserved)
    assert session.ip_address == "2001:db8::1"  # canonical form
    assert session.occurred_at.utcoffset() is not None  # time zone kept
    registered = identity(
        event_type="account.registered", phone_number=PHONE, username="Jean_Dupont"
    ).root
    assert isinstance(registered, AccountRegistered)
    assert registered.phone_number == "+33612345678"
    assert registered.username == "jean_dupont"


def test_an_ipv4_mapped_address_is_the_ipv4_address() -> None:
    assert normalise_ip_address("::ffff:192.0.2.7") == "192.0.2.7"
    assert normalise_ip_address(" 192.0.2.7") == "192.0.2.7"


def test_a_national_phone_number_is_read_with_the_authority_country() -> None:
    assert normalise_phone_number("06 12 34 56 78", region="FR") == "+33612345678"
    with pytest.raises(PersonalDataError):
        normalise_phone_number("06 12 34 56 78")  # no country: cannot tell


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"ip_address": "300.1.2.3"}, "ip_address"),
        ({"source_port": 0}, "source_port"),
        ({"source_port": 70000}, "source_port"),
        ({"occurred_at": "2026-11-28T10:00:00"}, "occurred_at"),  # no time zone
        ({"event_type": "account.registered", "phone_number": "+33 1 00"}, "phone_number"),
        ({"event_type": "account.registered", "phone_number": "0612345678"}, "phone_number"),
        ({"event_type": "account.deleted"}, "does not match any of the expected tags"),
        ({"schema_version": 2}, "schema_version"),
    ],
)
def test_invalid_identity_events_are_refused_where_they_are_wrong(
    changes: dict[str, object], location: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        identity(**changes)
    assert location in describe_error(caught.value)


@pytest.mark.parametrize(
    ("field", "bad_value"),
    [("ip_address", "10.0.0.999"), ("phone_number", "+99 123 4567 8910")],
)
def test_refusals_never_echo_the_personal_data(field: str, bad_value: str) -> None:
    changes: dict[str, object] = {field: bad_value}
    if field == "phone_number":
        changes["event_type"] = "account.registered"
    with pytest.raises(ValidationError) as caught:
        identity(**changes)
    for text in (str(caught.value), describe_error(caught.value), repr(caught.value)):
        assert bad_value not in text
        assert bad_value.replace(" ", "") not in text


def test_a_request_normalises_its_target_and_keeps_its_scope() -> None:
    parsed = request()
    assert parsed.target.kind is TargetKind.PHONE_NUMBER
    assert parsed.target.value == "+33612345678"
    assert parsed.categories == (DataCategory.SUBSCRIBER, DataCategory.IDENTIFICATION)
    assert request(target={"kind": "username", "value": "Jean_Dupont"}).target.value == (
        "jean_dupont"
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"target": {"kind": "phone_number", "value": "+33 1"}},
        {"target": {"kind": "username", "value": "jean dupont"}},
        {"target": {"kind": "platform_user_id", "value": "u 1"}},
        {"categories": []},
        {"categories": ["subscriber", "subscriber"]},
        {"categories": ["content"]},
        {"date_from": "2026-12-01T00:00:00Z"},  # after date_to
        {"instrument": "us_subpoena"},
        {"document_sha256": "A" * 64},
        {"max_penalty_years": -1},
        {"received_at": "2026-11-28T09:00:00"},
    ],
)
def test_malformed_requests_are_refused_without_echoing_the_target(
    changes: dict[str, object],
) -> None:
    with pytest.raises(ValidationError) as caught:
        request(**changes)
    text = str(caught.value) + describe_error(caught.value)
    for secret in ("+33 1", "jean dupont", "u 1"):
        assert secret not in text


def test_a_disclosure_event_carries_ids_and_counts_only() -> None:
    event = DisclosureEvent.model_validate_json(
        json.dumps(
            {
                "schema_version": 1,
                "event_id": "0b8e2f4c-2a57-4f47-a1a4-9e1b6f3a7d20",
                "event_type": "disclosure.package_ready",
                "request_id": REQUEST["request_id"],
                "authority_id": "fr-parquet-paris",
                "instrument": "eu_epoc",
                "categories": ["identification"],
                "record_counts": {"sessions": 12},
                "package_sha256": "b" * 64,
                "occurred_at": "2026-11-28T10:00:00Z",
            }
        )
    )
    assert event.record_counts == {"sessions": 12}
    with pytest.raises(ValidationError):
        DisclosureEvent.model_validate({**event.model_dump(), "phone_number": "+33612345678"})


def test_the_identity_schema_tells_platform_teams_how_to_choose_the_event_type() -> None:
    schema = IdentityEvent.model_json_schema(mode="validation")
    assert schema["discriminator"]["propertyName"] == "event_type"
    assert set(schema["discriminator"]["mapping"]) == {
        "account.registered",
        "account.phone_number_changed",
        "account.username_changed",
        "account.closed",
        "session.observed",
    }
    phone = schema["$defs"]["AccountRegistered"]["properties"]["phone_number"]
    assert phone["pattern"].startswith("^\\+")
