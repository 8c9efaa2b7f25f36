"""A queued case's life: its states and the one transition function every move goes through.

Screening puts a case revision in review (``queued``) or records it as ``dismissed``; a newer
verdict may move it between the two while nobody has it. A reviewer leases a waiting case;
the lease ends by a decision, an escalation, a hold, or by going back where the case waited
(released or expired). Dual review's first decision waits for a second reviewer
(``awaiting_second_review``), a disagreement escalates; a decided case may be appealed once.

The rules are written once, as a table of moves read by ``transition``: the review state
machine calls it for every move, the queue's SQL lists its states from here, and PostgreSQL
enforces the same pairs with a trigger (migration 0007, whose table a test compares with
:func:`allowed_pairs`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    """Where a case revision is in review."""

    QUEUED = "queued"
    LEASED = "leased"
    HELD = "held"
    ESCALATED = "escalated"
    AWAITING_SECOND_REVIEW = "awaiting_second_review"
    DECIDED = "decided"
    APPEALED = "appealed"
    DISMISSED = "dismissed"


#: States a case waits in for a reviewer to lease it (and goes back to when a lease ends).
WAITING = frozenset({State.QUEUED, State.ESCALATED, State.AWAITING_SECOND_REVIEW, State.APPEALED})
#: States a verdict creates a case revision in.
ENTRY = frozenset({State.QUEUED, State.DISMISSED})
#: States in which nothing more is asked of anyone (until an appeal or a new verdict).
SETTLED = frozenset({State.DECIDED, State.DISMISSED})
#: The queue: waiting, or leased (a lease past its expiry counts as waiting again).
IN_QUEUE = WAITING | {State.LEASED}


class Move(StrEnum):
    """What happens to a case."""

    SCREEN_FOR_REVIEW = "screen_for_review"
    SCREEN_DISMISS = "screen_dismiss"
    LEASE = "lease"
    RENEW = "renew"
    GIVE_BACK = "give_back"  # released, or the lease expired
    DECIDE_FIRST = "decide_first"  # the first of a dual review
    DECIDE_SPLIT = "decide_split"  # a second review that disagrees: escalated
    DECIDE = "decide"
    ESCALATE = "escalate"
    HOLD = "hold"
    RESUME = "resume"
    APPEAL = "appeal"


class Refusal(StrEnum):
    """Why a move is not allowed in a state (the API's 409 ``code``)."""

    NOT_LEASED = "not_leased"
    NOT_WAITING = "not_waiting"
    NOT_HELD = "not_held"
    NOT_DECIDED = "not_decided"
    DISMISSED = "case_dismissed"
    UNDER_REVIEW = "under_review"


class TransitionRefusedError(Exception):
    """``move`` is not allowed from ``state``; ``code`` says which rule refused it."""

    def __init__(self, code: Refusal, state: State, move: Move) -> None:
        super().__init__(f"{code}: a {state} case cannot {move.replace('_', ' ')}")
        self.code = code
        self.state = state
        self.move = move


@dataclass(frozen=True, slots=True)
class _Rule:
    """Where a move may start, where it leads, and the refusal when it may not start."""

    starts: frozenset[State]
    refusal: Refusal
    #: ``None`` for a return: the case goes back to the state it waited in (``back_to``).
    leads_to: State | None


_LEASED = frozenset({State.LEASED})

#: Every move, as one table: the only place the lifecycle's rules are written.
_RULES: dict[Move, _Rule] = {
    Move.SCREEN_FOR_REVIEW: _Rule(ENTRY, Refusal.UNDER_REVIEW, State.QUEUED),
    Move.SCREEN_DISMISS: _Rule(ENTRY, Refusal.UNDER_REVIEW, State.DISMISSED),
    # A case in the queue may be leased, a leased one too: an expired lease is taken over.
    Move.LEASE: _Rule(IN_QUEUE, Refusal.NOT_WAITING, State.LEASED),
    Move.RENEW: _Rule(_LEASED, Refusal.NOT_LEASED, State.LEASED),
    Move.GIVE_BACK: _Rule(_LEASED, Refusal.NOT_LEASED, None),
    Move.DECIDE_FIRST: _Rule(_LEASED, Refusal.NOT_LEASED, State.AWAITING_SECOND_REVIEW),
    Move.DECIDE_SPLIT: _Rule(_LEASED, Refusal.NOT_LEASED, State.ESCALATED),
    Move.DECIDE: _Rule(_LEASED, Refusal.NOT_LEASED, State.DECIDED),
    Move.ESCALATE: _Rule(_LEASED, Refusal.NOT_LEASED, State.ESCALATED),
    Move.HOLD: _Rule(_LEASED, Refusal.NOT_LEASED, State.HELD),
    Move.RESUME: _Rule(frozenset({State.HELD}), Refusal.NOT_HELD, None),
    Move.APPEAL: _Rule(frozenset({State.DECIDED}), Refusal.NOT_DECIDED, State.APPEALED),
}


def transition(state: State, move: Move, *, back_to: State | None = None) -> State:
    """The state after ``move`` from ``state``; ``TransitionRefusedError`` when not allowed.

    ``back_to`` is where a case goes when a lease ends or a hold is resumed: the state it
    waited in (one of ``WAITING``).
    """
    rule = _RULES[move]
    after = rule.leads_to if rule.leads_to is not None else _waiting(back_to)
    if state in rule.starts and after is not None:
        return after
    # A dismissed case says so whatever was asked of it: only a new verdict moves it.
    code = Refusal.DISMISSED if state is State.DISMISSED else rule.refusal
    raise TransitionRefusedError(code, state, move)


def _waiting(back_to: State | None) -> State | None:
    """Where a return may go: ``back_to`` when it is a waiting state, else nowhere."""
    return back_to if back_to in WAITING else None


def _changes() -> dict[tuple[State, State], bool]:
    """Every change of state some move allows, and whether only a return allows it."""
    found: dict[tuple[State, State], bool] = {}
    for state in State:
        for move in Move:
            for back_to in (None, *WAITING):
                try:
                    after = transition(state, move, back_to=back_to)
                except TransitionRefusedError:
                    continue
                if after is not state:
                    returning = back_to is not None
                    found[state, after] = found.get((state, after), True) and returning
    return found


def allowed_pairs() -> frozenset[tuple[State, State]]:
    """Every change of state some move allows: what the database's trigger lets through."""
    return frozenset(_changes())


def returns() -> frozenset[tuple[State, State]]:
    """The changes only a return allows (lease given back, hold resumed).

    The case must then go back to the state it waited in (the row's ``waiting_state``).
    """
    return frozenset(pair for pair, returning in _changes().items() if returning)


def path_to(target: State) -> tuple[State, ...]:
    """The shortest life that reaches ``target`` from a verdict, first state included."""
    pairs = allowed_pairs()
    queue: deque[tuple[State, ...]] = deque((s,) for s in sorted(ENTRY))
    while queue:
        path = queue.popleft()
        if path[-1] is target:
            return path
        queue.extend((*path, b) for a, b in sorted(pairs) if a is path[-1] and b not in path)
    raise ValueError(f"{target} cannot be reached")  # pragma: no cover - every state can


def sql_list(states: Iterable[State]) -> str:
    """States as an SQL list, e.g. ``('queued', 'leased')``, in a stable order."""
    return "(" + ", ".join(f"'{s.value}'" for s in sorted(states)) + ")"
