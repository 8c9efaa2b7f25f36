"""User reports, as platform back ends submit them and as ingest accepts them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from shared.events.base import Event, LanguageTag, PlatformId, Text

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Md5Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
PdqHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
#: A link as the reporter's client sent it: any scheme case, defanged (``hxxp://a[.]b``) or
#: not a link at all. Pre-screening reads what it can and notes what it sets aside; a report
#: is never refused for one odd link.
Url = Annotated[Text, StringConstraints(min_length=1, max_length=2048)]


class Category(StrEnum):
    """What a report says is wrong, aligned with the EU DSA statements-of-reasons taxonomy."""

    CHILD_SEXUAL_ABUSE = "child_sexual_abuse"
    TERRORISM = "terrorism_violent_extremism"
    ILLEGAL_GOODS = "illegal_goods_drugs"
    IP_INFRINGEMENT = "ip_infringement"
    FRAUD = "fraud_scam"
    NON_CONSENSUAL_IMAGERY = "non_consensual_intimate_imagery"
    HATE_SPEECH = "hate_speech"
    HARASSMENT = "harassment_threats"
    SELF_HARM = "self_harm"
    SPAM = "spam"
    OTHER = "other"


class SubjectKind(StrEnum):
    """The kind of thing a report is about."""

    MESSAGE = "message"
    USER = "user"
    GROUP = "group"
    CHANNEL = "channel"


class Subject(Event):
    """The reported thing, named by platform ids."""

    kind: SubjectKind
    id: PlatformId = Field(
        description="Platform id of the user, group or channel; for a message, its id in the chat."
    )
    chat_id: PlatformId | None = Field(
        default=None, description="The chat of a reported message; required for messages only."
    )

    @model_validator(mode="after")
    def _chat_only_for_messages(self) -> Self:
        if (self.kind is SubjectKind.MESSAGE) != (self.chat_id is not None):
            raise ValueError("chat_id is required for a message subject and forbidden otherwise")
        return self

    def key(self) -> str:
        """A stable string naming this subject, used as the Kafka key of its events."""
        if self.chat_id is not None:
            return f"{self.kind}:{self.chat_id}:{self.id}"
        return f"{self.kind}:{self.id}"


class MediaHashes(Event):
    """Hashes of one reported media file; the media itself never travels through Crible."""

    sha256: Sha256Hex | None = None
    md5: Md5Hex | None = None
    pdq: PdqHex | None = None
    pdq_quality: int | None = Field(default=None, ge=0, le=100)
    pdq_dihedral: tuple[PdqHex, ...] = Field(
        default=(),
        max_length=7,
        description="The PDQ hashes of the image's other dihedral transforms (rotated by 90, "
        "180 and 270 degrees, flipped, transposed), which PDQ's reference implementation "
        "computes in the same pass as `pdq`: a mirrored or rotated copy of a banked image "
        "matches through them. Requires `pdq`.",
    )

    @model_validator(mode="after")
    def _at_least_one_hash(self) -> Self:
        if self.sha256 is None and self.md5 is None and self.pdq is None:
            raise ValueError("a media entry needs at least one of sha256, md5, pdq")
        if self.pdq_dihedral and self.pdq is None:
            raise ValueError("pdq_dihedral needs pdq")
        return self


class Evidence(Event):
    """What the reporter's client attached: an excerpt, media hashes, links."""

    message_excerpt: Text | None = Field(default=None, max_length=4096)
    media: tuple[MediaHashes, ...] = Field(default=(), max_length=16)
    urls: tuple[Url, ...] = Field(default=(), max_length=16)


class ReportSubmitted(Event):
    """A user's report, published by a platform back end on ``reports.submitted``."""

    schema_version: Literal[1]
    report_id: PlatformId = Field(
        description="Unique per report; a redelivery carries the same id."
    )
    reported_at: AwareDatetime
    reporter_id: PlatformId
    reporter_language: LanguageTag
    subject: Subject
    category: Category
    text: Text | None = Field(
        default=None, max_length=2000, description="The reporter's own words."
    )
    evidence: Evidence | None = None


class ReportAccepted(Event):
    """A report ingest stored and counted into a case, published on ``reports.accepted``."""

    schema_version: Literal[1]
    report: ReportSubmitted = Field(description="The report, as validated (compact JSON).")
    case_id: UUID
    case_revision: int = Field(ge=1)
    repeat: bool = Field(description="The reporter had already reported this case revision.")
    accepted_at: datetime
