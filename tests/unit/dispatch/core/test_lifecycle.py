"""The case lifecycle: one enum, one transition function, the SQL lists and read access."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.dispatch.core.lifecycle import (
    ENTRY,
    IN_QUEUE,
    SETTLED,
    WAITING,
    Move,
    Refusal,
    State,
    TransitionRefusedError,
    allowed_pairs,
    path_to,
    returns,
    sql_list,
    transition,
)
from services.dispatch.core.reviewers import CaseHolder, ReadRefusal, Reviewer, Role, may_read
from shared.events.reports import Category

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_every_state_is_reachable_from_a_verdict_and_dismissed_is_one() -> None:
    assert State.DISMISSED in ENTRY
    for state in State:
        path = path_to(state)
        assert path[0] in ENTRY
        assert path[-1] is state
        assert all(pair in allowed_pairs() for pair in itertools.pairwise(path))


@pytest.mark.parametrize(
    ("state", "move", "code"),
    [
        (State.DISMISSED, Move.DECIDE, Refusal.DISMISSED),
        (State.DISMISSED, Move.APPEAL, Refusal.DISMISSED),
        (State.DISMISSED, Move.RESUME, Refusal.DISMISSED),
        (State.DISMISSED, Move.LEASE, Refusal.DISMISSED),
        (State.QUEUED, Move.DECIDE, Refusal.NOT_LEASED),
        (State.DECIDED, Move.ESCALATE, Refusal.NOT_LEASED),
        (State.QUEUED, Move.RESUME, Refusal.NOT_HELD),
        (State.QUEUED, Move.APPEAL, Refusal.NOT_DECIDED),
        (State.APPEALED, Move.APPEAL, Refusal.NOT_DECIDED),
        (State.HELD, Move.LEASE, Refusal.NOT_WAITING),
        (State.DECIDED, Move.LEASE, Refusal.NOT_WAITING),
        (State.LEASED, Move.SCREEN_FOR_REVIEW, Refusal.UNDER_REVIEW),
        (State.DECIDED, Move.SCREEN_DISMISS, Refusal.UNDER_REVIEW),
    ],
)
def test_a_move_a_state_does_not_allow_is_refused_with_its_code(
    state: State, move: Move, code: Refusal
) -> None:
    with pytest.raises(TransitionRefusedError) as refused:
        transition(state, move, back_to=State.QUEUED)
    assert refused.value.code is code


def test_a_return_goes_only_to_a_waiting_state() -> None:
    for back_to in WAITING:
        assert transition(State.LEASED, Move.GIVE_BACK, back_to=back_to) is back_to
        assert transition(State.HELD, Move.RESUME, back_to=back_to) is back_to
    with pytest.raises(TransitionRefusedError):
        transition(State.LEASED, Move.GIVE_BACK, back_to=State.DECIDED)
    assert (State.LEASED, State.QUEUED) in returns()
    assert (State.LEASED, State.DECIDED) not in returns()


def test_every_move_is_allowed_somewhere_and_only_returns_heed_back_to() -> None:
    # Each move leads somewhere from some state (none is dead in the table of moves), and a
    # move with a fixed destination goes there whatever ``back_to`` says.
    for move in Move:
        outcomes = set()
        for state, back_to in itertools.product(State, (None, *State)):
            try:
                outcomes.add((state, transition(state, move, back_to=back_to)))
            except TransitionRefusedError:
                continue
        assert outcomes, move
        if move not in (Move.GIVE_BACK, Move.RESUME):
            assert len({after for _, after in outcomes}) == 1, move


def test_nothing_leaves_decided_but_an_appeal_and_nothing_leaves_dismissed_but_a_verdict() -> None:
    assert {b for a, b in allowed_pairs() if a is State.DECIDED} == {State.APPEALED}
    assert {b for a, b in allowed_pairs() if a is State.DISMISSED} == {State.QUEUED}


def test_the_sql_lists_come_from_the_enum() -> None:
    assert sql_list(SETTLED) == "('decided', 'dismissed')"
    assert sql_list(IN_QUEUE) == (
        "('appealed', 'awaiting_second_review', 'escalated', 'leased', 'queued')"
    )


REVIEWER = Reviewer("rita", "Rita", frozenset({"fr"}), frozenset({Category.SPAM}))
SENIOR = Reviewer(
    "sam", "Sam", frozenset({"fr"}), frozenset({Category.SPAM}), roles=frozenset({Role.SENIOR})
)


@pytest.mark.parametrize(
    ("who", "holder", "answer"),
    [
        (REVIEWER, CaseHolder(Category.SPAM, "rita", NOW + timedelta(minutes=1)), None),
        (
            REVIEWER,
            CaseHolder(Category.SPAM, "rita", NOW - timedelta(seconds=1)),
            ReadRefusal.LEASE_EXPIRED,
        ),
        (REVIEWER, CaseHolder(Category.SPAM, "other", NOW + timedelta(minutes=1)), "not_yours"),
        (REVIEWER, CaseHolder(Category.SPAM, None, None), ReadRefusal.NOT_YOURS),
        (SENIOR, CaseHolder(Category.SPAM, None, None), None),
        (SENIOR, CaseHolder(Category.HATE_SPEECH, None, None), ReadRefusal.NOT_CLEARED),
        (
            REVIEWER,
            CaseHolder(Category.HATE_SPEECH, "rita", NOW + timedelta(minutes=1)),
            ReadRefusal.NOT_CLEARED,
        ),
    ],
)
def test_one_rule_says_who_may_read_a_case(
    who: Reviewer, holder: CaseHolder, answer: ReadRefusal | str | None
) -> None:
    assert may_read(who, holder, NOW) == answer


MIGRATIONS = Path(__file__).resolve().parents[4] / "services" / "dispatch" / "migrations"


def _states_in(sql: str, index: str) -> set[str]:
    found = re.search(rf"CREATE INDEX {index} .*?WHERE state (?:NOT )?IN \(([^)]*)\)", sql, re.S)
    assert found is not None, index
    return set(re.findall(r"'([a-z_]+)'", found.group(1)))


def test_the_queue_s_indexes_cover_the_lifecycle_s_state_lists() -> None:
    # The partial indexes of the queue (written once in migrations) must name the states the
    # queries list from the enum, or PostgreSQL stops using them.
    sql = (MIGRATIONS / "0004_review_rounds.sql").read_text()
    assert _states_in(sql, "cases_ranked") == {s.value for s in IN_QUEUE}
    assert _states_in(sql, "cases_subject") == {s.value for s in SETTLED}
    every = re.search(
        r"CHECK \(state IN \(([^)]*)\)\)", (MIGRATIONS / "0001_queue.sql").read_text()
    )
    assert every is not None
    assert set(re.findall(r"'([a-z_]+)'", every.group(1))) == {s.value for s in State}


def test_the_trigger_lists_exactly_the_lifecycle_s_pairs() -> None:
    sql = (MIGRATIONS / "0007_case_lifecycle.sql").read_text()
    listed = {
        (State(a), State(b), only == "true")
        for a, b, only in re.findall(r"\('([a-z_]+)', '([a-z_]+)', (true|false)\)", sql)
    }
    assert listed == {(a, b, (a, b) in returns()) for a, b in allowed_pairs()}
