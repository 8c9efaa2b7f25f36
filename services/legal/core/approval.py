"""The two-person rule: whoever approves a disclosure is never whoever prepared it.

The database enforces it too (a constraint on the approvals table); this check gives the
officer a clear refusal before the write is attempted.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    """An authenticated person and their roles."""

    officer_id: str
    roles: frozenset[OfficerRole]


def _same_person(a: str, b: str) -> bool:
    # Ids compared as the identity provider would: "Alice" and " alice" are one person.
    return a.strip().casefold() == b.strip().casefold()


def approval_refusal(*, prepared_by: str | None, approver: Officer) -> ApprovalRefusal | None:
    """Why ``approver`` may not approve a disclosure prepared by ``prepared_by``, or None."""
    if not approver.roles & {OfficerRole.LEGAL_OFFICER, OfficerRole.LEGAL_ADMIN}:
        return ApprovalRefusal.NOT_AN_OFFICER
    if prepared_by is None:
        return ApprovalRefusal.NOT_PREPARED
    if _same_person(prepared_by, approver.officer_id):
        return ApprovalRefusal.SAME_PERSON
    return None
