"""Judicial requests and what became of them: ``legal.requests`` and ``legal.disclosures``.

The portal authenticates the authority, verifies the request's signature, stores the
request sealed (its target may be a phone number) and publishes a :class:`RequestReceived`
that names it without any personal data; the legal service then checks the legal basis
(``services.legal.core.rules``). :class:`LegalRequest` is the request itself, as stored.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from shared.events.base import Event, PlatformId, Text
from shared.events.identity import (
    USERNAME_PATTERN,
    PersonalDataError,
    normalise_phone_number,
)

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

#: Unicode categories a legal text never holds: C0 and C1 controls (Cc), format characters
#: (Cf: bidi overrides and isolates, zero-width spaces and joiners, the byte-order mark,
#: tags), lone surrogates (Cs), and line or paragraph separators (Zl, Zp). They hide or
#: reorder what an officer reads, and they would be copied into the disclosure package.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def plain_text(value: str) -> str:
    """``value`` in NFC; refused if it holds a control or invisible character.

    The message names no character and quotes nothing: the caller names the field.
    """
    value = unicodedata.normalize("NFC", value)
    if any(unicodedata.category(c) in _INVISIBLE for c in value):
        raise ValueError(
            "control or invisible characters (C0/C1 controls, bidi controls, zero-width "
            "characters) are not allowed"
        )
    return value


#: Free text of a legal request (an official's name, an offence, a case reference, a reason).
LegalText = Annotated[Text, AfterValidator(plain_text)]


class EmergencyGround(StrEnum):
    """Why a request is an emergency: an imminent threat (Regulation 2023/1543 art. 3(18))."""

    THREAT_TO_LIFE = "threat_to_life"
    THREAT_TO_PHYSICAL_INTEGRITY = "threat_to_physical_integrity"
    THREAT_TO_SAFETY = "threat_to_safety"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure"
    """An imminent threat to a critical infrastructure whose disruption would put lives at
    risk (art. 3(18))."""


class Instrument(StrEnum):
    """The legal instrument a request is made under."""

    FR_CPP_60_1 = "fr_cpp_60_1"
    """Réquisition in a flagrant-offence inquiry (Code de procédure pénale art. 60-1)."""
    FR_CPP_60_2 = "fr_cpp_60_2"
    """Preservation for up to one year, with a judge's authorisation (CPP art. 60-2)."""
    FR_CPP_77_1_1 = "fr_cpp_77_1_1"
    """Réquisition in a preliminary inquiry (CPP art. 77-1-1)."""
    FR_CPP_99_3 = "fr_cpp_99_3"
    """Réquisition by an investigating judge or on their commission (CPP art. 99-3)."""
    EU_EPOC = "eu_epoc"
    """European Production Order (Regulation (EU) 2023/1543)."""
    EU_EPOC_PR = "eu_epoc_pr"
    """European Preservation Order (Regulation (EU) 2023/1543)."""
    EMERGENCY_DISCLOSURE = "emergency_disclosure"
    """A request to disclose at once because a life is at imminent risk."""


class AuthorisationKind(StrEnum):
    """Who authorised (or validated) a request issued by police, where the law requires it."""

    PROSECUTOR = "prosecutor"
    INVESTIGATING_JUDGE = "investigating_judge"
    LIBERTIES_JUDGE = "liberties_judge"
    """Juge des libertés et de la détention, or another judge or court."""


class DataCategory(StrEnum):
    """The kinds of data a request may ask for."""

    SUBSCRIBER = "subscriber"
    """Who the account holder is: account, username, phone numbers."""
    IDENTIFICATION = "identification"
    """IP addresses, source ports and times, requested only to identify the user."""
    TRAFFIC = "traffic"
    """Other traffic data."""


class TargetKind(StrEnum):
    """How the request names the account."""

    PLATFORM_USER_ID = "platform_user_id"
    USERNAME = "username"
    PHONE_NUMBER = "phone_number"


class Official(Event):
    """The named official who issued the request."""

    name: LegalText = Field(min_length=1, max_length=200)
    title: LegalText | None = Field(default=None, max_length=200)


class Target(Event):
    """The account a request is about; ``value`` is normalised for its ``kind``."""

    model_config = ConfigDict(hide_input_in_errors=True)

    kind: TargetKind
    value: Text = Field(min_length=1, max_length=64)

    @model_validator(mode="after")
    def _normalise(self) -> Self:
        value = self.value
        if self.kind is TargetKind.PHONE_NUMBER:
            # The portal has turned national forms into international ones with the
            # authority's country; on the topic only E.164 is accepted.
            value = normalise_phone_number(value)
        elif self.kind is TargetKind.USERNAME:
            if _USERNAME.fullmatch(value) is None:
                raise PersonalDataError("username has characters a username cannot have")
            value = value.lower()
        elif _PLATFORM_ID.fullmatch(value) is None:
            raise PersonalDataError("platform user id has characters an id cannot have")
        object.__setattr__(self, "value", value)  # frozen model: set once, while validating
        return self


