"""Preservation orders: extended once (EPOC-PR only), lifted, ended on time; audited."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.legal.core.errors import StepConflictError
from services.legal.core.lifecycle import RequestState
from services.legal.handlers import preservation
from services.legal.ports import Legal
from shared.events.legal import Instrument
from tests.unit.legal.fakes import FakeAudit, FakePreservations, FakeRequests
from tests.unit.legal.handlers.conftest import INES, NOW, a_request, received


async def preserving(legal: Legal, instrument: Instrument = Instrument.EU_EPOC_PR) -> uuid.UUID:
    request = await received(legal, a_request(instrument=instrument))
    assert isinstance(legal.requests, FakeRequests)
    legal.requests.row(request.request_id).state = RequestState.APPROVED
    assert await preservation.start(legal, request, "u1", now=NOW) == {"preserved": 1}
    assert isinstance(legal.preservations, FakePreservations)
    legal.preservations.instruments[request.request_id] = instrument.value
    return request.request_id


async def test_an_epoc_pr_is_extended_once_by_thirty_days(legal: Legal) -> None:
    request_id = await preserving(legal)
    ends = await preservation.extend(legal, request_id, INES, now=NOW)
    assert ends == NOW + timedelta(days=90)
    with pytest.raises(StepConflictError) as again:
        await preservation.extend(legal, request_id, INES, now=NOW)
    assert again.value.code == "already_extended"
    assert isinstance(legal.audit, FakeAudit)
    assert legal.audit.steps(request_id) == ["preservation_started", "preservation_extended"]


async def test_a_french_order_is_not_extended_so(legal: Legal) -> None:
    request_id = await preserving(legal, Instrument.FR_CPP_60_2)
    with pytest.raises(StepConflictError) as refused:
        await preservation.extend(legal, request_id, INES, now=NOW)
    assert refused.value.code == "not_extendable"


async def test_lifted_or_run_out_the_order_ends_once(legal: Legal) -> None:
    lifted = await preserving(legal)
    await preservation.lift(legal, lifted, INES)
    assert isinstance(legal.requests, FakeRequests)
    assert legal.requests.row(lifted).state is RequestState.PRESERVATION_ENDED
    with pytest.raises(StepConflictError):
        await preservation.lift(legal, lifted, INES)
    ran_out = await preserving(legal)
    assert await preservation.record_ended(legal, now=NOW + timedelta(days=59)) == 0
    assert await preservation.record_ended(legal, now=NOW + timedelta(days=61)) == 1
    assert await preservation.record_ended(legal, now=NOW + timedelta(days=62)) == 0
    assert legal.requests.row(ran_out).state is RequestState.PRESERVATION_ENDED
    with pytest.raises(StepConflictError) as ended:
        await preservation.extend(legal, ran_out, INES, now=NOW + timedelta(days=61))
    assert ended.value.code == "ended"
