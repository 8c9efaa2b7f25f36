"""Account identity and connection events, published by platform back ends on ``identity.events``.

They carry personal data (phone numbers, IP addresses). Every field is validated and
normalised here, and no validation error ever echoes the value: the models hide their input
in errors, and the normalisers below raise messages that name the problem, never the value.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Annotated, Literal

import phonenumbers
from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, RootModel, StringConstraints

from shared.events.base import Event, PlatformId


class PersonalDataError(ValueError):
    """A phone number or IP address that cannot be used; the message never holds the value."""


def normalise_phone_number(raw: str, *, region: str | None = None) -> str:
    """``raw`` in E.164 (``+33612345678``); ``region`` (ISO 3166 alpha-2) reads national forms."""
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        # The library's message may quote the input: raise our own, from nothing.
        raise PersonalDataError("phone number cannot be parsed") from None
    if not phonenumbers.is_valid_number(parsed):
        raise PersonalDataError("phone number is not a valid number for its country code")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_ip_address(raw: str) -> str:
    """The canonical text of an IPv4 or IPv6 address (IPv4-mapped IPv6 becomes IPv4)."""
    try:
        address = ipaddress.ip_address(raw.strip())
    except ValueError:
        raise PersonalDataError("IP address is neither IPv4 nor IPv6") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # The same client seen through a dual-stack socket must compare equal.
        return str(address.ipv4_mapped)
    return str(address)


#: A phone number in international form, stored as E.164. Platform back ends send it with its
#: ``+`` and country code; separators are accepted and removed.
PhoneNumber = Annotated[
    str,
    StringConstraints(min_length=3, max_length=32, pattern=r"^\+[0-9 ().\-]+$"),
    AfterValidator(normalise_phone_number),
]
#: An IPv4 or IPv6 address, stored in canonical text form.
IpAddress = Annotated[
    str,
    StringConstraints(max_length=64, pattern=r"^[^\s\x00]+$"),
    AfterValidator(normalise_ip_address),
]
USERNAME_PATTERN = r"^[A-Za-z0-9_.]{1,64}$"
#: A public username; compared case-insensitively, so kept in lower case.
Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN, to_lower=True)]


class IdentityEventType(StrEnum):
    """What happened to the account."""

    ACCOUNT_REGISTERED = "account.registered"
    PHONE_NUMBER_CHANGED = "account.phone_number_changed"
    USERNAME_CHANGED = "account.username_changed"
    ACCOUNT_CLOSED = "account.closed"
    SESSION_OBSERVED = "session.observed"


class _IdentityEvent(Event):
    """What every identity event carries."""

    # Personal data: a validation error must not quote the input.
    model_config = ConfigDict(hide_input_in_errors=True)

    schema_version: Literal[1]
    event_id: PlatformId = Field(description="Unique per event; a redelivery carries the same id.")
    platform_user_id: PlatformId
    occurred_at: AwareDatetime = Field(
        description="When it happened on the platform, with its UTC offset (kept as sent)."
    )


class AccountRegistered(_IdentityEvent):
    """An account was created with a phone number."""

    event_type: Literal[IdentityEventType.ACCOUNT_REGISTERED]
    phone_number: PhoneNumber
    username: Username | None = None


class PhoneNumberChanged(_IdentityEvent):
    """The account's phone number changed; the previous one stays in its history."""

    event_type: Literal[IdentityEventType.PHONE_NUMBER_CHANGED]
    phone_number: PhoneNumber


class UsernameChanged(_IdentityEvent):
    """The account's public username changed or was removed (``None``)."""

    event_type: Literal[IdentityEventType.USERNAME_CHANGED]
    username: Username | None


class AccountClosed(_IdentityEvent):
    """The account ended; retention periods that run from its end start now."""

    event_type: Literal[IdentityEventType.ACCOUNT_CLOSED]


class SessionObserved(_IdentityEvent):
    """A connection of the account: the IP address and source port it came from.

    ``occurred_at`` is the connection time with its UTC offset: with a shared (CGNAT) address,
    the source port and the exact time are what identify the subscriber.
    """

    event_type: Literal[IdentityEventType.SESSION_OBSERVED]
    ip_address: IpAddress
    source_port: int = Field(ge=1, le=65535)


AnyIdentityEvent = Annotated[
    AccountRegistered | PhoneNumberChanged | UsernameChanged | AccountClosed | SessionObserved,
    Field(discriminator="event_type"),
]


class IdentityEvent(RootModel[AnyIdentityEvent]):
    """One message on ``identity.events``: one of the event types, chosen by ``event_type``."""

    model_config = ConfigDict(strict=True, frozen=True, hide_input_in_errors=True)
