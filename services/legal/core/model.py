"""The legal service's domain: authorities, refusals with their legal source, approved scopes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.events.legal import DataCategory


class AuthorityKind(StrEnum):
    """What kind of body a registered authority is (it decides which instruments it may use)."""

    POLICE = "police"
    GENDARMERIE = "gendarmerie"
    PROSECUTOR = "prosecutor"
    INVESTIGATING_JUDGE = "investigating_judge"
    COURT = "court"


@dataclass(frozen=True, slots=True)
class Authority:
    """A registered authority, with the keys it signs requests and receives packages with."""

    authority_id: str
    country: str  # ISO 3166-1 alpha-2
    kind: AuthorityKind
    active: bool
    signing_key: bytes  # Ed25519 public key, raw 32 bytes
    encryption_key: bytes  # X25519 public key, raw 32 bytes


def fingerprint(value: bytes) -> str:
    """A key's or token hash's short fingerprint, as the audit chain and the console show it."""
    return "sha256:" + hashlib.sha256(value).hexdigest()[:16]


class RefusalGround(StrEnum):
    """The grounds transparency reports count refusals by."""

    UNVERIFIED_AUTHORITY = "unverified_authority"
    NO_LEGAL_BASIS = "no_legal_basis"
    OVER_BROAD = "over_broad"
    WRONG_JURISDICTION = "wrong_jurisdiction"


class RefusalCode(StrEnum):
    """Why a request was refused; stable codes, shown to the authority and counted."""

    # Submission (signature) refusals.
    SIGNATURE_MISSING = "signature_missing"
    SIGNATURE_MALFORMED = "signature_malformed"
    SIGNATURE_INVALID = "signature_invalid"
    TIMESTAMP_EXPIRED = "timestamp_expired"
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    NONCE_REPLAYED = "nonce_replayed"
    # Legal-basis refusals.
    AUTHORITY_UNKNOWN = "authority_unknown"
    AUTHORITY_INACTIVE = "authority_inactive"
    AUTHORITY_NOT_SUBMITTER = "authority_not_submitter"
    NOT_AN_AUTHORITY = "not_an_authority"
    ISSUER_NOT_ALLOWED = "issuer_not_allowed"
    AUTHORISATION_MISSING = "authorisation_missing"
    CATEGORY_NOT_ALLOWED_FOR_OFFENCE = "category_not_allowed_for_offence"
    CATEGORY_NOT_ALLOWED_FOR_ISSUER = "category_not_allowed_for_issuer"
    CATEGORY_NOT_ALLOWED_FOR_INSTRUMENT = "category_not_allowed_for_instrument"
    NOT_AN_EMERGENCY = "not_an_emergency"
    WRONG_JURISDICTION = "wrong_jurisdiction"
    DATE_RANGE_IN_FUTURE = "date_range_in_future"
    DATE_RANGE_NOT_HELD = "date_range_not_held"
    # An officer's refusals, after reading the request and its document (core/refusals.py).
    DOCUMENT_INVALID = "document_invalid"
    AUTHORITY_NOT_CONFIRMED = "authority_not_confirmed"
    OVER_BROAD = "over_broad"

    @property
    def ground(self) -> RefusalGround:
        """The transparency-report ground this refusal counts under."""
        return _GROUNDS.get(self, RefusalGround.NO_LEGAL_BASIS)


_GROUNDS = {
    **dict.fromkeys(
        (
            RefusalCode.SIGNATURE_MISSING,
            RefusalCode.SIGNATURE_MALFORMED,
            RefusalCode.SIGNATURE_INVALID,
            RefusalCode.TIMESTAMP_EXPIRED,
            RefusalCode.TIMESTAMP_IN_FUTURE,
            RefusalCode.NONCE_REPLAYED,
            RefusalCode.AUTHORITY_UNKNOWN,
            RefusalCode.AUTHORITY_INACTIVE,
            RefusalCode.AUTHORITY_NOT_SUBMITTER,
            RefusalCode.NOT_AN_AUTHORITY,
            RefusalCode.AUTHORITY_NOT_CONFIRMED,
        ),
        RefusalGround.UNVERIFIED_AUTHORITY,
    ),
    RefusalCode.WRONG_JURISDICTION: RefusalGround.WRONG_JURISDICTION,
    RefusalCode.DATE_RANGE_IN_FUTURE: RefusalGround.OVER_BROAD,
    RefusalCode.DATE_RANGE_NOT_HELD: RefusalGround.OVER_BROAD,
    RefusalCode.OVER_BROAD: RefusalGround.OVER_BROAD,
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """One reason to refuse, with the rule it comes from. ``detail`` never holds personal data."""

    code: RefusalCode
    article: str
    detail: str

    @property
    def ground(self) -> RefusalGround:
        """The transparency-report ground."""
        return self.code.ground


@dataclass(frozen=True, slots=True)
class Scope:
    """What may be disclosed: data categories and the period they cover (inclusive)."""

    categories: frozenset[DataCategory]
    date_from: datetime
    date_to: datetime

    def __post_init__(self) -> None:
        if not self.categories:
            raise ValueError("a scope needs at least one data category")
        if self.date_from.utcoffset() is None or self.date_to.utcoffset() is None:
            raise ValueError("a scope's dates need a time zone")
        if self.date_from > self.date_to:
            raise ValueError("a scope's start must not be after its end")

    def covers(self, moment: datetime) -> bool:
        """Whether ``moment`` falls in the period."""
        return self.date_from <= moment <= self.date_to
