"""An officer's refusal: open requests only, a code officers may give, the explanation kept
for the authority and only its hash on the chain, and ``disclosure.refused`` published."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from services.legal.core.errors import InvalidStepError, StepConflictError, UnknownRequestError
from services.legal.core.lifecycle import RequestState
from services.legal.core.model import RefusalGround
from services.legal.core.refusals import OFFICER_REFUSALS, officer_refusal
from services.legal.handlers import disclosure
from services.legal.handlers.refusal import refuse_request
from services.legal.ports import Legal
from shared.events.legal import DisclosureEvent, DisclosureEventType
from tests.unit.legal.fakes import FakeAudit, FakeRequests
from tests.unit.legal.handlers.conftest import HUGO, INES, NOW, POLICY
from tests.unit.legal.handlers.test_disclosure import accepted, account

WHY = "Le document joint ne porte pas la signature du magistrat mandant."


async def test_a_prepared_request_refused_with_its_code_article_and_explanation(
    legal: Legal,
) -> None:
    request_id = await accepted(legal)
    await disclosure.prepare(legal, request_id, INES)
    answer = await refuse_request(
        legal, request_id, HUGO, code="document_invalid", explanation=f"  {WHY} ", now=NOW
    )
    assert isinstance(legal.requests, FakeRequests)
    assert isinstance(legal.audit, FakeAudit)
    row = legal.requests.row(request_id)
    assert row.state is RequestState.REFUSED
    assert row.answered_at == NOW
    assert row.refusals == [answer]
    assert answer["code"] == "document_invalid"
    assert "DSA art. 10" in answer["article"]
    assert WHY not in str(row.refusals)  # the officer's words are kept apart, sealed
    assert row.explanation == ("hugo", "document_invalid", WHY)
    entry = legal.audit.chain[-1]
    assert (entry.step.value, entry.actor) == ("refused", "hugo")
    details = dict(entry.details)
    assert details["codes"] == "document_invalid"
    assert details["was"] == "prepared"
    assert details["explanation_sha256"] == hashlib.sha256(WHY.encode()).hexdigest()
    assert WHY not in str(entry.details)
    (outbound,) = legal.events
    event = DisclosureEvent.model_validate_json(outbound.value)
    assert event.event_type is DisclosureEventType.REFUSED
    assert event.refusal_codes == ("document_invalid",)


async def test_only_an_open_request_is_refused(legal: Legal) -> None:
    await account(legal)
    request_id = await accepted(legal)
    await disclosure.prepare(legal, request_id, INES)
    await disclosure.approve(legal, request_id, HUGO, policy=POLICY, now=NOW)
    with pytest.raises(StepConflictError) as late:
        await refuse_request(legal, request_id, INES, code="over_broad", explanation=WHY, now=NOW)
    assert late.value.code == "wrong_state"
    assert isinstance(legal.requests, FakeRequests)
    assert legal.requests.row(request_id).state is RequestState.PACKAGE_READY
    with pytest.raises(UnknownRequestError):
        await refuse_request(legal, uuid.uuid4(), INES, code="over_broad", explanation=WHY, now=NOW)


async def test_a_received_request_waits_for_its_checks(legal: Legal) -> None:
    request_id = await accepted(legal)
    assert isinstance(legal.requests, FakeRequests)
    legal.requests.row(request_id).state = RequestState.RECEIVED
    with pytest.raises(StepConflictError):
        await refuse_request(legal, request_id, INES, code="over_broad", explanation=WHY, now=NOW)


@pytest.mark.parametrize(
    ("code", "explanation", "error"),
    [
        ("signature_invalid", WHY, "invalid_refusal_code"),  # the portal's, not an officer's
        ("no_such_code", WHY, "invalid_refusal_code"),
        ("over_broad", "  ", "invalid_explanation"),
        ("over_broad", "x" * 2001, "invalid_explanation"),
    ],
)
async def test_a_refusal_needs_an_officers_code_and_an_explanation(
    legal: Legal, code: str, explanation: str, error: str
) -> None:
    request_id = await accepted(legal)
    with pytest.raises(InvalidStepError) as refused:
        await refuse_request(legal, request_id, INES, code=code, explanation=explanation, now=NOW)
    assert refused.value.code == error
    assert isinstance(legal.requests, FakeRequests)
    assert legal.requests.row(request_id).state is RequestState.ACCEPTED
    assert legal.events == []


def test_every_officer_refusal_has_an_article_and_a_ground() -> None:
    grounds = {officer_refusal(code.value).ground for code in OFFICER_REFUSALS}
    assert RefusalGround.UNVERIFIED_AUTHORITY in grounds  # a call-back that failed
    assert RefusalGround.OVER_BROAD in grounds
    for code, (article, detail) in OFFICER_REFUSALS.items():
        assert article, code
        assert detail, code
