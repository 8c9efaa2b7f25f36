"""The checks handler: once per request, verdicts recorded and audited, what is held kept."""

from __future__ import annotations

import json
from datetime import timedelta

from services.legal.core.identity import changes_for
from services.legal.core.lifecycle import RequestState
from services.legal.handlers.checks import check_received
from services.legal.ports import Legal
from shared.events.identity import IdentityEvent
from shared.events.legal import DataCategory, Instrument, RequestReceived
from tests.unit.legal.fakes import FakeAudit, FakePreservations, FakeRequests
from tests.unit.legal.handlers.conftest import NOW, POLICY, a_request, received


def event_of(request: object) -> RequestReceived:
    return RequestReceived(
        schema_version=1,
        request_id=request.request_id,  # type: ignore[attr-defined]
        authority_id=request.authority_id,  # type: ignore[attr-defined]
        instrument=request.instrument,  # type: ignore[attr-defined]
        emergency=False,
        document_sha256="0" * 64,
        received_at=NOW,
    )


async def test_an_accepted_request_is_checked_once(legal: Legal) -> None:
    request = await received(legal, a_request())
    verdict = await check_received(legal, event_of(request), policy=POLICY, now=NOW)
    assert verdict == ("fr_cpp_60_1", "accepted", 0.0)
    assert isinstance(legal.requests, FakeRequests)
    assert legal.requests.row(request.request_id).state is RequestState.ACCEPTED
    assert isinstance(legal.audit, FakeAudit)
    assert legal.audit.steps(request.request_id) == ["checks_passed"]
    # A redelivered event changes nothing.
    assert await check_received(legal, event_of(request), policy=POLICY, now=NOW) is None
    assert legal.audit.steps(request.request_id) == ["checks_passed"]
    assert legal.events == []


async def test_a_refusal_is_answered_with_its_codes_on_legal_disclosures(legal: Legal) -> None:
    request = await received(
        legal, a_request(instrument=Instrument.FR_CPP_77_1_1, max_penalty_years=0.5)
    )
    verdict = await check_received(legal, event_of(request), policy=POLICY, now=NOW)
    assert verdict is not None
    assert verdict[1] == "refused"
    assert isinstance(legal.requests, FakeRequests)
    row = legal.requests.row(request.request_id)
    assert row.state is RequestState.REFUSED
    assert row.answered_at == NOW
    assert {r["code"] for r in row.refusals} >= {"category_not_allowed_for_offence"}
    assert [e.topic for e in legal.events] == ["legal.disclosures"]


async def test_an_event_naming_no_stored_request_is_refused_for_the_dead_letters(
    legal: Legal,
) -> None:
    problem = await check_received(legal, event_of(a_request()), policy=POLICY, now=NOW)
    assert problem == "no request with this id was received by the portal"
    request = await received(legal, a_request())
    forged = event_of(request).model_copy(update={"authority_id": "someone-else"})
    assert await check_received(legal, forged, policy=POLICY, now=NOW) == (
        "the event's authority is not the stored request's"
    )


async def test_a_period_older_than_the_retention_limit_is_narrowed_and_audited(
    legal: Legal,
) -> None:
    request = await received(
        legal,
        a_request(
            categories=(DataCategory.IDENTIFICATION,),
            date_from=NOW - timedelta(days=500),
            date_to=NOW - timedelta(days=10),
        ),
    )
    await check_received(legal, event_of(request), policy=POLICY, now=NOW)
    assert isinstance(legal.requests, FakeRequests)
    row = legal.requests.row(request.request_id)
    assert row.state is RequestState.NARROWED
    assert row.automatic
    assert row.narrowing is not None
    assert row.narrowing.after.date_from == NOW - timedelta(days=365)
    assert isinstance(legal.audit, FakeAudit)
    assert legal.audit.steps(request.request_id) == ["checks_passed", "narrowed"]
    assert dict(legal.audit.chain[-1].details)["reason"] == "retention_limit"


async def test_data_a_running_preservation_keeps_counts_as_held(legal: Legal) -> None:
    for body in (
        {"event_type": "account.registered", "phone_number": "+33600000001"},
        {"event_type": "session.observed", "ip_address": "192.0.2.1", "source_port": 1},
    ):
        event = IdentityEvent.model_validate_json(
            json.dumps(
            {"schema_version": 1, "event_id": f"e-{body['event_type']}", "platform_user_id": "u1",
             "occurred_at": (NOW - timedelta(days=420)).isoformat(), **body}
            )
        )  # fmt: skip
        await legal.identity.apply(
            changes_for(event.root, cipher=legal.keys.cipher(), index=legal.keys.blind_index())
        )
    asked = {
        "categories": (DataCategory.IDENTIFICATION,),
        "date_from": NOW - timedelta(days=421),
        "date_to": NOW - timedelta(days=380),
    }
    refused = await received(legal, a_request(**asked))
    await check_received(legal, event_of(refused), policy=POLICY, now=NOW)
    assert isinstance(legal.requests, FakeRequests)
    assert legal.requests.row(refused.request_id).state is RequestState.REFUSED
    # Preserved 60 days ago: what the account had then (a year before) is held, all of it.
    assert isinstance(legal.preservations, FakePreservations)
    await legal.preservations.start(
        a_request().request_id, user="u1", starts_at=NOW - timedelta(days=60),
        ends_at=NOW + timedelta(days=30),
    )  # fmt: skip
    legal.preservations.oldest_sessions["u1"] = NOW - timedelta(days=420)
    produced = await received(legal, a_request(**asked))
    await check_received(legal, event_of(produced), policy=POLICY, now=NOW)
    assert legal.requests.row(produced.request_id).state is RequestState.ACCEPTED
