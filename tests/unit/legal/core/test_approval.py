"""Two different legal officers: one prepares, the other approves."""

from __future__ import annotations

import pytest

from services.legal.core.approval import (
    OFFICER_ID,
    ApprovalRefusal,
    Officer,
    OfficerRole,
    approval_refusal,
)

ALICE = Officer("alice", frozenset({OfficerRole.LEGAL_OFFICER}))
BOB = Officer("bob", frozenset({OfficerRole.LEGAL_ADMIN}))


def test_a_second_officer_may_approve() -> None:
    assert approval_refusal(prepared_by="alice", approver=BOB) is None


def test_the_preparer_cannot_approve_their_own_disclosure() -> None:
    assert approval_refusal(prepared_by="bob", approver=BOB) is ApprovalRefusal.SAME_PERSON


@pytest.mark.parametrize(
    "variant", ["Bob", " bob", "bob ", "bob\t", "bob\u00a0", "bob\u200b", "", "-bob", "b" * 65]
)
def test_an_officer_has_one_spelling_so_no_variant_of_an_id_is_another_person(
    variant: str,
) -> None:
    # Ids are compared exactly; registration (and a database check) refuses any other form.
    assert OFFICER_ID.fullmatch("bob")
    assert OFFICER_ID.fullmatch(variant) is None


def test_an_approver_needs_a_legal_role() -> None:
    reviewer = Officer("carol", frozenset())
    assert approval_refusal(prepared_by="alice", approver=reviewer) is (
        ApprovalRefusal.NOT_AN_OFFICER
    )


def test_nothing_unprepared_is_approved() -> None:
    assert approval_refusal(prepared_by=None, approver=ALICE) is ApprovalRefusal.NOT_PREPARED
