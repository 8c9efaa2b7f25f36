"""The reviewing use cases as the API and the console call them: transactions, statuses, metrics.

This is the only place where a domain refusal becomes an HTTP status (``RequestRefusedError``
carries it, with the rule's ``code``): 404 for no such case, 422 for input the rules refuse
(a reason outside the catalogue, an outcome that does not apply, no reason given), 409 for a
move the case's state or lease does not allow, 403 for a case outside the reviewer's
clearances.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from services.dispatch import metrics
from services.dispatch.adapters.postgres.cases import PostgresReviews
from services.dispatch.adapters.yaml_files import shipped_catalogue
from services.dispatch.core import review
from services.dispatch.core.lifecycle import State
from services.dispatch.core.reasons import ReasonRefusedError
from services.dispatch.core.review import Effect, ReviewPolicy
from services.dispatch.core.reviewers import CaseHolder, ReadRefusal, Reviewer
from services.dispatch.handlers import deciding
from services.dispatch.handlers.deciding import (
    CaseNotFoundError,
    Decided,
    DecisionInput,
    DecisionResult,
    KeyReusedError,
)
from services.dispatch.ports import Key
from shared.events.reports import Category
from shared.runtime.contract import Handled
from shared.runtime.outbox import Outbox


class RequestRefusedError(Exception):
    """The request cannot be carried out; ``status`` is the HTTP status, ``code`` the rule."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


#: HTTP statuses of the state machine's refusals that are about the input, not the state.
_STATUS = {
    review.ErrorCode.OUTCOME_NOT_APPLICABLE: 422,
    review.ErrorCode.NO_REASON: 422,
    review.ErrorCode.BAD_DURATION: 422,
}
_MESSAGES = {
    review.ErrorCode.NOT_LEASED: "the case is not leased to you",
    review.ErrorCode.NOT_LEASE_HOLDER: "the case is not leased to you",
    review.ErrorCode.LEASE_EXPIRED: "your lease expired; ask for the next case again",
}
#: HTTP status and message of each refusal to read a case (``reviewers.may_read``).
READ_REFUSALS: dict[ReadRefusal, tuple[int, str]] = {
    ReadRefusal.NOT_CLEARED: (403, "you are not cleared for this case's category"),
    ReadRefusal.LEASE_EXPIRED: (409, "your lease expired; ask for the next case again"),
    ReadRefusal.NOT_YOURS: (409, "the case is not leased to you"),
}


def refusal(error: Exception) -> RequestRefusedError:
    """The HTTP refusal of a domain error."""
    if isinstance(error, review.ReviewError):
        message = _MESSAGES.get(error.code, str(error))
        return RequestRefusedError(_STATUS.get(error.code, 409), message, error.code.value)
    if isinstance(error, ReasonRefusedError):
        return RequestRefusedError(422, str(error), error.code.value)
    if isinstance(error, CaseNotFoundError):
        return RequestRefusedError(404, "no such case revision")
    if isinstance(error, KeyReusedError):
        return RequestRefusedError(409, str(error), "idempotency_key_reused")
    raise error


_REFUSALS = (review.ReviewError, ReasonRefusedError, CaseNotFoundError, KeyReusedError)


def holder_of(row: Any) -> CaseHolder:
    """What ``may_read`` needs of a case row (a lease counts only while the row is leased)."""
    leased = row["state"] == State.LEASED.value
    return CaseHolder(
        category=Category(row["screened_category"]),
        leased_by=row["leased_by"] if leased else None,
        lease_expires_at=row["lease_expires_at"] if leased else None,
    )


async def decide(
    outbox: Outbox, reviewer: Reviewer, target: Key, body: DecisionInput, *, policy: ReviewPolicy
) -> DecisionResult:
    """Record a decision and its events in one transaction; count it once committed."""
    try:
        async with outbox.transaction() as tx:
            decided = await deciding.decide(
                PostgresReviews(tx.conn, policy),
                reviewer,
                target,
                body,
                catalogue=shipped_catalogue(),
                now=datetime.now(UTC),
            )
            tx.keep(Handled(decided.events))
    except _REFUSALS as error:
        raise refusal(error) from None
    _count(decided, body)
    return decided.result


async def move(
    pool: Any,
    target: Key,
    step: Callable[[review.ReviewCase, datetime], review.Step],
    *,
    policy: ReviewPolicy,
) -> review.ReviewCase:
    """Apply one lease move (renew, release, escalate, hold, resume) in its transaction."""
    try:
        async with pool.acquire() as conn, conn.transaction():
            now = datetime.now(UTC)
            return await deciding.move(
                PostgresReviews(conn, policy), target, lambda case: step(case, now)
            )
    except _REFUSALS as error:
        raise refusal(error) from None


async def appeal(
    pool: Any,
    target: Key,
    *,
    reason: str,
    filed_by: str,
    idempotency_key: uuid.UUID,
    policy: ReviewPolicy,
) -> tuple[uuid.UUID, bool]:
    """File an appeal in its transaction; count it once committed."""
    try:
        async with pool.acquire() as conn, conn.transaction():
            appeal_id, repeated = await deciding.appeal(
                PostgresReviews(conn, policy),
                target,
                reason=reason,
                filed_by=filed_by,
                idempotency_key=idempotency_key,
            )
            category = await conn.fetchval(
                "SELECT screened_category FROM dispatch.cases WHERE case_id = $1 AND revision = $2",
                *target,
            )
    except _REFUSALS as error:
        raise refusal(error) from None
    if not repeated:
        metrics.APPEALS_FILED.labels(category).inc()
    return appeal_id, repeated


def _count(decided: Decided, body: DecisionInput) -> None:
    """Business metrics, once the transaction committed."""
    before, step = decided.before, decided.step
    if before is None or step is None:
        return  # a repeated request: counted the first time
    category = before.case.category.value
    decision = step.case.decisions[-1]
    metrics.DECISIONS.labels(body.outcome.value, category).inc()
    second = before.case.waiting_in is State.AWAITING_SECOND_REVIEW
    if second and step.case.state is State.ESCALATED:
        metrics.DISAGREEMENTS.labels(category).inc()
    if decision.final:
        metrics.TIME_TO_DECISION.labels(category).observe(
            (decision.decided_at - before.opened_at).total_seconds()
        )
    if Effect.PUBLISH_REVERSAL in step.effects:
        of = "decision" if before.last_final() is not None else "automatic"
        metrics.REVERSALS.labels(category, of).inc()
    if before.case.waiting_in is State.APPEALED:
        result = "overturned" if body.outcome is not before.case.in_force else "upheld"
        metrics.APPEALS_DECIDED.labels(category, result).inc()
