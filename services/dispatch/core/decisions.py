"""What a reviewer can decide, what each decision does to a subject, and what counts as a reversal.

Outcomes are ranked from mildest to strictest. A stricter outcome keeps what a milder one
does to the reported thing (suspending the sender of a message also deletes the message), so
a later decision is compared with an earlier one by rank alone: see ``reverses``.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.events.decisions import DecisionOutcome
from shared.events.enforcement import EVIDENCE_CATEGORIES, REMOVALS, Action, Target
from shared.events.reports import Category, SubjectKind

#: A reviewer's decision on a case (the contract's enum: one list of outcomes everywhere).
Outcome = DecisionOutcome


@dataclass(frozen=True, slots=True)
class Enforcement:
    """One action on one target."""

    action: Action
    target: Target


class OutcomeNotApplicableError(ValueError):
    """The outcome makes no sense for this kind of subject."""


#: Strictness, mildest first. Two bans rank alike: they act on different things.
_RANK: dict[Outcome, int] = {
    Outcome.NO_VIOLATION: 0,
    Outcome.REMOVE_CONTENT: 1,
    Outcome.RESTRICT_USER: 2,
    Outcome.SUSPEND_USER: 3,
    Outcome.BAN_USER: 4,
    Outcome.BAN_GROUP_OR_CHANNEL: 4,
    Outcome.REPORT_TO_AUTHORITIES: 5,
}

_ACCOUNT_ACTION = {
    Outcome.RESTRICT_USER: Action.RESTRICT_ACCOUNT,
    Outcome.SUSPEND_USER: Action.SUSPEND_ACCOUNT,
    Outcome.BAN_USER: Action.BAN_ACCOUNT,
}

_TAKEDOWN = {
    SubjectKind.MESSAGE: Enforcement(Action.DELETE_MESSAGE, Target.SUBJECT),
    # An account referred to the authorities is suspended, not banned: a ban starts the
    # deletion of its data, which the investigation may still need.
    SubjectKind.USER: Enforcement(Action.SUSPEND_ACCOUNT, Target.SUBJECT),
    SubjectKind.GROUP: Enforcement(Action.BAN_GROUP, Target.SUBJECT),
    SubjectKind.CHANNEL: Enforcement(Action.BAN_CHANNEL, Target.SUBJECT),
}

_REMOVE_CONTENT = {
    SubjectKind.MESSAGE: Action.DELETE_MESSAGE,
    SubjectKind.USER: Action.REMOVE_PROFILE_CONTENT,
    SubjectKind.GROUP: Action.REMOVE_CHAT_PROFILE,
    SubjectKind.CHANNEL: Action.REMOVE_CHAT_PROFILE,
}


def applicable(outcome: Outcome, kind: SubjectKind) -> bool:
    """Whether ``outcome`` can be decided on a subject of this kind."""
    if outcome is Outcome.BAN_GROUP_OR_CHANNEL:
        return kind in (SubjectKind.GROUP, SubjectKind.CHANNEL)
    return True


#: What comes before any removal where the law asks for evidence (``EVIDENCE_CATEGORIES``).
_EVIDENCE_FIRST = (
    Enforcement(Action.PRESERVE_EVIDENCE, Target.SUBJECT),
    Enforcement(Action.REFER_TO_AUTHORITIES, Target.SUBJECT),
)


def enforcement(
    outcome: Outcome, kind: SubjectKind, category: Category | None = None
) -> tuple[Enforcement, ...]:
    """The actions ``outcome`` implies for a subject of this kind, in the order to carry out.

    In a category whose evidence the law protects (child sexual abuse, terrorism), anything
    that removes is preceded by preserving the evidence and referring it to the authorities.
    Raises ``OutcomeNotApplicableError`` for a group or channel ban on a message or a user.
    """
    measures = _measures(outcome, kind)
    if category in EVIDENCE_CATEGORIES and any(m.action in REMOVALS for m in measures):
        rest = tuple(m for m in measures if m not in _EVIDENCE_FIRST)
        return (*_EVIDENCE_FIRST, *rest)
    return measures


def lifted(outcome: Outcome, kind: SubjectKind) -> tuple[Enforcement, ...]:
    """What a reversal of ``outcome`` undoes: preserved evidence and a referral stay."""
    return tuple(m for m in _measures(outcome, kind) if m not in _EVIDENCE_FIRST)


def _measures(outcome: Outcome, kind: SubjectKind) -> tuple[Enforcement, ...]:
    if not applicable(outcome, kind):
        raise OutcomeNotApplicableError(f"{outcome} does not apply to a {kind}")
    match outcome:
        case Outcome.NO_VIOLATION:
            return ()
        case Outcome.REMOVE_CONTENT:
            return (Enforcement(_REMOVE_CONTENT[kind], Target.SUBJECT),)
        case Outcome.RESTRICT_USER | Outcome.SUSPEND_USER | Outcome.BAN_USER:
            return _account_measures(_ACCOUNT_ACTION[outcome], kind)
        case Outcome.BAN_GROUP_OR_CHANNEL:
            return (_TAKEDOWN[kind],)
        case Outcome.REPORT_TO_AUTHORITIES:
            # Preserve before anything is deleted: the evidence must survive the takedown.
            return (
                Enforcement(Action.PRESERVE_EVIDENCE, Target.SUBJECT),
                Enforcement(Action.REFER_TO_AUTHORITIES, Target.SUBJECT),
                _TAKEDOWN[kind],
            )


def _account_measures(action: Action, kind: SubjectKind) -> tuple[Enforcement, ...]:
    if kind is SubjectKind.USER:
        return (Enforcement(action, Target.SUBJECT),)
    if kind is SubjectKind.MESSAGE:
        # The message goes too: a stricter outcome keeps what the milder one does.
        return (
            Enforcement(Action.DELETE_MESSAGE, Target.SUBJECT),
            Enforcement(action, Target.OWNER),
        )
    return (Enforcement(action, Target.OWNER),)


def enforces(outcome: Outcome) -> bool:
    """Whether the outcome acts on anything at all."""
    return outcome is not Outcome.NO_VIOLATION


def reverses(previous: Outcome, new: Outcome) -> bool:
    """Whether ``new`` undoes at least part of an action ``previous`` took.

    True when ``previous`` acted and ``new`` is different and no stricter: milder (a ban
    replaced by a restriction, a removal found to be no violation) or equally strict on
    something else (a user ban replaced by a channel ban lifts the user ban). Confirming or
    going further is not a reversal; neither is acting after a ``no_violation``.
    """
    if not enforces(previous) or new is previous:
        return False
    return _RANK[new] <= _RANK[previous]
