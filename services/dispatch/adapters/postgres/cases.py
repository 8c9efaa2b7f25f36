"""Review cases as stored: rows to the pure state machine (``core/review.py``) and back.

A ``dispatch.cases`` row and its decisions make a :class:`ReviewCase` (in a ``StoredCase``
with what events need). The handlers lock the row through this store, let ``review`` decide
what the transition is, and save the result: the rules live in one tested place, not in SQL.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import orjson

from services.dispatch.adapters.postgres.evidence import preserve
from services.dispatch.adapters.postgres.statements import keep_statements
from services.dispatch.core.decisions import Outcome
from services.dispatch.core.lifecycle import WAITING, State
from services.dispatch.core.review import Decision, Lease, ReviewCase, ReviewPolicy
from services.dispatch.ports import (
    AppealRecord,
    DecisionRecord,
    Key,
    Preservation,
    StoredCase,
    StoredDecision,
)
from shared.db import Connection
from shared.events.decisions import StatementIssued
from shared.events.reports import Category, Subject


async def load(conn: Connection, key: Key, policy: ReviewPolicy) -> StoredCase | None:
    """The case revision, locked for this transaction; None when there is none."""
    row = await conn.fetchrow(
        "SELECT * FROM dispatch.cases WHERE case_id = $1 AND revision = $2 FOR UPDATE", *key
    )
    if row is None:
        return None
    rows = await conn.fetch(
        """SELECT decision_id, reviewer_id, outcome, final, decided_at, explanation,
                  action_id, reverses
           FROM dispatch.decisions WHERE case_id = $1 AND revision = $2
           ORDER BY decided_at, decision_id""",
        *key,
    )
    decisions = tuple(
        StoredDecision(
            decision_id=r["decision_id"],
            decision=Decision(
                reviewer_id=r["reviewer_id"],
                outcome=Outcome(r["outcome"]),
                decided_at=r["decided_at"],
                final=r["final"],
                reversal=r["reverses"] is not None,
                note=r["explanation"],
            ),
            action_id=r["action_id"],
        )
        for r in rows
    )
    verdict = orjson.loads(row["verdict"])
    return StoredCase(
        case=to_model(row, tuple(d.decision for d in decisions), policy),
        subject=Subject.model_validate_json(row["subject"]),
        decisions=decisions,
        reported_category=row["category"],
        automatic_action_id=row["automatic_action_id"],
        opened_at=row["opened_at"],
        screeners=tuple(verdict.get("screeners", ())),
    )


def to_model(row: Any, decisions: tuple[Decision, ...], policy: ReviewPolicy) -> ReviewCase:
    """The pure model of a case row (``dismissed`` cases are never reviewed)."""
    state = State(row["state"])
    waiting = State(row["waiting_state"])
    category = Category(row["screened_category"])
    lease = None
    if state is State.LEASED:
        lease = Lease(row["leased_by"], row["lease_expires_at"], returns_to=waiting)
    return ReviewCase(
        case_id=row["case_id"],
        revision=row["revision"],
        category=category,
        subject_kind=Subject.model_validate_json(row["subject"]).kind,
        dual=category in policy.dual_review,
        languages=frozenset(row["languages"]),
        state=state,
        in_force=None if row["in_force"] is None else Outcome(row["in_force"]),
        lease=lease,
        held_from=waiting if state is State.HELD else None,
        reason=row["reason"],
        decisions=decisions,
        appealed=row["appealed"],
    )


def waiting_state(case: ReviewCase) -> State:
    """What the row's ``waiting_state`` holds: where the case goes back to, or waits."""
    if case.lease is not None:
        return case.lease.returns_to
    if case.held_from is not None:
        return case.held_from
    return case.state if case.state in WAITING else State.QUEUED


async def save(conn: Connection, case: ReviewCase) -> None:
    """Write the case's review state back to its row."""
    await conn.execute(
        """UPDATE dispatch.cases SET state = $3, waiting_state = $4, leased_by = $5,
               lease_expires_at = $6, reason = $7, in_force = $8, appealed = $9,
               updated_at = now()
           WHERE case_id = $1 AND revision = $2""",
        case.case_id,
        case.revision,
        case.state.value,
        waiting_state(case).value,
        None if case.lease is None else case.lease.reviewer_id,
        None if case.lease is None else case.lease.expires_at,
        case.reason,
        None if case.in_force is None else case.in_force.value,
        case.appealed,
    )


class PostgresReviews:
    """Decisions and appeals in dispatch's tables (``ports.ReviewStore``), on one connection."""

    def __init__(self, conn: Connection, policy: ReviewPolicy) -> None:
        self.conn = conn
        self.policy = policy

    async def decision(self, decision_id: uuid.UUID) -> tuple[Key, bool] | None:
        """A recorded decision's case revision and finality, if it exists."""
        row = await self.conn.fetchrow(
            "SELECT case_id, revision, final FROM dispatch.decisions WHERE decision_id = $1",
            decision_id,
        )
        return None if row is None else ((row["case_id"], row["revision"]), row["final"])

    async def appeal_case(self, appeal_id: uuid.UUID) -> Key | None:
        """A recorded appeal's case revision, if it exists."""
        row = await self.conn.fetchrow(
            "SELECT case_id, revision FROM dispatch.appeals WHERE appeal_id = $1", appeal_id
        )
        return None if row is None else (row["case_id"], row["revision"])

    async def load(self, key: Key) -> StoredCase | None:
        """See ``load``."""
        return await load(self.conn, key, self.policy)

    async def save(self, case: ReviewCase) -> None:
        """See ``save``."""
        await save(self.conn, case)

    async def record_decision(self, decision: DecisionRecord) -> None:
        """Store a decision."""
        await self.conn.execute(
            """INSERT INTO dispatch.decisions (decision_id, case_id, revision, reviewer_id,
                   outcome, policy_reason, explanation, final, decided_at, action_id, reverses)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
            decision.decision_id,
            *decision.case,
            decision.reviewer_id,
            decision.outcome.value,
            decision.policy_reason,
            decision.explanation,
            decision.final,
            decision.decided_at,
            decision.action_id,
            decision.reverses,
        )

    async def close_appeal(self, key: Key, decision_id: uuid.UUID) -> None:
        """Mark the open appeal of a case revision as decided by ``decision_id``."""
        await self.conn.execute(
            """UPDATE dispatch.appeals SET decided_by = $3
               WHERE case_id = $1 AND revision = $2 AND decided_by IS NULL""",
            *key,
            decision_id,
        )

    async def record_appeal(self, appeal: AppealRecord) -> None:
        """Store an appeal."""
        await self.conn.execute(
            """INSERT INTO dispatch.appeals (appeal_id, case_id, revision, decision_id, reason,
                   filed_by, filed_at)
               VALUES ($1, $2, $3, $4, $5, $6, now())""",
            appeal.appeal_id,
            *appeal.case,
            appeal.decision_id,
            appeal.reason,
            appeal.filed_by,
        )

    async def preserve(self, evidence: Sequence[Preservation]) -> None:
        """See ``evidence.preserve``."""
        await preserve(self.conn, evidence)

    async def keep_statements(self, statements: Sequence[StatementIssued]) -> None:
        """See ``statements.keep_statements``."""
        await keep_statements(self.conn, statements)
