"""Preparing, narrowing and approving: the two-person rule, the lifecycle, the package."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from services.legal.core.approval import Officer, OfficerRole
from services.legal.core.errors import InvalidStepError, NotAllowedError, StepConflictError
from services.legal.core.identity import changes_for
from services.legal.core.lifecycle import RequestState
from services.legal.core.package import open_package
from services.legal.handlers import disclosure
from services.legal.ports import Legal
from shared.events.identity import IdentityEvent
from shared.events.legal import DataCategory, Instrument
from tests.unit.legal.fakes import FakeAudit, FakeRequests
from tests.unit.legal.handlers.conftest import (
    AUTHORITY_KEY,
    HUGO,
    INES,
    NOW,
    POLICY,
    a_request,
    received,
)


async def accepted(legal: Legal, **changes: object) -> uuid.UUID:
    request = await received(legal, a_request(**changes))
    assert isinstance(legal.requests, FakeRequests)
    legal.requests.row(request.request_id).state = RequestState.ACCEPTED
    return request.request_id


async def account(legal: Legal, user: str = "u1") -> None:
    for days, body in (
        (200, {"event_type": "account.registered", "phone_number": "+33600000001"}),
        (50, {"event_type": "session.observed", "ip_address": "192.0.2.50", "source_port": 50}),
        (5, {"event_type": "session.observed", "ip_address": "192.0.2.5", "source_port": 5}),
    ):
        event = IdentityEvent.model_validate_json(
            json.dumps(
            {"schema_version": 1, "event_id": f"e{days}", "platform_user_id": user,
             "occurred_at": (NOW - timedelta(days=days)).isoformat(), **body}
            )
        )  # fmt: skip
        await legal.identity.apply(
            changes_for(event.root, cipher=legal.keys.cipher(), index=legal.keys.blind_index())
        )


async def test_two_officers_and_exactly_the_approved_scope(legal: Legal) -> None:
    await account(legal)
    request_id = await accepted(legal)
    with pytest.raises(NotAllowedError) as unprepared:
        await disclosure.approve(legal, request_id, HUGO, policy=POLICY, now=NOW)
    assert unprepared.value.code == "not_prepared"
    await disclosure.prepare(legal, request_id, INES)
    with pytest.raises(StepConflictError) as twice:
        await disclosure.prepare(legal, request_id, HUGO)
    assert twice.value.code == "already_prepared"
    with pytest.raises(NotAllowedError) as herself:
        await disclosure.approve(legal, request_id, INES, policy=POLICY, now=NOW)
    assert herself.value.code == "same_person"
    reviewer = Officer("rita", frozenset())
    with pytest.raises(NotAllowedError) as no_role:
        await disclosure.approve(legal, request_id, reviewer, policy=POLICY, now=NOW)
    assert no_role.value.code == "not_an_officer"

    counts = await disclosure.approve(legal, request_id, HUGO, policy=POLICY, now=NOW)
    assert counts == {"phone_numbers": 1, "sessions": 1}  # the session 5 days ago is out
    assert isinstance(legal.requests, FakeRequests)
    row = legal.requests.row(request_id)
    assert row.state is RequestState.PACKAGE_READY
    assert (row.prepared_by, row.approved_by, row.answered_at) == ("ines", "hugo", NOW)
    assert row.package is not None
    opened = open_package(row.package.blob, AUTHORITY_KEY, legal.keys.platform_key().public_key())
    text = b"".join(opened.files.values())
    assert b"192.0.2.50" in text
    assert b"192.0.2.5," not in text
    assert isinstance(legal.audit, FakeAudit)
    assert legal.audit.steps(request_id) == ["reviewed", "approved", "package_built"]
    assert [e.topic for e in legal.events] == ["legal.disclosures"]
    # Approved once: a second approval is a step the lifecycle does not have.
    with pytest.raises(StepConflictError) as again:
        await disclosure.approve(legal, request_id, HUGO, policy=POLICY, now=NOW)
    assert again.value.code == "wrong_state"


async def test_narrowing_only_removes_and_is_checked_again(legal: Legal) -> None:
    request_id = await accepted(legal)
    with pytest.raises(InvalidStepError) as wider:
        await disclosure.narrow_request(
            legal, request_id, INES, policy=POLICY, now=NOW, reason="wider",
            categories=None, date_from=NOW - timedelta(days=400), date_to=None,
        )  # fmt: skip
    assert wider.value.code == "invalid_narrowing"
    narrowed = await disclosure.narrow_request(
        legal, request_id, INES, policy=POLICY, now=NOW, reason="le dernier mois",
        categories=[DataCategory.SUBSCRIBER], date_from=None, date_to=None,
    )  # fmt: skip
    assert narrowed["categories"] == ["subscriber"]
    assert isinstance(legal.requests, FakeRequests)
    assert legal.requests.row(request_id).state is RequestState.NARROWED
    await disclosure.prepare(legal, request_id, INES)
    # Prepared: the scope the second officer approves is the one prepared.
    with pytest.raises(StepConflictError):
        await disclosure.narrow_request(
            legal, request_id, INES, policy=POLICY, now=NOW, reason="encore",
            categories=None, date_from=NOW - timedelta(days=30), date_to=None,
        )  # fmt: skip


async def test_an_unknown_target_is_answered_no_data(legal: Legal) -> None:
    request_id = await accepted(legal)
    await disclosure.prepare(legal, request_id, INES)
    counts = await disclosure.approve(legal, request_id, HUGO, policy=POLICY, now=NOW)
    assert counts == {"phone_numbers": 0, "sessions": 0, "no_data": 1}
    assert isinstance(legal.requests, FakeRequests)
    assert legal.requests.row(request_id).state is RequestState.NO_DATA


async def test_a_preservation_order_freezes_instead_of_disclosing(legal: Legal) -> None:
    await account(legal)
    request_id = await accepted(legal, instrument=Instrument.EU_EPOC_PR)
    await disclosure.prepare(legal, request_id, INES)
    assert await disclosure.approve(legal, request_id, HUGO, policy=POLICY, now=NOW) == {
        "preserved": 1
    }
    assert isinstance(legal.requests, FakeRequests)
    assert legal.requests.row(request_id).state is RequestState.PRESERVING
    assert legal.requests.row(request_id).package is None
    assert await legal.preservations.kept_since("u1", now=NOW) is not None


async def test_a_refused_request_is_never_prepared(legal: Legal) -> None:
    request_id = await accepted(legal)
    assert isinstance(legal.requests, FakeRequests)
    legal.requests.row(request_id).state = RequestState.REFUSED
    with pytest.raises(StepConflictError) as refused:
        await disclosure.prepare(legal, request_id, INES)
    assert refused.value.code == "wrong_state"
    assert "refused" in refused.value.message
    second = Officer("zoe", frozenset({OfficerRole.LEGAL_ADMIN}))
    with pytest.raises(NotAllowedError):
        await disclosure.approve(legal, request_id, second, policy=POLICY, now=NOW)
