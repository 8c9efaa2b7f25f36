"""A queued case's life: its states and the one transition function every move goes through.

Screening puts a case revision in review (``queued``) or records it as ``dismissed``; a newer
verdict may move it between the two while nobody has it. A reviewer leases a waiting case;
the lease ends by a decision, an escalation, a hold, or by going back where the case waited
(released or expired). Dual review's first decision waits for a second reviewer
(``awaiting_second_review``), a disagreement escalates; a decided case may be appealed once.

``transition`` is the only source of these rules: the review state machine calls it for every
move, the queue's SQL lists its states from here, and PostgreSQL enforces the same pairs with
a trigger (migration 0007, whose table a test compares with :func:`allowed_pairs`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
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


_FROM_LEASED = {
    Move.RENEW: State.LEASED,
    Move.DECIDE_FIRST: State.AWAITING_SECOND_REVIEW,
    Move.DECIDE_SPLIT: State.ESCALATED,
    Move.DECIDE: State.DECIDED,
    Move.ESCALATE: State.ESCALATED,
    Move.HOLD: State.HELD,
}


def transition(state: State, move: Move, *, back_to: State | None = None) -> State:
    """The state after ``move`` from ``state``; ``TransitionRefusedError`` when not allowed.

    ``back_to`` is where a case goes when a lease ends or a hold is resumed: the state it
    waited in (one of ``WAITING``).
    """
    if move in (Move.SCREEN_FOR_REVIEW, Move.SCREEN_DISMISS):
        if state not in ENTRY:
            raise TransitionRefusedError(Refusal.UNDER_REVIEW, state, move)
        return State.QUEUED if move is Move.SCREEN_FOR_REVIEW else State.DISMISSED
    refusal: Refusal
    if move is Move.LEASE:
        if state in WAITING or state is State.LEASED:  # an expired lease is taken over
            return State.LEASED
        refusal = Refusal.NOT_WAITING
    elif move is Move.GIVE_BACK:
        if state is State.LEASED and back_to in WAITING:
            return back_to
        refusal = Refusal.NOT_LEASED
    elif move in _FROM_LEASED:
        if state is State.LEASED:
            return _FROM_LEASED[move]
        refusal = Refusal.NOT_LEASED
    elif move is Move.RESUME:
        if state is State.HELD and back_to in WAITING:
            return back_to
        refusal = Refusal.NOT_HELD
    else:  # Move.APPEAL
        if state is State.DECIDED:
            return State.APPEALED
        refusal = Refusal.NOT_DECIDED
    raise TransitionRefusedError(
        Refusal.DISMISSED if state is State.DISMISSED else refusal, state, move
    )


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
