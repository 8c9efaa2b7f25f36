"""DSA statements of reasons of restrictions, automatic or decided by a person.

One statement per restriction (DSA art. 17): the automatic removal of an ``act_now``
verdict has its own (``AUTOMATED_DECISION_FULLY``), a person's decision that restricts
something new has one (``AUTOMATED_DECISION_NOT_AUTOMATED``), and a decision confirming
what is already in force adds none. The ground is the catalogue's reason
(``core/reasons.py``): an article of a law gives the illegal-content ground and restricts the
content where that law applies, a clause of the terms the incompatible-content ground with
the clause's own text, where the terms apply. The texts are standard wording from the
catalogue, never a reviewer's free text: the Commission publishes statements, and free
text may name people. Each statement is published on ``statements.of_reasons`` and kept in
``dispatch.statements`` for submission to the Transparency Database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from services.dispatch.core.decisions import Outcome
from services.dispatch.core.reasons import Ground, PolicyReason
from services.dispatch.core.statements.building import (
    DecisionFacts,
    IllegalContent,
    IncompatibleContent,
    build_statement,
)
from services.dispatch.core.statements.format import ContentType, CountryCode
from shared.events.reports import Category, SubjectKind

#: What an automatic action does (``intake.automatic_measures``): the content goes.
AUTOMATIC_OUTCOME = Outcome.REMOVE_CONTENT

#: What a statement says of the content, by what was reported (the format's content types).
_CONTENT_TYPES: dict[SubjectKind, tuple[ContentType, str | None]] = {
    SubjectKind.MESSAGE: ("CONTENT_TYPE_TEXT", None),
    SubjectKind.USER: ("CONTENT_TYPE_OTHER", "Account profile"),
    SubjectKind.GROUP: ("CONTENT_TYPE_OTHER", "Group"),
    SubjectKind.CHANNEL: ("CONTENT_TYPE_OTHER", "Channel"),
}


@dataclass(frozen=True, slots=True)
class Restriction:
    """What a statement needs to know of a restriction."""

    #: The decision's (or automatic action's) id; the PUID derives from it.
    decision_id: uuid.UUID
    category: Category
    #: The category reporters chose.
    reported_as: str
    subject_kind: SubjectKind
    outcome: Outcome
    #: The catalogue's reason: its ground, the article or clause, where it applies.
    reason: PolicyReason
    opened_at: datetime
    #: Whether screening found something (a match of a bank, rule, list or model).
    detected: bool
    #: Whether no person took part (an automatic act_now action).
    automated: bool


def statement_of(restriction: Restriction, *, now: datetime) -> dict[str, Any] | None:
    """The statement of reasons, in the Transparency Database's format."""
    r = restriction
    content_type, content_other = _CONTENT_TYPES[r.subject_kind]
    label = r.category.value.replace("_", " ")
    ground: IllegalContent | IncompatibleContent
    if r.reason.ground is Ground.LAW:
        ground = IllegalContent(legal_ground=r.reason.ground_text, explanation=r.reason.explanation)
    else:
        ground = IncompatibleContent(clause=r.reason.ground_text, explanation=r.reason.explanation)
    if r.automated:
        how = (
            "matched by automated screening and removed automatically; a trained moderator "
            "reviews the removal"
        )
    else:
        detected = "flagged by automated screening and " if r.detected else ""
        found = "an offence" if r.reason.ground is Ground.LAW else "a breach of the terms"
        how = f"{detected}reviewed by a trained moderator, who found {found} ({label})"
    return build_statement(
        DecisionFacts(
            decision_id=r.decision_id,
            category=r.category,
            outcome=r.outcome,
            subject_kind=r.subject_kind,
            ground=ground,
            facts=f"Reported by users as {r.reported_as.replace('_', ' ')}; {how}.",
            content_types=(content_type,),
            content_type_other=content_other,
            content_date=r.opened_at.date(),
            application_date=now.date(),
            automated_detection=r.detected or r.automated,
            automated_decision=(
                "AUTOMATED_DECISION_FULLY" if r.automated else "AUTOMATED_DECISION_NOT_AUTOMATED"
            ),
            source_type="SOURCE_ARTICLE_16",
            # Where the rule applied is in force: the law's country, or the terms' countries.
            territorial_scope=cast(tuple[CountryCode, ...], r.reason.countries),
        )
    )
