"""The reviewer HTTP API (FastAPI), served by ``crible run dispatch`` on ``CRIBLE_HTTP_PORT``.

Every endpoint needs a reviewer's bearer token (``crible reviewers token``): 401 without a
valid one, 403 when the reviewer's role does not allow the endpoint. A decision writes its
row and its events (``ReviewDecision``, ``EnforcementAction``, a reversal of an automatic
action) in one transaction; they go out through the outbox at commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.dispatch import metrics, queue
from services.dispatch.decisions import (
    Outcome,
    OutcomeNotApplicableError,
    enforcement,
)
from services.dispatch.intake import automatic_measures
from services.dispatch.reviewers import Reviewer, Role
from services.dispatch.sor import (
    ContentType,
    DecisionFacts,
    IncompatibleContent,
    build_statement,
    puid_for,
)
from shared.events.reports import Category, Subject, SubjectKind
from shared.publisher import Outbound
from shared.runtime import ServiceContext
from shared.runtime.emit import Emitter
from shared.topics import ENFORCEMENT_ACTIONS, REVIEW_DECISIONS, STATEMENTS_OF_REASONS

_NAMESPACE = uuid.UUID("9a4e1c07-52b8-4f3d-a6e2-0d8c7b5f1e24")
#: Named in statements' terms-and-conditions ground ("<platform> terms and conditions").
PLATFORM_NAME = "the platform"


class ReasonRequest(BaseModel):
    """Why a case is escalated or held."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class DecisionRequest(BaseModel):
    """A reviewer's decision on the case they hold."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    policy_reason: Annotated[
        str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w.:/\-]+$")
    ]
    explanation: Annotated[str, StringConstraints(max_length=2000)]
    idempotency_key: uuid.UUID = Field(
        description="The same key twice is one decision (a retried request)."
    )


def openapi() -> dict[str, Any]:
    """The API's OpenAPI document (exported to ``deploy/schemas/dispatch.openapi.json``).

    Built over a context whose database is never touched: only the routes' shapes are read.
    """
    unused: Any = object()
    ctx = ServiceContext(
        service="dispatch", settings=unused, pool=unused, emitter=unused, stop=unused
    )
    document: dict[str, Any] = build_app(ctx).openapi()
    return document


def build_app(ctx: ServiceContext) -> FastAPI:
    """The API over the service's pool and outbox."""
    app = FastAPI(title="Crible reviewer API", version="1")
    pool, emitter = ctx.pool, ctx.emitter
    if pool is None or emitter is None:
        raise RuntimeError("the reviewer API needs the database")

    async def authenticated(request: Request) -> Reviewer:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, "a reviewer's bearer token is required")
        async with pool.acquire() as conn:
            reviewer = await queue.reviewer_by_token(conn, token)
        if reviewer is None:
            raise HTTPException(401, "unknown or disabled token")
        return reviewer

    def role(*allowed: Role) -> Callable[[Request], Awaitable[Reviewer]]:
        async def check(request: Request) -> Reviewer:
            reviewer = await authenticated(request)
            if not reviewer.roles & set(allowed):
                raise HTTPException(403, f"needs one of the roles {sorted(allowed)}")
            return reviewer

        return check

    reviewing = Depends(role(Role.REVIEWER, Role.SENIOR, Role.ADMIN))
    supervising = Depends(role(Role.SENIOR, Role.ADMIN))

    @app.post("/v1/cases/next")
    async def next_case(reviewer: Reviewer = reviewing) -> dict[str, Any]:
        """Lease the most urgent case this reviewer may see (204-like: ``case`` null)."""
        async with pool.acquire() as conn, conn.transaction():
            row = await queue.next_case(conn, reviewer)
        return {"case": None if row is None else _case_view(row)}

    @app.post("/v1/cases/{case_id}/{revision}/decision")
    async def decide(
        case_id: uuid.UUID, revision: int, body: DecisionRequest, reviewer: Reviewer = reviewing
    ) -> dict[str, Any]:
        """Decide the case this reviewer holds; events go out at commit."""
        return await _decide(emitter, reviewer, case_id, revision, body)

    @app.get("/v1/cases/{case_id}/{revision}")
    async def detail(
        case_id: uuid.UUID, revision: int, reviewer: Reviewer = reviewing
    ) -> dict[str, Any]:
        """The case this reviewer holds: subject, counts, screening, deadlines."""
        async with pool.acquire() as conn:
            row = await _held_case(conn, case_id, revision, reviewer)
        return {"case": _case_view(dict(row))}

    @app.post("/v1/cases/{case_id}/{revision}/lease")
    async def renew(
        case_id: uuid.UUID, revision: int, reviewer: Reviewer = reviewing
    ) -> dict[str, Any]:
        """Extend the lease on the case this reviewer holds by the lease's length."""
        async with pool.acquire() as conn, conn.transaction():
            await _held_case(conn, case_id, revision, reviewer, lock=True)
            expires = await conn.fetchval(
                """UPDATE dispatch.cases SET lease_expires_at = now() + $3::interval
                   WHERE case_id = $1 AND revision = $2 RETURNING lease_expires_at""",
                case_id,
                revision,
                queue.DEFAULT_LEASE,
            )
        return {"lease_expires_at": expires.isoformat()}

    @app.delete("/v1/cases/{case_id}/{revision}/lease")
    async def release(
        case_id: uuid.UUID, revision: int, reviewer: Reviewer = reviewing
    ) -> dict[str, Any]:
        """Give the case back to the queue, undecided."""
        async with pool.acquire() as conn, conn.transaction():
            await _held_case(conn, case_id, revision, reviewer, lock=True)
            await conn.execute(
                """UPDATE dispatch.cases SET state = waiting_state, leased_by = NULL,
                       lease_expires_at = NULL, updated_at = now()
                   WHERE case_id = $1 AND revision = $2""",
                case_id,
                revision,
            )
        return {"released": True}

    _set_aside_routes(app, pool, reviewing, supervising)

    @app.get("/v1/queue/stats")
    async def stats(_: Reviewer = supervising) -> dict[str, Any]:
        """Waiting cases by category, and the oldest one's age (seniors and admins)."""
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT screened_category, count(*) AS waiting,
                          extract(epoch FROM now() - min(opened_at)) AS oldest_seconds,
                          count(*) FILTER (WHERE due_at < now()) AS overdue
                   FROM dispatch.cases WHERE state IN ('queued', 'leased')
                   GROUP BY screened_category ORDER BY screened_category"""
            )
        return {"categories": [dict(r) for r in rows]}

    return app


async def _decide(
    emitter: Emitter, reviewer: Reviewer, case_id: uuid.UUID, revision: int, body: DecisionRequest
) -> dict[str, Any]:
    """Record the decision on the case ``reviewer`` holds, with its events."""
    decision_id = uuid.uuid5(_NAMESPACE, f"{reviewer.id}/{body.idempotency_key}")
    async with emitter.transaction() as tx:
        conn = tx.conn
        done = await conn.fetchrow(
            "SELECT case_id, revision FROM dispatch.decisions WHERE decision_id = $1",
            decision_id,
        )
        if done is not None:
            if (done["case_id"], done["revision"]) != (case_id, revision):
                raise HTTPException(409, "idempotency key already used for another case")
            return {"decision_id": str(decision_id), "repeated": True}
        case = await _held_case(conn, case_id, revision, reviewer, lock=True)
        subject = Subject.model_validate_json(case["subject"])
        try:
            measures = enforcement(body.outcome, subject.kind)
        except OutcomeNotApplicableError as error:
            raise HTTPException(422, str(error)) from None
        now = datetime.now(UTC)
        await conn.execute(
            """INSERT INTO dispatch.decisions (decision_id, case_id, revision, reviewer_id,
                   outcome, policy_reason, explanation, final, decided_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, true, $8)""",
            decision_id,
            case_id,
            revision,
            reviewer.id,
            body.outcome.value,
            body.policy_reason,
            body.explanation,
            now,
        )
        await conn.execute(
            """UPDATE dispatch.cases SET state = 'decided', leased_by = NULL,
                   lease_expires_at = NULL, updated_at = $3
               WHERE case_id = $1 AND revision = $2""",
            case_id,
            revision,
            now,
        )
        tx.emit(
            *_events(
                case,
                subject,
                body,
                decision_id=decision_id,
                reviewer=reviewer,
                measures=measures,
                now=now,
            )
        )
    # Counted once the transaction committed (the block above raises otherwise).
    category = case["screened_category"]
    metrics.DECISIONS.labels(body.outcome.value, category).inc()
    metrics.TIME_TO_DECISION.labels(category).observe((now - case["opened_at"]).total_seconds())
    if body.outcome is Outcome.NO_VIOLATION and case["automatic_action_id"] is not None:
        metrics.REVERSALS.labels(category).inc()
    return {"decision_id": str(decision_id), "repeated": False}


def _set_aside_routes(app: FastAPI, pool: Any, reviewing: Any, supervising: Any) -> None:
    """Escalate, hold and resume."""

    @app.post("/v1/cases/{case_id}/{revision}/escalate")
    async def escalate(
        case_id: uuid.UUID, revision: int, body: ReasonRequest, reviewer: Reviewer = reviewing
    ) -> dict[str, Any]:
        """Hand the case you hold to a senior, with the reason."""
        await _set_aside(pool, reviewer, case_id, revision, state="escalated", reason=body.reason)
        return {"state": "escalated"}

    @app.post("/v1/cases/{case_id}/{revision}/hold")
    async def hold(
        case_id: uuid.UUID, revision: int, body: ReasonRequest, reviewer: Reviewer = reviewing
    ) -> dict[str, Any]:
        """Put the case you hold on hold (e.g. waiting for context), with the reason."""
        await _set_aside(pool, reviewer, case_id, revision, state="held", reason=body.reason)
        return {"state": "held"}

    @app.post("/v1/cases/{case_id}/{revision}/resume")
    async def resume(
        case_id: uuid.UUID, revision: int, _: Reviewer = supervising
    ) -> dict[str, Any]:
        """Put a held case back in the queue (seniors and admins)."""
        async with pool.acquire() as conn:
            status = await conn.execute(
                """UPDATE dispatch.cases SET state = 'queued', reason = NULL, updated_at = now()
                   WHERE case_id = $1 AND revision = $2 AND state = 'held'""",
                case_id,
                revision,
            )
        if status != "UPDATE 1":
            raise HTTPException(409, "the case is not on hold")
        return {"state": "queued"}


async def _set_aside(
    pool: Any, reviewer: Reviewer, case_id: uuid.UUID, revision: int, *, state: str, reason: str
) -> None:
    """Take the case out of the reviewer's hands into ``state`` (escalated or held)."""
    async with pool.acquire() as conn, conn.transaction():
        await _held_case(conn, case_id, revision, reviewer, lock=True)
        await conn.execute(
            """UPDATE dispatch.cases SET state = $3, waiting_state = $4, reason = $5,
                   leased_by = NULL, lease_expires_at = NULL, updated_at = now()
               WHERE case_id = $1 AND revision = $2""",
            case_id,
            revision,
            state,
            "escalated" if state == "escalated" else "queued",
            reason,
        )


