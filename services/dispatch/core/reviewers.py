"""Reviewers and which cases each may take (skill routing, wellness, independence).

Rules, checked in this order, the first failing one being the reason given:

1. the reviewer is active;
2. an escalated case goes to a senior (admins count as seniors);
3. the reviewer holds a clearance for the case's category. No role implies a clearance, and
   ``GENERAL_CLEARANCES`` leaves out child sexual abuse: that one is only ever granted
   explicitly (the child-safety clearance);
4. they read one of the case's languages, compared by primary subtag (``pt`` reads
   ``pt-BR``), unless the case has none;
5. they have not decided on this case before (dual review needs two independent people), and
   an appeal never goes back to the original decider;
6. for a graphic category, their exposure this shift is below their cap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.events.reports import Category

#: Categories whose media harm the people who look at them; counted against a shift's cap.
GRAPHIC_CATEGORIES = frozenset(
    {
        Category.CHILD_SEXUAL_ABUSE,
        Category.TERRORISM,
        Category.NON_CONSENSUAL_IMAGERY,
        Category.SELF_HARM,
    }
)
#: Every category but child sexual abuse, which needs the explicit child-safety clearance.
GENERAL_CLEARANCES = frozenset(Category) - {Category.CHILD_SEXUAL_ABUSE}


class Role(StrEnum):
    """What a reviewer may do."""

    REVIEWER = "reviewer"
    SENIOR = "senior"
    ADMIN = "admin"
    #: A platform back end's account: files users' appeals, reviews nothing.
    PLATFORM = "platform"


class Ineligible(StrEnum):
    """Why a reviewer may not take a case."""

    INACTIVE = "inactive"
    NOT_SENIOR = "not_senior"
    NO_CLEARANCE = "no_clearance"
    LANGUAGE = "language"
    PREVIOUS_DECIDER = "previous_decider"
    ORIGINAL_DECIDER = "original_decider"
    EXPOSURE_CAP = "exposure_cap"


@dataclass(frozen=True, slots=True)
class Reviewer:
    """A person who reviews cases."""

    id: str
    name: str
    languages: frozenset[str]
    clearances: frozenset[Category]
    roles: frozenset[Role] = frozenset({Role.REVIEWER})
    #: Most graphic-category cases per shift.
    exposure_cap: int = 40
    active: bool = True

    @property
    def senior(self) -> bool:
        """Whether escalated cases may go to this reviewer."""
        return bool(self.roles & {Role.SENIOR, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class CaseTraits:
    """What eligibility needs to know about a case."""

    category: Category
    #: The case's languages (its reporters'); empty when unknown.
    languages: frozenset[str] = frozenset()
    escalated: bool = False
    appeal: bool = False
    #: Who took the decision under appeal.
    original_decider: str | None = None


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The answer: true when eligible, else false with the reason."""

    reason: Ineligible | None = None

    def __bool__(self) -> bool:
        return self.reason is None


ELIGIBLE = Eligibility()


def _primary(tag: str) -> str:
    return tag.split("-", 1)[0].casefold()


def reads(reviewer: Reviewer, languages: Iterable[str]) -> bool:
    """Whether the reviewer reads one of ``languages`` (always true for none)."""
    wanted = {_primary(tag) for tag in languages}
    return not wanted or bool(wanted & {_primary(tag) for tag in reviewer.languages})


def eligible(
    reviewer: Reviewer,
    case: CaseTraits,
    *,
    exposure_used: int,
    previous_deciders: Iterable[str],
) -> Eligibility:
    """Whether ``reviewer`` may take ``case``; see the module notes for the rules.

    ``exposure_used`` is the number of graphic cases they have taken this shift.
    """
    reason: Ineligible | None = None
    if not reviewer.active:
        reason = Ineligible.INACTIVE
    elif case.escalated and not reviewer.senior:
        reason = Ineligible.NOT_SENIOR
    elif case.category not in reviewer.clearances:
        reason = Ineligible.NO_CLEARANCE
    elif not reads(reviewer, case.languages):
        reason = Ineligible.LANGUAGE
    elif reviewer.id in set(previous_deciders):
        reason = Ineligible.PREVIOUS_DECIDER
    elif case.appeal and reviewer.id == case.original_decider:
        reason = Ineligible.ORIGINAL_DECIDER
    elif case.category in GRAPHIC_CATEGORIES and exposure_used >= reviewer.exposure_cap:
        reason = Ineligible.EXPOSURE_CAP
    return Eligibility(reason)


class ReadRefusal(StrEnum):
    """Why a reviewer may not read a case (the API's ``code``; the console's page)."""

    NOT_CLEARED = "not_cleared"
    LEASE_EXPIRED = "lease_expired"
    NOT_YOURS = "not_yours"


@dataclass(frozen=True, slots=True)
class CaseHolder:
    """What reading a case depends on: its category and who holds it until when."""

    category: Category
    leased_by: str | None
    lease_expires_at: datetime | None


def may_read(reviewer: Reviewer, case: CaseHolder, now: datetime) -> ReadRefusal | None:
    """Whether ``reviewer`` may read ``case`` (None) or why not, the same for API and console.

    A case outside the reviewer's clearances stays hidden from everyone, seniors too; its
    lease holder reads it until the lease ends (then it is back in the queue); a senior or
    admin cleared for its category reads any case (appeals, escalations); nobody else does.
    """
    if case.category not in reviewer.clearances:
        return ReadRefusal.NOT_CLEARED
    if case.leased_by == reviewer.id and case.lease_expires_at is not None:
        return None if now < case.lease_expires_at else ReadRefusal.LEASE_EXPIRED
    return None if reviewer.senior else ReadRefusal.NOT_YOURS
