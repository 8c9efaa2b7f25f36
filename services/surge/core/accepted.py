"""What surge reads of a ``reports.accepted`` event: its fields, validated in one pass.

ingest writes the whole ``ReportAccepted``; surge reads six of its fields. Any Kafka client
can publish on the topic, so those are still checked, with the contract's own types, by
pydantic-core in one pass over the raw bytes; the rest (the report's text and evidence, the
case) is skipped unread. Validating all of it was about a tenth of surge's time.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.events.base import PlatformId
from shared.events.reports import Category, Subject


class ReportSeen(BaseModel):
    """The fields of ``ReportSubmitted`` surge reads, typed as the contract types them."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, title="ReportSubmitted")

    schema_version: Literal[1]
    report_id: PlatformId
    reported_at: AwareDatetime
    reporter_id: PlatformId
    subject: Subject
    category: Category


class AcceptedSeen(BaseModel):
    """The fields of ``ReportAccepted`` surge reads (the report's, and whether it repeats)."""

    # Refusals (the dead letters' reasons) name the contract, as every consumer's do.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, title="ReportAccepted")

    schema_version: Literal[1]
    report: ReportSeen
    repeat: bool
