"""Notices Crible asks the platform to deliver to its users, on ``user.notifications``.

The platform knows how to reach its users; Crible only says whom (the platform user id,
the one personal datum here) and what about.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from shared.events.base import Event, PlatformId
from shared.events.legal import DataCategory, Instrument


class NoticeKind(StrEnum):
    """What the user is told about."""

    LEGAL_DISCLOSURE = "legal.disclosure"
    """Data about the account was disclosed to an authority under a legal request."""


class UserNotification(Event):
    """A notice for one user; ``notification_id`` is stable, so a redelivery is harmless."""

    schema_version: Literal[1]
    notification_id: UUID = Field(description="Stable per notice: deduplicate on it.")
    kind: NoticeKind
    platform_user_id: PlatformId
    instrument: Instrument
    categories: tuple[DataCategory, ...] = Field(max_length=3)
    authority_country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.")
    disclosed_at: AwareDatetime
    delayed: bool = Field(description="Sent late: a non-disclosure order or an emergency.")
    sent_at: AwareDatetime
