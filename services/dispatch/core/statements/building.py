"""Building a statement of reasons from what a decision knows.

How Crible's categories map to the DSA taxonomy (``category`` is ``STATEMENT_CATEGORY_`` +
the second column; the keywords go to ``category_specification`` as ``KEYWORD_`` + the third):

=============================== ===================================== ==========================
Crible ``Category``             DSA category                          keywords
=============================== ===================================== ==========================
child_sexual_abuse              PROTECTION_OF_MINORS                  CHILD_SEXUAL_ABUSE_MATERIAL
terrorism_violent_extremism     RISK_FOR_PUBLIC_SECURITY              TERRORIST_CONTENT
illegal_goods_drugs             UNSAFE_AND_PROHIBITED_PRODUCTS        PROHIBITED_PRODUCTS
ip_infringement                 INTELLECTUAL_PROPERTY_INFRINGEMENTS   COPYRIGHT_INFRINGEMENT
fraud_scam                      SCAMS_AND_FRAUD                       none (subtype unknown)
non_consensual_intimate_imagery CYBER_VIOLENCE                        NON_CONSENSUAL_IMAGE_SHARING
hate_speech                     ILLEGAL_OR_HARMFUL_SPEECH             HATE_SPEECH
harassment_threats              CYBER_VIOLENCE                        CYBER_HARASSMENT
self_harm                       SELF_HARM                             none (subtype unknown)
spam                            OTHER_VIOLATION_TC                    OTHER, with other = "Spam"
other                           OTHER_VIOLATION_TC                    none
=============================== ===================================== ==========================

How outcomes map to the decision fields (through ``decisions.enforcement``, so a user measure
on a message also reports the message's removal):

- a removed message, profile or chat profile: ``DECISION_VISIBILITY_CONTENT_REMOVED``;
- restrict_user: ``DECISION_PROVISION_PARTIAL_SUSPENSION``;
- suspend_user: ``DECISION_ACCOUNT_SUSPENDED``; ban_user: ``DECISION_ACCOUNT_TERMINATED``;
- ban_group_or_channel: ``DECISION_PROVISION_PARTIAL_TERMINATION`` and
  ``DECISION_VISIBILITY_CONTENT_DISABLED`` (the chat's content becomes unreachable);
- report_to_authorities: the takedown it implies (preserving and referring are no restriction);
- no_violation: no statement. Crible takes no monetary decisions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final
from uuid import UUID

from services.dispatch.core.decisions import enforcement
from services.dispatch.core.statements.format import (
    EEA_COUNTRIES,
    AccountType,
    AutomatedDecision,
    ContentType,
    CountryCode,
    Keyword,
    SourceType,
    StatementCategory,
)
from services.dispatch.core.statements.validation import validate_statement
from shared.events.decisions import DecisionOutcome as Outcome
from shared.events.enforcement import Action
from shared.events.reports import Category, SubjectKind

# --- Building a statement from a decision ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IllegalContent:
    """Ground: the content is illegal; names the law and explains why it applies."""

    legal_ground: str
    explanation: str


@dataclass(frozen=True, slots=True)
class IncompatibleContent:
    """Ground: the content breaks the terms and conditions; quotes the clause and explains."""

    #: The clause's own text (``incompatible_content_ground``), not a code.
    clause: str
    explanation: str
    #: Whether the content is also considered illegal; None leaves the field out.
    also_illegal: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionFacts:
    """What a review decision knows that a statement of reasons needs.

    Every free text (``facts``, the ground's texts, ``source_identity``) is published by the
    Commission: callers pass no personal data (no names, handles, phone numbers, message
    text). The builder copies the texts as given and adds nothing about the users.
    """

    #: The decision's unique id; the statement's PUID derives from it.
    decision_id: UUID
    category: Category
    outcome: Outcome
    #: What was reported, which decides what an outcome did (see ``decisions.enforcement``).
    subject_kind: SubjectKind
    ground: IllegalContent | IncompatibleContent
    #: Standard wording of the facts and circumstances (``decision_facts``), no personal data.
    facts: str
    content_types: tuple[ContentType, ...]
    content_type_other: str | None = None
    #: When the content was posted or the account created.
    content_date: date
    #: When the decision was taken.
    application_date: date
    #: Until when a restriction or suspension lasts; None: indefinite.
    restriction_ends: date | None = None
    automated_detection: bool
    automated_decision: AutomatedDecision
    source_type: SourceType
    #: Who notified, e.g. a trusted flagger's name; never a private person. Ignored if voluntary.
    source_identity: str | None = None
    #: Where the restriction applies: where the law or the terms applied are in force.
    territorial_scope: tuple[CountryCode, ...] = EEA_COUNTRIES
    content_language: str | None = None
    account_type: AccountType | None = None
    #: A public link to the law or the terms applied.
    ground_reference_url: str | None = None


class InvalidStatementError(ValueError):
    """The facts given make a statement the format refuses; ``errors`` says why."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


#: (DSA category, keywords, category_specification_other) per Crible category.
CATEGORY_MAP: Final[
    Mapping[Category, tuple[StatementCategory, tuple[Keyword, ...], str | None]]
] = {
    Category.CHILD_SEXUAL_ABUSE: (
        "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
        ("KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",),
        None,
    ),
    Category.TERRORISM: (
        "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        ("KEYWORD_TERRORIST_CONTENT",),
        None,
    ),
    Category.ILLEGAL_GOODS: (
        "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
        ("KEYWORD_PROHIBITED_PRODUCTS",),
        None,
    ),
    # Crible's IP category is mostly illegal streaming, i.e. copyright.
    Category.IP_INFRINGEMENT: (
        "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        ("KEYWORD_COPYRIGHT_INFRINGEMENT",),
        None,
    ),
    # Phishing, pyramid schemes, ...: a report does not say which, so no keyword is claimed.
    Category.FRAUD: ("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", (), None),
    Category.NON_CONSENSUAL_IMAGERY: (
        "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        ("KEYWORD_NON_CONSENSUAL_IMAGE_SHARING",),
        None,
    ),
    Category.HATE_SPEECH: (
        "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        ("KEYWORD_HATE_SPEECH",),
        None,
    ),
    Category.HARASSMENT: ("STATEMENT_CATEGORY_CYBER_VIOLENCE", ("KEYWORD_CYBER_HARASSMENT",), None),
    Category.SELF_HARM: ("STATEMENT_CATEGORY_SELF_HARM", (), None),
    # The taxonomy has no spam keyword; KEYWORD_OTHER carries the name.
    Category.SPAM: ("STATEMENT_CATEGORY_OTHER_VIOLATION_TC", ("KEYWORD_OTHER",), "Spam"),
    Category.OTHER: ("STATEMENT_CATEGORY_OTHER_VIOLATION_TC", (), None),
}

#: The decision fields each action sets; preserving and referring restrict nothing.
_EFFECTS: Final[Mapping[Action, tuple[tuple[str, str], ...]]] = {
    Action.DELETE_MESSAGE: (("decision_visibility", "DECISION_VISIBILITY_CONTENT_REMOVED"),),
    Action.REMOVE_PROFILE_CONTENT: (
        ("decision_visibility", "DECISION_VISIBILITY_CONTENT_REMOVED"),
    ),
    Action.REMOVE_CHAT_PROFILE: (("decision_visibility", "DECISION_VISIBILITY_CONTENT_REMOVED"),),
    Action.RESTRICT_ACCOUNT: (("decision_provision", "DECISION_PROVISION_PARTIAL_SUSPENSION"),),
    Action.SUSPEND_ACCOUNT: (("decision_account", "DECISION_ACCOUNT_SUSPENDED"),),
    Action.BAN_ACCOUNT: (("decision_account", "DECISION_ACCOUNT_TERMINATED"),),
    Action.BAN_GROUP: (
        ("decision_provision", "DECISION_PROVISION_PARTIAL_TERMINATION"),
        ("decision_visibility", "DECISION_VISIBILITY_CONTENT_DISABLED"),
    ),
    Action.BAN_CHANNEL: (
        ("decision_provision", "DECISION_PROVISION_PARTIAL_TERMINATION"),
        ("decision_visibility", "DECISION_VISIBILITY_CONTENT_DISABLED"),
    ),
    Action.PRESERVE_EVIDENCE: (),
    Action.REFER_TO_AUTHORITIES: (),
}

#: The end-date field of each temporary measure; removals and terminations have none.
_END_DATE_OF: Final[Mapping[str, str]] = {
    "DECISION_PROVISION_PARTIAL_SUSPENSION": "end_date_service_restriction",
    "DECISION_ACCOUNT_SUSPENDED": "end_date_account_restriction",
}


def puid_for(decision_id: UUID) -> str:
    """The statement's platform unique id: one per decision, the same on every retry.

    A new decision (a reversal, an appeal) has a new id, so a PUID is never re-used.
    """
    return f"crible-{decision_id}"


def build_statement(decision: DecisionFacts) -> dict[str, Any] | None:
    """The statement of reasons for ``decision`` as the API takes it; None for no_violation.

    Raises ``InvalidStatementError`` when the facts make an invalid statement (a text too
    long, an end date before the decision, ...), and ``OutcomeNotApplicableError`` for an
    outcome that makes no sense on the subject.
    """
    if decision.outcome is Outcome.NO_VIOLATION:
        return None
    category, keywords, keyword_other = CATEGORY_MAP[decision.category]
    statement: dict[str, Any] = {
        **_decision_fields(decision),
        "account_type": decision.account_type,
        "decision_facts": decision.facts,
        **_ground_fields(decision),
        "decision_ground_reference_url": decision.ground_reference_url,
        "content_type": sorted(set(decision.content_types)),
        "content_type_other": decision.content_type_other,
        "category": category,
        "category_specification": list(keywords) or None,
        "category_specification_other": keyword_other,
        "territorial_scope": sorted(set(decision.territorial_scope)),
        "content_language": decision.content_language,
        "content_date": decision.content_date.isoformat(),
        "application_date": decision.application_date.isoformat(),
        "source_type": decision.source_type,
        "source_identity": (
            None if decision.source_type == "SOURCE_VOLUNTARY" else decision.source_identity
        ),
        "automated_detection": "Yes" if decision.automated_detection else "No",
        "automated_decision": decision.automated_decision,
        "puid": puid_for(decision.decision_id),
    }
    statement = {k: v for k, v in statement.items() if v is not None}
    if errors := validate_statement(statement):
        raise InvalidStatementError(errors)
    return statement


def _decision_fields(decision: DecisionFacts) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    visibility: set[str] = set()
    for measure in enforcement(decision.outcome, decision.subject_kind):
        for field, value in _EFFECTS[measure.action]:
            if field == "decision_visibility":
                visibility.add(value)
            else:
                fields[field] = value
    if decision.restriction_ends is not None:
        ends = [_END_DATE_OF[v] for v in fields.values() if v in _END_DATE_OF]
        if not ends:
            raise InvalidStatementError(
                [f"restriction_ends: {decision.outcome} is not a temporary measure"]
            )
        fields.update(dict.fromkeys(ends, decision.restriction_ends.isoformat()))
    if visibility:
        fields["decision_visibility"] = sorted(visibility)
    return fields


def _ground_fields(decision: DecisionFacts) -> dict[str, Any]:
    ground = decision.ground
    if isinstance(ground, IllegalContent):
        return {
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "illegal_content_legal_ground": ground.legal_ground,
            "illegal_content_explanation": ground.explanation,
        }
    also_illegal = None if ground.also_illegal is None else ("Yes" if ground.also_illegal else "No")
    return {
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": ground.clause,
        "incompatible_content_explanation": ground.explanation,
        "incompatible_content_illegal": also_illegal,
    }
