"""The reviewer HTTP API (FastAPI), served by ``crible run dispatch`` on ``CRIBLE_HTTP_PORT``.

Every endpoint needs a bearer token (``crible reviewers token``): 401 without a valid one,
403 when the token's roles do not allow the endpoint. Reviewers, seniors and admins review;
seniors and admins resume held cases and read the queue's figures; a ``platform`` token (a
back end filing users' appeals) may only file appeals. The rules of each transition live in
``core/review.py``; ``handlers/deciding.py`` stores decisions and appeals with their events,
run by ``reviewing.py`` in their transactions (refusals become statuses there), which go out
through the outbox at commit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.dispatch import metrics
from services.dispatch.adapters.http import reviewing as use_cases
from services.dispatch.adapters.http.console.routes import mount_console
from services.dispatch.adapters.http.reviewing import READ_REFUSALS, RequestRefusedError, holder_of
from services.dispatch.adapters.postgres import queue
from services.dispatch.config import DispatchSettings
from services.dispatch.core import review
from services.dispatch.core.decisions import Outcome
from services.dispatch.core.reviewers import Reviewer, Role, may_read
from services.dispatch.handlers.deciding import DecisionInput
from shared.runtime import ServiceContext
from shared.runtime.outbox import Outbox


class ReasonRequest(BaseModel):
    """Why a case is escalated or held."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class AppealRequest(BaseModel):
    """An appeal of a decided case, filed for the user it affects (DSA art. 20)."""

    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    idempotency_key: uuid.UUID = Field(description="The same key twice is one appeal.")


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
        service="dispatch", settings=unused, pool=unused, outbox=unused, stop=unused
    )
    document: dict[str, Any] = build_app(ctx).openapi()
    return document


class TokenCache:
    """Reviewers by token for a few seconds: one query fewer per request.

    Only tokens that were valid are kept, under their hash, so a disabled reviewer or a
    replaced token stops working within ``ttl`` seconds.
    """

    ttl = 5.0
    _LIMIT = 10_000

    def __init__(self) -> None:
        self._known: dict[bytes, tuple[float, Reviewer]] = {}

    def get(self, token: str) -> Reviewer | None:
        """The reviewer if the token was valid less than ``ttl`` seconds ago."""
        entry = self._known.get(queue.token_hash(token))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, token: str, reviewer: Reviewer) -> None:
        """Remember a valid token."""
        if len(self._known) >= self._LIMIT:
            self._known.clear()
        self._known[queue.token_hash(token)] = (time.monotonic() + self.ttl, reviewer)


def build_app(ctx: ServiceContext) -> FastAPI:
    """The API over the service's pool and outbox."""
    app = FastAPI(title="Crible reviewer API", version="1")
    pool, outbox = ctx.pool, ctx.outbox
    if pool is None or outbox is None:
        raise RuntimeError("the reviewer API needs the database")
    config = DispatchSettings()
    policy = config.review_policy()

    @app.exception_handler(RequestRefusedError)
    async def refused(_: Request, error: RequestRefusedError) -> Any:
        from fastapi.responses import JSONResponse  # noqa: PLC0415 - only on errors

        body = {"detail": error.message}
        if error.code is not None:
            body["code"] = error.code
        return JSONResponse(body, status_code=error.status)

    tokens = TokenCache()

    async def authenticated(request: Request) -> Reviewer:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, "a bearer token is required")
        reviewer = tokens.get(token)
        if reviewer is None:
            async with pool.acquire() as conn:
                reviewer = await queue.reviewer_by_token(conn, token)
            if reviewer is None:
                raise HTTPException(401, "unknown or disabled token")
            tokens.put(token, reviewer)
        return reviewer

    def role(*allowed: Role) -> Callable[[Request], Awaitable[Reviewer]]:
        async def check(request: Request) -> Reviewer:
            reviewer = await authenticated(request)
            if not reviewer.roles & set(allowed):
                raise HTTPException(403, f"needs one of the roles {sorted(allowed)}")
            return reviewer

        return check

    deps = _Deps(
        pool=pool,
        outbox=outbox,
        policy=policy,
        reviewing=Depends(role(Role.REVIEWER, Role.SENIOR, Role.ADMIN)),
        supervising=Depends(role(Role.SENIOR, Role.ADMIN)),
        appealing=Depends(role(Role.PLATFORM, Role.ADMIN)),
    )
    _lease_routes(app, deps)
    _decision_routes(app, deps)
    _overview_routes(app, deps)
    mount_console(app, pool, outbox)
    return app


