"""The legal checks, run by the ``requests`` consumer on what the portal put on ``legal.requests``.

The portal answers the authority at once; the checks run here, once per request: a row
already checked (a redelivery, a rebalance) is left as it is. An event that names no stored
request (somebody else writing to the topic) is dead-lettered, never acted on: the checks
only ever read the request the portal verified and sealed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from services.legal import metrics
from services.legal.adapters.postgres import audit_log as auditlog
from services.legal.adapters.postgres.requests import check_stored, load
from services.legal.config import LegalSettings
from services.legal.core.audit import AuditStep
from services.legal.core.fieldcrypt import FieldCipher
from services.legal.core.rules import Accepted, RetentionPolicy
from services.legal.handlers.disclosure_events import disclosure_event
from shared.db import Connection
from shared.events.legal import DisclosureEventType, RequestReceived
from shared.publisher import Outbound
from shared.runtime import Handled, Inbound


class RequestChecks:
    """The batch handler; the cipher comes from configuration at start-up."""

    def __init__(self) -> None:
        self._keys: tuple[FieldCipher, RetentionPolicy] | None = None

    def load_keys(self) -> None:
        """Read the keys and periods (a missing key stops the service before it consumes)."""
        settings = LegalSettings()
        self._keys = settings.cipher(), settings.retention()

    async def __call__(
        self, batch: Sequence[Inbound[RequestReceived]], conn: Connection
    ) -> Handled:
        """Check each received request against the law and record the verdict."""
        if self._keys is None:
            self.load_keys()
        assert self._keys is not None  # noqa: S101 - loaded just above
        events: list[Outbound] = []
        refused: list[tuple[Inbound[Any], str]] = []
        verdicts: list[tuple[str, str, float]] = []
        for inbound in batch:
            problem = await self._check(conn, inbound.event, events, verdicts)
            if problem is not None:
                refused.append((inbound, problem))

        def count() -> None:
            for instrument, state, waited in verdicts:
                metrics.REQUESTS_CHECKED.labels(instrument, state).inc()
                metrics.TIME_TO_ACKNOWLEDGE.observe(waited)

        return Handled(events, after_commit=count, refused=refused)

    async def _check(
        self,
        conn: Connection,
        received: RequestReceived,
        events: list[Outbound],
        verdicts: list[tuple[str, str, float]],
    ) -> str | None:
        assert self._keys is not None  # noqa: S101 - loaded by __call__
        cipher, retention = self._keys
        stored = await load(conn, received.request_id, cipher, lock=True)
        if stored is None:
            return "no request with this id was received by the portal"
        request = stored.request
        if request.authority_id != received.authority_id:
            return "the event's authority is not the stored request's"
        if stored.state != "received":
            return None  # already checked: a redelivered event changes nothing
        verdict = await check_stored(conn, request, retention=retention)
        accepted = isinstance(verdict, Accepted)
        refusals = (
            []
            if isinstance(verdict, Accepted)
            else [
                {"code": r.code.value, "article": r.article, "detail": r.detail}
                for r in verdict.refusals
            ]
        )
        state = "accepted" if accepted else "refused"
        now = datetime.now(UTC)
        # A refusal is the answer: it stops the deadline's clock.
        await conn.execute(
            """UPDATE legal.requests SET state = $2::text, refusals = $3,
                   checked_at = $4::timestamptz,
                   answered_at = CASE WHEN $2::text = 'refused' THEN $4::timestamptz END
               WHERE request_id = $1""",
            request.request_id,
            state,
            orjson.dumps(refusals).decode(),
            now,
        )
        codes = [r["code"] for r in refusals]
        await auditlog.record(
            conn,
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
            events.append(
                disclosure_event(DisclosureEventType.REFUSED, request, refusal_codes=codes)
            )
        verdicts.append(
            (request.instrument.value, state, (now - request.received_at).total_seconds())
        )
        return None
