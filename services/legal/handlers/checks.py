"""The legal checks, run by the ``requests`` consumer on what the portal put on ``legal.requests``.

The portal answers the authority at once; the checks run here, once per request: a request
already checked (a redelivery, a rebalance) is left as it is. An event that names no stored
request (somebody else writing to the topic) is dead-lettered, never acted on: the checks
only ever read the request the portal verified and sealed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.legal import metrics
from services.legal.core.audit import AuditStep
from services.legal.core.lifecycle import RequestState
from services.legal.core.model import Scope
from services.legal.core.narrowing import Narrowing
from services.legal.core.policy import Policy
from services.legal.core.rules import (
    Accepted,
    Refused,
    check_request,
    held_scope,
    requested_scope,
)
from services.legal.handlers.disclosure_events import disclosure_event
from services.legal.handlers.targets import preserved_since
from services.legal.ports import Legal
from shared.events.legal import DisclosureEventType, LegalRequest, RequestReceived
from shared.runtime import Handled, Inbound


async def check_stored(
    legal: Legal,
    request: LegalRequest,
    *,
    policy: Policy,
    now: datetime,
    scope: Scope | None = None,
) -> Accepted | Refused:
    """``check_request`` on a stored request, as its authority is registered now.

    What a running preservation order keeps for its target counts as held.
    """
    return check_request(
        request,
        authority=await legal.requests.authority(request.authority_id),
        submitted_by=request.authority_id,
        retention=policy.retention,
        scope=scope,
        preserved_since=await preserved_since(legal, request, policy=policy, now=now),
    )


async def check_batch(
    legal: Legal, batch: Sequence[Inbound[RequestReceived]], *, policy: Policy, now: datetime
) -> Handled:
    """Check each received request against the law and record the verdict."""
    refused: list[tuple[Inbound[Any], str]] = []
    verdicts: list[tuple[str, str, float]] = []
    for inbound in batch:
        problem = await check_received(legal, inbound.event, policy=policy, now=now)
        if isinstance(problem, str):
            refused.append((inbound, problem))
        elif problem is not None:
            verdicts.append(problem)

    def count() -> None:
        for instrument, state, waited in verdicts:
            metrics.REQUESTS_CHECKED.labels(instrument, state).inc()
            metrics.TIME_TO_ACKNOWLEDGE.observe(waited)

    return Handled(legal.events, after_commit=count, refused=refused)


async def check_received(
    legal: Legal, received: RequestReceived, *, policy: Policy, now: datetime
) -> str | tuple[str, str, float] | None:
    """Check one request: a reason to dead-letter the event, the verdict, or None (done)."""
    stored = await legal.requests.load(received.request_id, lock=True)
    if stored is None:
        return "no request with this id was received by the portal"
    request = stored.request
    if request.authority_id != received.authority_id:
        return "the event's authority is not the stored request's"
    if stored.state is not RequestState.RECEIVED:
        return None  # already checked: a redelivered event changes nothing
    verdict = await check_stored(legal, request, policy=policy, now=now)
    accepted = isinstance(verdict, Accepted)
    refusals = (
        []
        if isinstance(verdict, Accepted)
        else [
            {"code": r.code.value, "article": r.article, "detail": r.detail}
            for r in verdict.refusals
        ]
    )
    state = RequestState.ACCEPTED if accepted else RequestState.REFUSED
    await legal.requests.record_checks(
        request.request_id, state=state, refusals=refusals, checked_at=now
    )
    codes = [r["code"] for r in refusals]
    await legal.audit.record(
        AuditStep.CHECKS_PASSED if accepted else AuditStep.CHECKS_REFUSED,
        actor="legal",
        request_id=str(request.request_id),
        details={
            "instrument": request.instrument.value,
            "emergency": request.emergency,
            "codes": " ".join(codes) or None,
        },
    )
    if not accepted:
        legal.emit(disclosure_event(DisclosureEventType.REFUSED, request, refusal_codes=codes))
    else:
        await _narrow_to_what_is_held(legal, request, policy=policy, now=now)
    return request.instrument.value, state.value, (now - request.received_at).total_seconds()


async def _narrow_to_what_is_held(
    legal: Legal, request: LegalRequest, *, policy: Policy, now: datetime
) -> None:
    """A period that starts before the retention limit is narrowed to what is still held.

    Recorded as a narrowing (automatic, with its reason) and audited: the officers and the
    authority see that the older part no longer exists (décret n° 2021-1362 art. 1).
    """
    asked = requested_scope(request)
    since = await preserved_since(legal, request, policy=policy, now=now)
    held = held_scope(request, asked, policy.retention, since)
    if held is None:
        return
    narrowing = Narrowing(asked, held, RETENTION_REASON, officer_id="legal")
    await legal.requests.record_narrowing(request.request_id, narrowing, automatic=True)
    await legal.requests.set_state(
        request.request_id, RequestState.NARROWED, current=RequestState.ACCEPTED
    )
    await legal.audit.record(
        AuditStep.NARROWED,
        actor="legal",
        request_id=str(request.request_id),
        details={
            "automatic": True,
            "categories": " ".join(sorted(c.value for c in held.categories)),
            "date_from": held.date_from.date().isoformat(),
            "date_to": held.date_to.date().isoformat(),
            "reason": "retention_limit",
        },
    )


#: Why the checks narrowed a period (kept sealed with the narrowing, like an officer's).
RETENTION_REASON = (
    "Connection data older than this is no longer held: the platform keeps it one year "
    "(décret n° 2021-1362 art. 1), unless a preservation order kept it."
)
