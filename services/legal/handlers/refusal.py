"""An officer refuses an open request: a code with its article, and an explanation.

Accepted, narrowed and prepared requests may be refused until one is approved
(``core.lifecycle``); the refusal answers the request (its deadline's clock stops), goes to
the authority with its code, article and the officer's explanation (sealed at rest), on the
audit chain with the explanation's hash only, and to ``legal.disclosures`` as
``disclosure.refused``.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from services.legal.core.approval import Officer
from services.legal.core.audit import AuditStep
from services.legal.core.errors import InvalidStepError, StepConflictError, UnknownRequestError
from services.legal.core.lifecycle import OPEN, RequestState, TransitionRefusedError
from services.legal.core.refusals import UnknownRefusalError, officer_refusal
from services.legal.handlers.disclosure_events import disclosure_event
from services.legal.ports import Legal
from shared.events.legal import DisclosureEventType

#: An explanation is a few sentences for the authority, not a document.
MAX_EXPLANATION = 2000


async def refuse_request(
    legal: Legal,
    request_id: uuid.UUID,
    officer: Officer,
    *,
    code: str,
    explanation: str,
    now: datetime,
) -> dict[str, str]:
    """``officer`` refuses an open request with ``code``; what the authority is told."""
    try:
        refusal = officer_refusal(code)
    except UnknownRefusalError as error:
        raise InvalidStepError("invalid_refusal_code", str(error)) from None
    explanation = explanation.strip()
    if not 3 <= len(explanation) <= MAX_EXPLANATION:
        raise InvalidStepError(
            "invalid_explanation", f"an explanation has 3 to {MAX_EXPLANATION} characters"
        )
    stored = await legal.requests.load(request_id, lock=True)
    if stored is None:
        raise UnknownRequestError
    if stored.state not in OPEN:
        refused = TransitionRefusedError(stored.state, RequestState.REFUSED)
        raise StepConflictError("wrong_state", str(refused))
    answer = {"code": refusal.code.value, "article": refusal.article, "detail": refusal.detail}
    await legal.requests.refuse(request_id, current=stored.state, refusals=[answer], at=now)
    await legal.requests.record_refusal_explanation(
        request_id, officer, code=refusal.code.value, explanation=explanation
    )
    await legal.audit.record(
        AuditStep.REFUSED,
        actor=officer.officer_id,
        request_id=str(request_id),
        details={
            "codes": refusal.code.value,
            "was": stored.state.value,
            "explanation_sha256": hashlib.sha256(explanation.encode()).hexdigest(),
        },
    )
    legal.emit(
        disclosure_event(
            DisclosureEventType.REFUSED, stored.request, refusal_codes=[refusal.code.value]
        )
    )
    return answer
