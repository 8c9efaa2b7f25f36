"""Registrations: a credential change is accepted only when the chain names it."""

from __future__ import annotations

from datetime import UTC, datetime

from services.legal.core.audit import AuditEntry, AuditStep, DetailValue, append
from services.legal.core.fieldcrypt import KeyRing
from services.legal.core.registrations import BASELINE, Finding, Registration, findings

RING = KeyRing({"a1": bytes(32)}, "a1")
T = datetime(2026, 12, 6, tzinfo=UTC)
HUGO = "token=sha256:aa roles=legal_officer"


def entry(previous: AuditEntry | None, step: AuditStep, **details: DetailValue) -> AuditEntry:
    return append(
        previous, ring=RING, recorded_at=T, request_id=None, step=step, actor="crible",
        details=details,
    )  # fmt: skip


def registered(change: int) -> AuditEntry:
    return entry(
        None, AuditStep.OFFICER_REGISTERED,
        change=change, officer="hugo", token="sha256:aa", roles="legal_officer",
    )  # fmt: skip


def change(
    change_id: int, credentials: str = HUGO, *, principal: str = "hugo", active: bool = True,
    by: str = "crible_owner",
) -> Registration:  # fmt: skip
    return Registration(change_id, "officer", principal, active, credentials, T, by)


def test_the_change_a_registration_names_is_accepted_and_every_other_is_named() -> None:
    ok = change(1)
    swapped = change(2, "token=sha256:bb roles=legal_officer")
    promoted = change(3, "token=sha256:aa roles=legal_admin legal_officer")
    disabled = change(4, "token=sha256:bb roles=legal_officer", active=False)
    stranger = change(5, principal="mallory")
    assert findings([ok, swapped, promoted, disabled, stranger], [registered(1)]) == [
        Finding(swapped),
        Finding(promoted),
        Finding(stranger),
    ]


def test_putting_registered_credentials_back_by_hand_is_still_a_change_nobody_registered() -> None:
    # An old token revived, or a disabled officer switched back on: the same credentials as a
    # registration, but not the change it made.
    revived = change(3)
    assert findings([change(1), change(2, active=False), revived], [registered(1)]) == [
        Finding(revived)
    ]


def test_an_acknowledged_change_stays_listed_with_its_incident() -> None:
    swapped = change(2, "token=sha256:bb roles=legal_officer")
    ack = entry(registered(1), AuditStep.REGISTRATION_ACKNOWLEDGED, change=2, incident="INC-2031")
    assert findings([change(1), swapped], [registered(1), ack]) == [Finding(swapped, "INC-2031")]


def test_rows_older_than_the_log_are_matched_by_what_they_hold() -> None:
    before = change(1, by=BASELINE)
    forged = change(2, "token=sha256:bb roles=legal_officer", by=BASELINE)
    assert findings([before, forged], [registered(7)]) == [Finding(forged)]
    # A registration entry from before the log (no change number) vouches for the baseline.
    old = entry(None, AuditStep.OFFICER_REGISTERED, officer="hugo", token="sha256:aa",
                roles="legal_officer")  # fmt: skip
    assert findings([before], [old]) == []