@dataclass(frozen=True, slots=True)
class _Deps:
    """What the routes share: the pool, the outbox, the rules, the role checks."""

    pool: Any
    outbox: Outbox
    policy: review.ReviewPolicy
    reviewing: Any
    supervising: Any
    appealing: Any

    async def transition(
        self,
        case_id: uuid.UUID,
        revision: int,
        move: Callable[[review.ReviewCase, datetime], review.Step],
    ) -> review.ReviewCase:
        """Apply one lease transition (renew, release, escalate, hold, resume) and save it."""
        return await use_cases.move(self.pool, (case_id, revision), move, policy=self.policy)


def _lease_routes(app: FastAPI, deps: _Deps) -> None:
    """Take the next case, read it, renew or release the lease."""
    pool, policy, reviewing = deps.pool, deps.policy, deps.reviewing

    @app.post("/v1/cases/next")
    async def next_case(reviewer: Reviewer = reviewing) -> dict[str, Any]:
        """Lease the most urgent case this reviewer may see (``case`` null when none)."""
        async with pool.acquire() as conn:
            row = await queue.next_case(conn, reviewer, lease=policy.lease)
        if row is None:
            return {"case": None}
        if row["took_over"]:
            metrics.LEASES_EXPIRED.labels(row["screened_category"]).inc()
        return {"case": _case_view(row)}

    @app.get("/v1/cases/{case_id}/{revision}")
    async def detail(
        case_id: uuid.UUID, revision: int, reviewer: Reviewer = reviewing
    ) -> dict[str, Any]:
        """The case: subject, counts, reports, screening, deadlines and history.

        Who may read it is ``reviewers.may_read`` (the console asks the same): 403 outside
        the reviewer's clearances, 409 when the lease expired or someone else holds it.
        """
        async with pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT * FROM dispatch.cases WHERE case_id = $1 AND revision = $2",
                case_id,
                revision,
            )
            if row is None:
                raise HTTPException(404, "no such case revision")
            refusal = may_read(reviewer, holder_of(row), datetime.now(UTC))
            if refusal is not None:
                raise RequestRefusedError(*READ_REFUSALS[refusal], refusal.value)
            view = _case_view(row)
            view["reports"] = await queue.reports(conn, case_id, revision)
            view["history"] = await queue.history(conn, case_id)
        return {"case": view}

    @app.post("/v1/cases/{case_id}/{revision}/lease")
    async def renew(
        case_id: uuid.UUID, revision: int, reviewer: Reviewer = reviewing
    ) -> dict[str, Any]:
        """Extend the lease on the case this reviewer holds by the lease's length."""
        case = await deps.transition(
            case_id, revision, lambda c, now: review.renew(c, reviewer.id, now, policy=policy)
        )
        expires = case.lease.expires_at if case.lease is not None else None
        return {"lease_expires_at": None if expires is None else expires.isoformat()}

    @app.delete("/v1/cases/{case_id}/{revision}/lease")
    async def release(
        case_id: uuid.UUID, revision: int, reviewer: Reviewer = reviewing
    ) -> dict[str, Any]:
        """Give the case back to the queue, undecided, where it waited."""
        await deps.transition(case_id, revision, lambda c, now: review.release(c, reviewer.id, now))
        return {"released": True}


