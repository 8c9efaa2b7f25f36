"""The package holds exactly the approved data, opens only for its authority, and is signed."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from services.legal.core.model import Scope
from services.legal.core.package import (
    MAGIC,
    Account,
    IdentityRecord,
    PackageError,
    PackageHeader,
    PhoneNumberPeriod,
    Session,
    build_package,
    minimise,
    open_package,
)
from shared.events.legal import DataCategory, Instrument

PARIS = timezone(timedelta(hours=1))
T0 = datetime(2026, 1, 1, tzinfo=UTC)
PLATFORM = Ed25519PrivateKey.generate()
AUTHORITY = X25519PrivateKey.generate()
OLD_PHONE, NEW_PHONE = "+33612345678", "+33698765432"
RECORD = IdentityRecord(
    account=Account("u1", "jean_d", registered_at=T0 - timedelta(days=400), closed_at=None),
    phone_numbers=(
        PhoneNumberPeriod(OLD_PHONE, since=T0 - timedelta(days=400), until=T0 + timedelta(days=15)),
        PhoneNumberPeriod(NEW_PHONE, since=T0 + timedelta(days=15), until=None),
    ),
    sessions=tuple(
        Session(
            observed_at=(T0 + timedelta(days=d)).astimezone(PARIS),
            ip_address=f"192.0.2.{d}",
            source_port=40000 + d,
        )
        for d in range(30)
    ),
)
SUB, IP = DataCategory.SUBSCRIBER, DataCategory.IDENTIFICATION


def scope(*categories: DataCategory, days: tuple[int, int] = (10, 19)) -> Scope:
    return Scope(frozenset(categories), T0 + timedelta(days=days[0]), T0 + timedelta(days=days[1]))


def header(approved: Scope, authority_id: str = "fr-parquet-paris") -> PackageHeader:
    return PackageHeader(
        request_id="6a8d7c1e-3b2f-4e55-9a41-0c2d9e8f7b10",
        authority_id=authority_id,
        instrument=Instrument.EU_EPOC,
        case_reference="PARQ-2026-1",
        scope=approved,
        generated_at=T0 + timedelta(days=40),
    )


def package(approved: Scope) -> bytes:
    return build_package(
        minimise(RECORD, approved),
        header=header(approved),
        platform_key=PLATFORM,
        authority_key=AUTHORITY.public_key(),
    )


def rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode())))


def test_the_package_opens_with_the_authority_key_and_holds_exactly_the_approved_rows() -> None:
    approved = scope(SUB, IP)
    opened = open_package(package(approved), AUTHORITY, PLATFORM.public_key())
    assert set(opened.files) == {
        "disclosure.json",
        "subscriber.csv",
        "phone_numbers.csv",
        "sessions.csv",
    }
    sessions = rows(opened.files["sessions.csv"])
    assert [s["ip_address"] for s in sessions] == [f"192.0.2.{d}" for d in range(10, 20)]
    assert sessions[0]["observed_at"] == "2026-01-11T01:00:00+01:00"  # its time zone kept
    assert sessions[0]["observed_at_utc"] == "2026-01-11T00:00:00+00:00"
    assert sessions[0]["source_port"] == "40010"
    # The number changed on day 15, inside the period: both are disclosed.
    assert [p["phone_number"] for p in rows(opened.files["phone_numbers.csv"])] == [
        OLD_PHONE,
        NEW_PHONE,
    ]
    assert opened.manifest["scope"]["categories"] == ["identification", "subscriber"]
    assert len(opened.manifest["sessions"]) == 10


def test_identification_only_discloses_no_subscriber_data() -> None:
    opened = open_package(package(scope(IP)), AUTHORITY, PLATFORM.public_key())
    assert set(opened.files) == {"disclosure.json", "sessions.csv"}
    text = b"".join(opened.files.values())
    for withheld in (OLD_PHONE.encode(), NEW_PHONE.encode(), b"jean_d"):
        assert withheld not in text


def test_subscriber_only_discloses_no_ip_address() -> None:
    opened = open_package(package(scope(SUB, days=(20, 25))), AUTHORITY, PLATFORM.public_key())
    assert set(opened.files) == {"disclosure.json", "subscriber.csv", "phone_numbers.csv"}
    assert b"192.0.2." not in b"".join(opened.files.values())
    # The old number ended on day 15, before the period: not disclosed.
    assert [p["phone_number"] for p in rows(opened.files["phone_numbers.csv"])] == [NEW_PHONE]


def test_a_shorter_period_discloses_only_its_sessions() -> None:
    opened = open_package(package(scope(IP, days=(3, 4))), AUTHORITY, PLATFORM.public_key())
    assert [s["ip_address"] for s in rows(opened.files["sessions.csv"])] == [
        "192.0.2.3",
        "192.0.2.4",
    ]


def test_the_package_hides_its_content() -> None:
    blob = package(scope(SUB, IP))
    assert blob.startswith(MAGIC)
    for secret in (OLD_PHONE.encode(), b"192.0.2.1", b"sessions.csv"):
        assert secret not in blob


def test_another_authority_cannot_open_it() -> None:
    with pytest.raises(PackageError, match="does not decrypt"):
        open_package(package(scope(IP)), X25519PrivateKey.generate(), PLATFORM.public_key())


def test_a_tampered_package_is_refused() -> None:
    blob = bytearray(package(scope(IP)))
    blob[-40] ^= 1
    with pytest.raises(PackageError):
        open_package(bytes(blob), AUTHORITY, PLATFORM.public_key())
    with pytest.raises(PackageError, match="not a Crible"):
        open_package(b"PK" + bytes(blob), AUTHORITY, PLATFORM.public_key())


def test_a_package_not_signed_by_the_platform_is_refused() -> None:
    approved = scope(IP)
    forged = build_package(
        minimise(RECORD, approved),
        header=header(approved),
        platform_key=Ed25519PrivateKey.generate(),  # an impostor encrypting to the authority
        authority_key=AUTHORITY.public_key(),
    )
    with pytest.raises(PackageError, match="not signed by the platform"):
        open_package(forged, AUTHORITY, PLATFORM.public_key())
