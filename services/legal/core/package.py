"""The disclosure package: minimised, signed by the platform, encrypted to the authority.

:func:`minimise` keeps only the approved categories and period (minimisation is enforced
here, whatever the store returned); :func:`build_package` lays the data out as JSON and CSV
files in a zip archive, signs the archive with the platform's Ed25519 key and encrypts
signature and archive to the authority's registered X25519 key with HPKE (RFC 9180: DHKEM
X25519, HKDF-SHA256, AES-256-GCM, from ``cryptography``). :func:`open_package` is what the
authority runs: it decrypts with its private key and verifies the platform's signature.

Layout of a package: ``CRIBLEPKG1`` then the HPKE ciphertext (encapsulated key first) of
the 64-byte signature followed by the zip archive. The signature covers a domain label, the
recipient authority id and the archive, so a package cannot be passed off to another one.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from services.legal.core.model import Scope
from shared.events.legal import DataCategory, Instrument

FORMAT = "crible-disclosure-v1"
MAGIC = b"CRIBLEPKG1"
_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
_INFO = FORMAT.encode()
_SIGNATURE_BYTES = 64
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed: the same data always gives the same archive


class PackageError(Exception):
    """A package that cannot be opened: not one, wrong key, or not signed by the platform."""


@dataclass(frozen=True, slots=True)
class Account:
    """The account as the identity store holds it (decrypted inside the service only)."""

    platform_user_id: str
    username: str | None
    registered_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class PhoneNumberPeriod:
    """A phone number and the period the account had it (``until`` None: still has it)."""

    phone_number: str
    since: datetime
    until: datetime | None


@dataclass(frozen=True, slots=True)
class Session:
    """One connection: time with its UTC offset as observed, IP address, source port."""

    observed_at: datetime
    ip_address: str
    source_port: int
    #: The same instant in UTC, when the store already has it (spares a conversion per row).
    observed_at_utc: datetime | None = None


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    """What the store holds for one account."""

    account: Account
    phone_numbers: tuple[PhoneNumberPeriod, ...] = ()
    sessions: tuple[Session, ...] = ()


@dataclass(frozen=True, slots=True)
class Disclosure:
    """What may be disclosed: ``None`` for a part outside the approved categories."""

    platform_user_id: str
    account: Account | None
    phone_numbers: tuple[PhoneNumberPeriod, ...] | None
    sessions: tuple[Session, ...] | None


def minimise(record: IdentityRecord, scope: Scope) -> Disclosure:
    """Only the approved categories and the part of them inside the approved period.

    Subscriber data: the account and the phone numbers it had during the period.
    Identification data: the sessions observed during the period. The identity store holds
    no other traffic data, so an approved ``traffic`` category adds nothing here.
    """
    subscriber = DataCategory.SUBSCRIBER in scope.categories
    identification = DataCategory.IDENTIFICATION in scope.categories
    return Disclosure(
        platform_user_id=record.account.platform_user_id,
        account=record.account if subscriber else None,
        phone_numbers=tuple(
            p
            for p in record.phone_numbers
            if p.since <= scope.date_to and (p.until is None or p.until >= scope.date_from)
        )
        if subscriber
        else None,
        sessions=tuple(
            s for s in record.sessions if scope.covers(s.observed_at_utc or s.observed_at)
        )
        if identification
        else None,
    )


@dataclass(frozen=True, slots=True)
class PackageHeader:
    """What the package says about itself (in ``disclosure.json``)."""

    request_id: str
    authority_id: str
    instrument: Instrument
    case_reference: str
    scope: Scope
    generated_at: datetime


def build_package(
    disclosure: Disclosure,
    *,
    header: PackageHeader,
    platform_key: Ed25519PrivateKey,
    authority_key: X25519PublicKey,
) -> bytes:
    """The encrypted, signed package for the authority named in ``header``."""
    archive = _archive(render_files(disclosure, header))
    signature = platform_key.sign(_signed_bytes(header.authority_id, archive))
    return MAGIC + _SUITE.encrypt(signature + archive, authority_key, info=_INFO)


@dataclass(frozen=True, slots=True)
class OpenedPackage:
    """A verified, decrypted package: its files and its parsed ``disclosure.json``."""

    files: dict[str, bytes]
    manifest: dict[str, Any]


def open_package(
    blob: bytes, authority_private_key: X25519PrivateKey, platform_public_key: Ed25519PublicKey
) -> OpenedPackage:
    """Decrypt with the authority's key and verify the platform's signature (authority side)."""
    if not blob.startswith(MAGIC):
        raise PackageError("not a Crible disclosure package")
    try:
        plaintext = _SUITE.decrypt(blob[len(MAGIC) :], authority_private_key, info=_INFO)
    except (InvalidTag, ValueError) as error:
        raise PackageError("package does not decrypt with this key, or was altered") from error
    signature, archive = plaintext[:_SIGNATURE_BYTES], plaintext[_SIGNATURE_BYTES:]
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            files = {name: zipped.read(name) for name in zipped.namelist()}
        manifest = json.loads(files["disclosure.json"])
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise PackageError("package content is not a disclosure archive") from error
    try:
        platform_public_key.verify(signature, _signed_bytes(str(manifest["authority_id"]), archive))
    except (InvalidSignature, KeyError) as error:
        raise PackageError("package is not signed by the platform") from error
    return OpenedPackage(files, manifest)


def _signed_bytes(authority_id: str, archive: bytes) -> bytes:
    return FORMAT.encode() + b"\x00" + authority_id.encode() + b"\x00" + archive


def render_files(disclosure: Disclosure, header: PackageHeader) -> dict[str, bytes]:
    """File name to content: ``disclosure.json`` always, a CSV per disclosed part."""
    files: dict[str, bytes] = {}
    document: dict[str, Any] = {
        "format": FORMAT,
        "request_id": header.request_id,
        "authority_id": header.authority_id,
        "instrument": header.instrument.value,
        "case_reference": header.case_reference,
        "scope": {
            "categories": sorted(c.value for c in header.scope.categories),
            "date_from": header.scope.date_from.isoformat(),
            "date_to": header.scope.date_to.isoformat(),
        },
        "generated_at": header.generated_at.isoformat(),
        "platform_user_id": disclosure.platform_user_id,
    }
    if disclosure.account is not None:
        account = disclosure.account
        document["subscriber"] = {
            "platform_user_id": account.platform_user_id,
            "username": account.username,
            "registered_at": account.registered_at.isoformat(),
            "closed_at": None if account.closed_at is None else account.closed_at.isoformat(),
        }
        files["subscriber.csv"] = _csv(
            ("platform_user_id", "username", "registered_at", "closed_at"),
            [tuple(document["subscriber"].values())],
        )
    if disclosure.phone_numbers is not None:
        rows = [
            (p.phone_number, p.since.isoformat(), "" if p.until is None else p.until.isoformat())
            for p in disclosure.phone_numbers
        ]
        document["phone_numbers"] = [
            {"phone_number": n, "since": s, "until": u or None} for n, s, u in rows
        ]
        files["phone_numbers.csv"] = _csv(("phone_number", "since", "until"), rows)
    if disclosure.sessions is not None:
        session_rows = [_session_row(s) for s in disclosure.sessions]
        document["sessions"] = [
            dict(zip(_SESSION_COLUMNS, row, strict=True)) for row in session_rows
        ]
        files["sessions.csv"] = _csv(_SESSION_COLUMNS, session_rows)
    files["disclosure.json"] = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    return files


_SESSION_COLUMNS = ("observed_at", "observed_at_utc", "ip_address", "source_port")


def _session_row(session: Session) -> tuple[str, str, str, int]:
    # The time as observed keeps its UTC offset (what the authority matches against an ISP's
    # NAT logs); the UTC column saves a conversion.
    at, utc = session.observed_at, session.observed_at_utc
    utc = at.astimezone(UTC) if utc is None else utc
    return (at.isoformat(), utc.isoformat(), session.ip_address, session.source_port)


def _csv(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> bytes:
    # Values are E.164 numbers, canonical IP addresses, ids and ISO times, written as they
    # are (evidence is not rewritten); a spreadsheet may show E.164 without its '+': the
    # JSON file is the reference.
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    if any(v is None for row in rows for v in row):
        writer.writerows(["" if v is None else v for v in row] for row in rows)
    else:  # a year of sessions has no empty cell: written as they are, twice as fast
        writer.writerows(rows)
    return out.getvalue().encode()


def _archive(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    # The fastest deflate level: a package of 100,000 sessions must be ready within seconds,
    # and level 6 bought a few percent of size for a fifth of the build time.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zipped:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zipped.writestr(info, files[name], compresslevel=1)
    return out.getvalue()