def _decision_routes(app: FastAPI, deps: _Deps) -> None:
    """Decide, escalate, hold, resume, appeal."""
    reviewing, supervising = deps.reviewing, deps.supervising

    @app.post("/v1/cases/{case_id}/{revision}/decision")
    async def decide(
        case_id: uuid.UUID, revision: int, body: DecisionRequest, reviewer: Reviewer = reviewing
    ) -> dict[str, Any]:
        """Decide the case this reviewer holds; events go out at commit.

        In a dual-review category the first decision waits for a second reviewer's
        (``final`` false); a disagreement escalates to a senior.
        """
        result = await use_cases.decide(
            deps.outbox,
            reviewer,
            (case_id, revision),
            DecisionInput(body.outcome, body.policy_reason, body.explanation, body.idempotency_key),
            policy=deps.policy,
        )
        return {
            "decision_id": str(result.decision_id),
            "repeated": result.repeated,
            "final": result.final,
        }

    @app.post("/v1/cases/{case_id}/{revision}/escalate")
    async def escalate(
        case_id: uuid.UUID, revision: int, body: ReasonRequest, reviewer: Reviewer = reviewing
    ) -> dict[str, Any]:
        """Hand the case you hold to a senior, with the reason."""
        await deps.transition(
            case_id, revision, lambda c, now: review.escalate(c, reviewer.id, body.reason, now)
        )
        return {"state": "escalated"}

    @app.post("/v1/cases/{case_id}/{revision}/hold")
    async def hold(
        case_id: uuid.UUID, revision: int, body: ReasonRequest, reviewer: Reviewer = reviewing
    ) -> dict[str, Any]:
        """Put the case you hold aside (e.g. waiting for context), with the reason."""
        await deps.transition(
            case_id, revision, lambda c, now: review.hold(c, reviewer.id, body.reason, now)
        )
        return {"state": "held"}

    @app.post("/v1/cases/{case_id}/{revision}/resume")
    async def resume(
        case_id: uuid.UUID, revision: int, _: Reviewer = supervising
    ) -> dict[str, Any]:
        """Put a held case back where it waited before (seniors and admins)."""
        case = await deps.transition(case_id, revision, lambda c, _now: review.resume(c))
        return {"state": case.state.value}

    @app.post("/v1/cases/{case_id}/{revision}/appeal")
    async def appeal(
        case_id: uuid.UUID, revision: int, body: AppealRequest, filer: Reviewer = deps.appealing
    ) -> dict[str, Any]:
        """Appeal the case's decision: a reviewer other than its decider reviews it again."""
        appeal_id, repeated = await use_cases.appeal(
            deps.pool,
            (case_id, revision),
            reason=body.reason,
            filed_by=filer.id,
            idempotency_key=body.idempotency_key,
            policy=deps.policy,
        )
        return {"appeal_id": str(appeal_id), "repeated": repeated, "state": "appealed"}


def _overview_routes(app: FastAPI, deps: _Deps) -> None:
    """Open appeals, queue figures, the reviewer's own shift."""
    pool = deps.pool

    @app.get("/v1/appeals")
    async def appeals(reviewer: Reviewer = deps.supervising) -> dict[str, Any]:
        """Open appeals in the categories this senior is cleared for, oldest first."""
        async with pool.acquire() as conn:
            rows = await queue.open_appeals(conn, reviewer)
        return {"appeals": rows}

    @app.get("/v1/queue/stats")
    async def stats(_: Reviewer = deps.supervising) -> dict[str, Any]:
        """Waiting cases by category and band, the oldest one's age, overdue ones."""
        async with pool.acquire() as conn:
            return {"categories": await queue.stats(conn)}

    @app.get("/v1/me")
    async def me(reviewer: Reviewer = deps.reviewing) -> dict[str, Any]:
        """The reviewer's own shift: decisions, graphic exposure left, leases held."""
        async with pool.acquire() as conn:
            mine = await queue.shift_stats(conn, reviewer)
        return {
            "reviewer_id": reviewer.id,
            "roles": sorted(reviewer.roles),
            "languages": sorted(reviewer.languages),
            **mine,
        }


def _case_view(row: Any) -> dict[str, Any]:
    return {
        "case_id": str(row["case_id"]),
        "revision": row["revision"],
        "subject": orjson.loads(row["subject"]),
        "category": row["category"],
        "screened_category": row["screened_category"],
        "route": row["route"],
        "severity": row["severity"],
        "state": row["state"],
        "waiting_state": row["waiting_state"],
        "reason": row["reason"],
        "report_count": queue.shown_counts(row)[0],
        "reporter_count": queue.shown_counts(row)[1],
        "languages": row["languages"],
        "priority": round(queue.priority_of(row["rank_at"]), 1),
        "surges": {"viral": row["surge_viral"], "coordinated": row["surge_coordinated"]},
        "due_at": row["due_at"].isoformat(),
        "lease_expires_at": (
            None if row["lease_expires_at"] is None else row["lease_expires_at"].isoformat()
        ),
        "verdict": orjson.loads(row["verdict"]),
    }
