"""Decisions taken by human reviewers (or automatically confirmed), on ``review.decisions``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from shared.events.base import Event, PlatformId, Text
from shared.events.reports import Category, Subject


class DecisionOutcome(StrEnum):
    """What a reviewer decided about a case."""

    NO_VIOLATION = "no_violation"
    REMOVE_CONTENT = "remove_content"
    RESTRICT_USER = "restrict_user"
    SUSPEND_USER = "suspend_user"
    BAN_USER = "ban_user"
    BAN_GROUP_OR_CHANNEL = "ban_group_or_channel"
    REPORT_TO_AUTHORITIES = "report_to_authorities"


class ReviewDecision(Event):
    """One decision on one case revision (key: the case id).

    Every decision is published, the first of a dual review too (``final`` false), so that
    other services and audit can follow; only a final decision closes the case revision.
    """

    schema_version: Literal[1]
    decision_id: UUID = Field(description="Unique; a redelivery carries the same id.")
    case_id: UUID
    case_revision: int = Field(ge=1)
    subject: Subject
    category: Category
    outcome: DecisionOutcome
    policy_reason: Annotated[
        str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w.:/\-]+$")
    ] = Field(description="The policy clause applied, e.g. `tos.spam.1` or `fr.cp.421-2-5`.")
    explanation: Annotated[Text, StringConstraints(max_length=2000)] = Field(
        description="The reviewer's free text (never personal data of the users concerned)."
    )
    reviewer_id: PlatformId = Field(description="The reviewer, by Crible reviewer id.")
    final: bool = Field(description="Closes the case revision (false: first of two reviews).")
    reverses: UUID | None = Field(
        default=None, description="The earlier decision (or automatic action) this reverses."
    )
    decided_at: AwareDatetime


class StatementIssued(Event):
    """A DSA statement of reasons of a restrictive decision (key: the case id).

    ``statement`` follows the EU DSA Transparency Database's format exactly (see
    ``services/dispatch/core/statements/``, which builds and validates it); no personal data.
    """

    schema_version: Literal[1]
    puid: Annotated[Text, StringConstraints(min_length=1, max_length=500)]
    decision_id: UUID
    case_id: UUID
    statement: dict[str, Any]
    issued_at: AwareDatetime