async def _held_case(
    conn: Any, case_id: uuid.UUID, revision: int, reviewer: Reviewer, *, lock: bool = False
) -> Any:
    """The case row if ``reviewer`` holds its lease now; 404 or 409 otherwise."""
    row = await conn.fetchrow(
        "SELECT * FROM dispatch.cases WHERE case_id = $1 AND revision = $2"
        + (" FOR UPDATE" if lock else ""),
        case_id,
        revision,
    )
    if row is None:
        raise HTTPException(404, "no such case revision")
    if row["state"] != "leased" or row["leased_by"] != reviewer.id:
        raise HTTPException(409, "the case is not leased to you")
    if row["lease_expires_at"] < datetime.now(UTC):
        raise HTTPException(409, "your lease expired; ask for the next case again")
    return row


def _case_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "case_id": str(row["case_id"]),
        "revision": row["revision"],
        "subject": orjson.loads(row["subject"]),
        "category": row["category"],
        "screened_category": row["screened_category"],
        "route": row["route"],
        "severity": row["severity"],
        "report_count": row["report_count"],
        "reporter_count": row["reporter_count"],
        "languages": row["languages"],
        "due_at": row["due_at"].isoformat(),
        "lease_expires_at": row["lease_expires_at"].isoformat(),
        "verdict": orjson.loads(row["verdict"]),
    }


