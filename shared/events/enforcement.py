"""Enforcement actions, published by dispatch on ``enforcement.actions`` for the platform."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from shared.events.base import Event, Text
from shared.events.reports import Category, Subject


class Action(StrEnum):
    """One concrete measure the platform carries out."""

    DELETE_MESSAGE = "delete_message"
    #: A user's display name, photo or bio.
    REMOVE_PROFILE_CONTENT = "remove_profile_content"
    #: A group's or channel's title, photo or description.
    REMOVE_CHAT_PROFILE = "remove_chat_profile"
    RESTRICT_ACCOUNT = "restrict_account"
    SUSPEND_ACCOUNT = "suspend_account"
    BAN_ACCOUNT = "ban_account"
    BAN_GROUP = "ban_group"
    BAN_CHANNEL = "ban_channel"
    #: Keep the content and its metadata out of retention deletion for the authority.
    PRESERVE_EVIDENCE = "preserve_evidence"
    REFER_TO_AUTHORITIES = "refer_to_authorities"


#: Measures that remove or make unreachable what they act on: evidence goes with them.
REMOVALS = frozenset(
    {
        Action.DELETE_MESSAGE,
        Action.REMOVE_PROFILE_CONTENT,
        Action.REMOVE_CHAT_PROFILE,
        Action.BAN_ACCOUNT,
        Action.BAN_GROUP,
        Action.BAN_CHANNEL,
    }
)
#: Categories whose evidence the law keeps (child sexual abuse: the authorities are told and
#: the material kept for them; terrorist content: Regulation 2021/784 art. 6): an action that
#: removes anything preserves the evidence and refers it first.
EVIDENCE_CATEGORIES = frozenset({Category.CHILD_SEXUAL_ABUSE, Category.TERRORISM})


class Target(StrEnum):
    """Whom an action applies to."""

    #: The reported thing itself.
    SUBJECT = "subject"
    #: A message's sender, or a group's or channel's owner; the platform knows who that is.
    OWNER = "owner"


class Measure(Event):
    """One action on one target."""

    action: Action
    target: Target


class EnforcementAction(Event):
    """What the platform must do to a subject (key: the case id).

    A reversal (``reverses`` set) asks the platform to undo the measures of that earlier
    action, e.g. content removed automatically that a reviewer found lawful.
    """

    schema_version: Literal[1]
    action_id: UUID = Field(description="Stable: a redelivery carries the same id.")
    case_id: UUID
    case_revision: int = Field(ge=1)
    subject: Subject
    category: Category
    measures: tuple[Measure, ...] = Field(
        min_length=1,
        max_length=8,
        description="Carried out in this order. `preserve_evidence` comes before any measure "
        "that removes (delete_message, remove_profile_content, remove_chat_profile, "
        "ban_account, ban_group, ban_channel); in child_sexual_abuse and "
        "terrorism_violent_extremism an action (not a reversal) that removes anything starts "
        "with preserve_evidence then refer_to_authorities.",
    )
    automatic: bool = Field(description="Taken on the screening's verdict, before any person.")
    verdict_id: UUID | None = Field(default=None, description="The verdict that acted, if so.")
    decision_id: UUID | None = Field(default=None, description="The review decision, if any.")
    reverses: UUID | None = Field(default=None, description="The action this one undoes.")
    reason: Annotated[Text, StringConstraints(min_length=1, max_length=128)]
    issued_at: AwareDatetime

    @model_validator(mode="after")
    def _evidence_before_removal(self) -> EnforcementAction:
        """Evidence is never destroyed before it is kept (see ``measures``)."""
        actions = [m.action for m in self.measures]
        first_removal = next((i for i, a in enumerate(actions) if a in REMOVALS), None)
        if first_removal is None:
            return self
        if Action.PRESERVE_EVIDENCE in actions[first_removal:]:
            raise ValueError("preserve_evidence must come before any measure that removes")
        if self.reverses is None and self.category in EVIDENCE_CATEGORIES:
            before = actions[:first_removal]
            if before[:2] != [Action.PRESERVE_EVIDENCE, Action.REFER_TO_AUTHORITIES]:
                raise ValueError(
                    f"in {self.category}, removal starts with preserve_evidence then "
                    "refer_to_authorities"
                )
        return self
