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
#: Most bytes of (compact JSON) reports a case event carries: with everything else an event
#: holds, it stays well under the ``cases`` topic's 1 MiB ``max.message.bytes`` whatever the
#: reports contain (each report is bounded by its own field limits, about 80 KiB at most).
MAX_REPORT_BYTES_PER_EVENT = 512 * 1024
#: Most reporter languages a case keeps (the first ones seen): bounds the event's size.
MAX_LANGUAGES_PER_CASE = 32


class CaseEventType(StrEnum):
    """What happened to the case."""

    OPENED = "case.opened"
    UPDATED = "case.updated"
    REOPENED = "case.reopened"


class CaseEvent(Event):
    """The state of one case revision after new reports joined it.

    A case's events are ordered by ``(revision, report_count)``: both only grow. Events of
    one case normally arrive in that order (one key, one partition); a consumer that must
    never go back ignores an event whose pair is not above the last one it applied (one
    could arrive late after a worker crash, or when reports of one case came in on
    different partitions).
    """

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
    reporter_languages: tuple[LanguageTag, ...] = Field(max_length=MAX_LANGUAGES_PER_CASE)
    new_report_count: int = Field(ge=1, description="Reports that joined since the last event.")
    new_reports: tuple[ReportSubmitted, ...] = Field(
        max_length=MAX_REPORTS_PER_EVENT,
        description="The latest of the new reports, as validated (compact JSON), as many as "
        f"fit {MAX_REPORT_BYTES_PER_EVENT} bytes (at most {MAX_REPORTS_PER_EVENT}).",
    )
    occurred_at: AwareDatetime
