"""Case lifecycle events published by ingest on ``cases``."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from shared.events.base import Event, LanguageTag
from shared.events.reports import Category, ReportSubmitted, Subject

#: Most reports a case event carries in full; the counts always cover them all.
MAX_REPORTS_PER_EVENT = 20


class CaseEventType(StrEnum):
    """What happened to the case."""

    OPENED = "case.opened"
    UPDATED = "case.updated"
    REOPENED = "case.reopened"


class CaseEvent(Event):
    """The state of one case revision after new reports joined it."""

    schema_version: Literal[1]
    event_id: UUID = Field(description="Stable per case state; consumers deduplicate on it.")
    event_type: CaseEventType
    case_id: UUID = Field(description="One case per subject and category.")
    revision: int = Field(ge=1, description="Grows by one each time a decided case reopens.")
    subject: Subject
    category: Category
    report_count: int = Field(ge=1, description="Reports in this revision, repeats included.")
    reporter_count: int = Field(ge=1, description="Distinct reporters in this revision.")
    first_reported_at: AwareDatetime
    last_reported_at: AwareDatetime
    reporter_languages: tuple[LanguageTag, ...]
    new_report_count: int = Field(ge=1, description="Reports that joined since the last event.")
    new_reports: tuple[ReportSubmitted, ...] = Field(
        max_length=MAX_REPORTS_PER_EVENT,
        description="The latest of the new reports, exactly as submitted.",
    )
    occurred_at: AwareDatetime
