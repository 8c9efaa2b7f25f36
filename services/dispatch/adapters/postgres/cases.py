"""Review cases as stored: rows to the pure state machine (``review.py``) and back.

A ``dispatch.cases`` row and its decisions make a :class:`ReviewCase`. The API locks the
row, builds the model, lets ``review`` decide what the transition is, and saves the result:
the rules live in one tested place, not in SQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from services.dispatch.core.decisions import Outcome
from services.dispatch.core.lifecycle import WAITING, State
from services.dispatch.core.review import Decision, Lease, ReviewCase, ReviewPolicy
from shared.db import Connection
from shared.events.reports import Category, Subject


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """A decision row, with the ids the pure model does not carry."""

    decision_id: uuid.UUID
    decision: Decision
    action_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class Loaded:
    """A locked case row, its decisions, and the model built from them."""

    row: Any
    subject: Subject
    decisions: tuple[StoredDecision, ...]
    case: ReviewCase

    def action_in_force(self) -> uuid.UUID | None:
        """The enforcement action now acting on the subject: the last one issued."""
        for stored in reversed(self.decisions):
            if stored.decision.final and stored.action_id is not None:
                return stored.action_id
            if stored.decision.final and stored.decision.outcome is Outcome.NO_VIOLATION:
                return None  # a person lifted everything
        automatic: uuid.UUID | None = self.row["automatic_action_id"]
        return automatic

    def last_final(self) -> StoredDecision | None:
        """The final decision in force, if any."""
        return next((d for d in reversed(self.decisions) if d.decision.final), None)


async def load(
    conn: Connection, case_id: uuid.UUID, revision: int, policy: ReviewPolicy
) -> Loaded | None:
    """The case revision, locked for this transaction; None when there is none."""
    row = await conn.fetchrow(
        "SELECT * FROM dispatch.cases WHERE case_id = $1 AND revision = $2 FOR UPDATE",
        case_id,
        revision,
    )
    if row is None:
        return None
    rows = await conn.fetch(
        """SELECT decision_id, reviewer_id, outcome, final, decided_at, explanation,
                  action_id, reverses
           FROM dispatch.decisions WHERE case_id = $1 AND revision = $2
           ORDER BY decided_at, decision_id""",
        case_id,
        revision,
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
    return Loaded(
        row=row,
        subject=Subject.model_validate_json(row["subject"]),
        decisions=decisions,
        case=to_model(row, tuple(d.decision for d in decisions), policy),
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
