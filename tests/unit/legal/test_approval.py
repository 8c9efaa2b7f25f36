"""Two different legal officers: one prepares, the other approves."""

from __future__ import annotations

import pytest

from services.legal.core.approval import ApprovalRefusal, Officer, OfficerRole, approval_refusal

ALICE = Officer("alice", frozenset({OfficerRole.LEGAL_OFFICER}))
BOB = Officer("bob", frozenset({OfficerRole.LEGAL_ADMIN}))


def test_a_second_officer_may_approve() -> None:
    assert approval_refusal(prepared_by="alice", approver=BOB) is None


@pytest.mark.parametrize("preparer", ["bob", "Bob", " bob "])
def test_the_preparer_cannot_approve_their_own_disclosure(preparer: str) -> None:
    assert approval_refusal(prepared_by=preparer, approver=BOB) is ApprovalRefusal.SAME_PERSON


def test_an_approver_needs_a_legal_role() -> None:
    reviewer = Officer("carol", frozenset())
    assert approval_refusal(prepared_by="alice", approver=reviewer) is (
        ApprovalRefusal.NOT_AN_OFFICER
    )


def test_nothing_unprepared_is_approved() -> None:
    assert approval_refusal(prepared_by=None, approver=ALICE) is ApprovalRefusal.NOT_PREPARED
