"""The two-person rule: whoever approves a disclosure is never whoever prepared it.

Officers are compared by their registered id (one lower-case spelling per person, checked at
registration), never by name. The database enforces the rule too (``guard_approvals``); this
check gives the officer a clear refusal before the write is attempted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class OfficerRole(StrEnum):
    """Roles of the people who handle legal requests."""

    LEGAL_OFFICER = "legal_officer"
    LEGAL_ADMIN = "legal_admin"


class ApprovalRefusal(StrEnum):
    """Why an approval is refused."""

    SAME_PERSON = "same_person"
    NOT_AN_OFFICER = "not_an_officer"
    NOT_PREPARED = "not_prepared"


@dataclass(frozen=True, slots=True)
class Officer:
    """An authenticated person, their roles, and the credential they presented.

    ``proof`` (their token, or a console session's secret) goes with their preparation or
    approval to the database, which checks it and never stores it: without it, a writer
    with the service's credentials cannot sign for an officer.
    """

    officer_id: str
    roles: frozenset[OfficerRole]
    proof: str | None = field(default=None, repr=False, compare=False)


def approval_refusal(*, prepared_by: str | None, approver: Officer) -> ApprovalRefusal | None:
    """Why ``approver`` may not approve a disclosure prepared by ``prepared_by``, or None."""
    if not approver.roles & {OfficerRole.LEGAL_OFFICER, OfficerRole.LEGAL_ADMIN}:
        return ApprovalRefusal.NOT_AN_OFFICER
    if prepared_by is None:
        return ApprovalRefusal.NOT_PREPARED
    if prepared_by == approver.officer_id:
        return ApprovalRefusal.SAME_PERSON
    return None


#: What an officer id may look like: one spelling per person (``legal.officers`` checks it).
OFFICER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