class LegalRequest(Event):
    """A judicial request received by the portal, kept sealed in ``legal.requests``."""

    model_config = ConfigDict(hide_input_in_errors=True)

    schema_version: Literal[1]
    request_id: UUID
    instrument: Instrument
    authority_id: PlatformId = Field(description="The registered authority that signed it.")
    official: Official
    authorised_by: AuthorisationKind | None = Field(
        default=None,
        description="Who authorised a request issued by police (CPP 77-1-1: the prosecutor; "
        "99-3: the investigating judge; 60-2: a judge; EPOC: the validating authority).",
    )
    case_reference: LegalText = Field(min_length=1, max_length=128)
    offence: LegalText = Field(
        min_length=1, max_length=500, description="The offence investigated."
    )
    max_penalty_years: float = Field(
        ge=0, le=100, description="Maximum custodial sentence in years (life: 100)."
    )
    committed_online: bool = Field(
        description="Committed by means of an electronic communications network."
    )
    emergency: bool = Field(description="Imminent threat to life, physical integrity or safety.")
    emergency_ground: EmergencyGround | None = Field(
        default=None,
        description="What the emergency threatens (required with emergency: the portal "
        "refuses an emergency without it).",
    )
    target: Target
    categories: tuple[DataCategory, ...] = Field(min_length=1, max_length=3)
    date_from: AwareDatetime
    date_to: AwareDatetime
    document_sha256: Sha256Hex = Field(description="SHA-256 of the signed legal document.")
    non_disclosure_until: date | None = Field(
        default=None, description="End of a non-disclosure order: no user notice before it."
    )
    received_at: AwareDatetime

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.categories)) != len(self.categories):
            raise ValueError("categories must not repeat")
        if self.date_from > self.date_to:
            raise ValueError("date_from must not be after date_to")
        return self


class RequestReceived(Event):
    """On ``legal.requests``: a verified request is stored and waits for its legal checks.

    Ids only: the target, the official and the document stay sealed in the database.
    """

    schema_version: Literal[1]
    request_id: UUID
    authority_id: PlatformId
    instrument: Instrument
    emergency: bool
    document_sha256: Sha256Hex
    received_at: AwareDatetime


class DisclosureEventType(StrEnum):
    """What happened to a request's answer."""

    PACKAGE_READY = "disclosure.package_ready"
    DOWNLOADED = "disclosure.downloaded"
    NO_DATA = "disclosure.no_data"
    REFUSED = "disclosure.refused"


class DisclosureEvent(Event):
    """The state of a request's answer, on ``legal.disclosures``: ids and counts only.

    The package itself never travels on a topic; the authority downloads it from the portal.
    """

    schema_version: Literal[1]
    event_id: UUID = Field(description="Unique per event; consumers deduplicate on it.")
    event_type: DisclosureEventType
    request_id: UUID
    authority_id: PlatformId
    instrument: Instrument
    categories: tuple[DataCategory, ...] = Field(
        default=(), max_length=3, description="The approved categories (none when refused)."
    )
    record_counts: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict,
        description="Rows disclosed per part: subscriber, phone_numbers, sessions.",
    )
    refusal_codes: tuple[Text, ...] = Field(default=(), max_length=32)
    package_sha256: Sha256Hex | None = None
    occurred_at: AwareDatetime


class AuditCheckpoint(Event):
    """On ``legal.audit.checkpoints``: the audit chain's size and head, signed by the platform.

    ``note`` is authoritative: a C2SP signed note (``tlog-checkpoint`` body) that an auditor
    verifies with the platform's Ed25519 public key; the other fields repeat it for reading.
    """

    schema_version: Literal[1]
    origin: Text = Field(min_length=1, max_length=200)
    size: int = Field(ge=0, description="Entries in the chain when it was signed.")
    head: Text = Field(description="Base64 of the hash of entry `size` (the chain's head).")
    signed_at: AwareDatetime
    note: Text = Field(max_length=4096, description="The signed note.")


_USERNAME = re.compile(USERNAME_PATTERN)
_PLATFORM_ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")  # as ``PlatformId``

__all__ = [
    "AuditCheckpoint",
    "AuthorisationKind",
    "DataCategory",
    "DisclosureEvent",
    "DisclosureEventType",
    "EmergencyGround",
    "Instrument",
    "LegalRequest",
    "LegalText",
    "Official",
    "PersonalDataError",
    "RequestReceived",
    "Target",
    "TargetKind",
]