def _events(
    case: Any,
    subject: Subject,
    body: DecisionRequest,
    *,
    decision_id: uuid.UUID,
    reviewer: Reviewer,
    measures: tuple[Any, ...],
    now: datetime,
) -> list[Outbound]:
    key = str(case["case_id"]).encode()
    # asyncpg's UUIDs are not the standard library's: orjson takes them as strings.
    automatic = None if case["automatic_action_id"] is None else str(case["automatic_action_id"])
    common = {
        "schema_version": 1,
        "case_id": str(case["case_id"]),
        "case_revision": case["revision"],
        "subject": subject.model_dump(exclude_none=True),
    }
    decision = {
        **common,
        "decision_id": decision_id,
        "category": case["screened_category"],
        "outcome": body.outcome,
        "policy_reason": body.policy_reason,
        "explanation": body.explanation,
        "reviewer_id": reviewer.id,
        "final": True,
        "reverses": automatic if body.outcome is Outcome.NO_VIOLATION else None,
        "decided_at": now,
    }
    events = [Outbound(REVIEW_DECISIONS.name, key, orjson.dumps(decision))]
    action = {
        **common,
        "category": case["screened_category"],
        "automatic": False,
        "decision_id": decision_id,
        "reason": body.policy_reason,
        "issued_at": now,
    }
    statement = _statement(case, subject, body, decision_id=decision_id, now=now)
    if statement is not None:
        issued = {
            "schema_version": 1,
            "puid": puid_for(decision_id),
            "decision_id": decision_id,
            "case_id": str(case["case_id"]),
            "statement": statement,
            "issued_at": now,
        }
        events.append(Outbound(STATEMENTS_OF_REASONS.name, key, orjson.dumps(issued)))
    enforced: dict[str, Any] | None = None
    if measures:
        enforced = {
            "action_id": uuid.uuid5(_NAMESPACE, f"action/{decision_id}"),
            "measures": [{"action": m.action, "target": m.target} for m in measures],
        }
    elif automatic is not None:
        # The screening removed it at once; a person found nothing wrong: put it back.
        enforced = {
            "action_id": uuid.uuid5(_NAMESPACE, f"reversal/{decision_id}"),
            "measures": automatic_measures(subject.kind),
            "reverses": automatic,
        }
    if enforced is not None:
        events.append(Outbound(ENFORCEMENT_ACTIONS.name, key, orjson.dumps({**action, **enforced})))
    return events


