"""A request's lifecycle: every state reachable from received, every move checked."""

from __future__ import annotations

import itertools

import pytest

from services.legal.core.lifecycle import (
    ANSWERING,
    OPEN,
    PACKAGED,
    TRANSITIONS,
    RequestState,
    TransitionRefusedError,
    may_move,
    move,
)

S = RequestState


def test_every_state_is_reachable_from_received_and_terminal_states_end_it() -> None:
    seen, frontier = {S.RECEIVED}, [S.RECEIVED]
    while frontier:
        for following in TRANSITIONS[frontier.pop()]:
            if following not in seen:
                seen.add(following)
                frontier.append(following)
    assert seen == set(RequestState)
    terminal = {s for s, after in TRANSITIONS.items() if not after}
    assert terminal == {S.REFUSED, S.NO_DATA, S.DOWNLOADED, S.LINK_EXPIRED, S.PRESERVATION_ENDED}


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (S.RECEIVED, S.APPROVED),
        (S.ACCEPTED, S.APPROVED),  # a second officer approves only what a first prepared
        (S.NARROWED, S.APPROVED),
        (S.PREPARED, S.PACKAGE_READY),  # no package before approval
        (S.PREPARED, S.NARROWED),  # a prepared scope is the one approved
        (S.APPROVED, S.DOWNLOADED),
        (S.PACKAGE_READY, S.APPROVED),
        (S.REFUSED, S.ACCEPTED),
        (S.DOWNLOADED, S.PACKAGE_READY),
        (S.PRESERVING, S.DOWNLOADED),
    ],
)
def test_a_step_that_skips_or_goes_back_is_refused(current: S, wanted: S) -> None:
    assert not may_move(current, wanted)
    with pytest.raises(TransitionRefusedError) as refused:
        move(current, wanted)
    assert refused.value.code == "wrong_state"
    assert current.value in str(refused.value)


def test_the_path_of_a_disclosure_and_of_a_preservation() -> None:
    for path in (
        [S.RECEIVED, S.ACCEPTED, S.NARROWED, S.NARROWED, S.PREPARED, S.APPROVED,
         S.PACKAGE_READY, S.DOWNLOADED],
        [S.RECEIVED, S.ACCEPTED, S.PREPARED, S.APPROVED, S.PACKAGE_READY, S.LINK_EXPIRED],
        [S.RECEIVED, S.ACCEPTED, S.PREPARED, S.APPROVED, S.NO_DATA],
        [S.RECEIVED, S.ACCEPTED, S.PREPARED, S.APPROVED, S.PRESERVING, S.PRESERVATION_ENDED],
        [S.RECEIVED, S.ACCEPTED, S.PREPARED, S.REFUSED],
    ):  # fmt: skip
        for current, wanted in itertools.pairwise(path):
            assert move(current, wanted) is wanted


def test_open_answering_and_packaged_states() -> None:
    assert {S.ACCEPTED, S.NARROWED, S.PREPARED} == OPEN
    assert all(may_move(s, S.REFUSED) for s in OPEN)
    assert {S.REFUSED, S.APPROVED} == ANSWERING
    assert {S.PACKAGE_READY, S.DOWNLOADED, S.LINK_EXPIRED} == PACKAGED