#: What a statement says of the content, by what was reported (the format's content types).
_CONTENT_TYPES: dict[SubjectKind, tuple[ContentType, str | None]] = {
    SubjectKind.MESSAGE: ("CONTENT_TYPE_TEXT", None),
    SubjectKind.USER: ("CONTENT_TYPE_OTHER", "Account profile"),
    SubjectKind.GROUP: ("CONTENT_TYPE_OTHER", "Group"),
    SubjectKind.CHANNEL: ("CONTENT_TYPE_OTHER", "Channel"),
}


def _statement(
    case: Any, subject: Subject, body: DecisionRequest, *, decision_id: uuid.UUID, now: datetime
) -> dict[str, Any] | None:
    """The DSA statement of reasons of a restrictive decision (None for no violation).

    Its texts are standard wording from the category and the clause, never the reviewer's
    free text: the Commission publishes statements, and free text may name people.
    """
    verdict = orjson.loads(case["verdict"])
    detected = any(s.get("matches") for s in verdict.get("screeners", ()))
    content_type, content_other = _CONTENT_TYPES[subject.kind]
    category = Category(case["screened_category"])
    label = category.value.replace("_", " ")
    return build_statement(
        DecisionFacts(
            decision_id=decision_id,
            category=category,
            outcome=body.outcome,
            subject_kind=subject.kind,
            ground=IncompatibleContent(
                reference=body.policy_reason,
                explanation=f"The content was found to breach the {label} policy "
                f"({body.policy_reason}) of the terms of service.",
            ),
            facts=f"Reported by users as {case['category'].replace('_', ' ')}; "
            f"{'flagged by automated screening and ' if detected else ''}"
            f"reviewed by a trained moderator, who found a breach of the {label} policy.",
            content_types=(content_type,),
            content_type_other=content_other,
            content_date=case["opened_at"].date(),
            application_date=now.date(),
            automated_detection=detected,
            automated_decision="AUTOMATED_DECISION_NOT_AUTOMATED",
            source_type="SOURCE_ARTICLE_16",
            platform_name=PLATFORM_NAME,
        )
    )
