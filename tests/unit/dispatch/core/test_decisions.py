"""Decision outcomes, the actions they imply per subject kind, and reversals."""

from __future__ import annotations

import pytest

from services.dispatch.core.decisions import (
    Enforcement,
    Outcome,
    OutcomeNotApplicableError,
    applicable,
    enforcement,
    reverses,
)
from shared.events.enforcement import Action, Target
from shared.events.reports import SubjectKind


def test_no_violation_does_nothing_to_any_subject() -> None:
    for kind in SubjectKind:
        assert enforcement(Outcome.NO_VIOLATION, kind) == ()


@pytest.mark.parametrize(
    ("kind", "action"),
    [
        (SubjectKind.MESSAGE, Action.DELETE_MESSAGE),
        (SubjectKind.USER, Action.REMOVE_PROFILE_CONTENT),
        (SubjectKind.GROUP, Action.REMOVE_CHAT_PROFILE),
        (SubjectKind.CHANNEL, Action.REMOVE_CHAT_PROFILE),
    ],
)
def test_remove_content_removes_the_subjects_content(kind: SubjectKind, action: Action) -> None:
    assert enforcement(Outcome.REMOVE_CONTENT, kind) == (Enforcement(action, Target.SUBJECT),)


def test_a_user_measure_on_a_message_also_deletes_it_and_targets_the_sender() -> None:
    assert enforcement(Outcome.SUSPEND_USER, SubjectKind.MESSAGE) == (
        Enforcement(Action.DELETE_MESSAGE, Target.SUBJECT),
        Enforcement(Action.SUSPEND_ACCOUNT, Target.OWNER),
    )
    assert enforcement(Outcome.BAN_USER, SubjectKind.USER) == (
        Enforcement(Action.BAN_ACCOUNT, Target.SUBJECT),
    )
    assert enforcement(Outcome.RESTRICT_USER, SubjectKind.CHANNEL) == (
        Enforcement(Action.RESTRICT_ACCOUNT, Target.OWNER),
    )


@pytest.mark.parametrize(
    ("kind", "action"),
    [(SubjectKind.GROUP, Action.BAN_GROUP), (SubjectKind.CHANNEL, Action.BAN_CHANNEL)],
)
def test_ban_group_or_channel_bans_that_chat(kind: SubjectKind, action: Action) -> None:
    assert enforcement(Outcome.BAN_GROUP_OR_CHANNEL, kind) == (Enforcement(action, Target.SUBJECT),)


@pytest.mark.parametrize("kind", [SubjectKind.MESSAGE, SubjectKind.USER])
def test_ban_group_or_channel_is_only_for_groups_and_channels(kind: SubjectKind) -> None:
    assert not applicable(Outcome.BAN_GROUP_OR_CHANNEL, kind)
    with pytest.raises(OutcomeNotApplicableError):
        enforcement(Outcome.BAN_GROUP_OR_CHANNEL, kind)


def test_a_referral_preserves_evidence_before_taking_the_subject_down() -> None:
    actions = [e.action for e in enforcement(Outcome.REPORT_TO_AUTHORITIES, SubjectKind.MESSAGE)]
    assert actions == [
        Action.PRESERVE_EVIDENCE,
        Action.REFER_TO_AUTHORITIES,
        Action.DELETE_MESSAGE,
    ]
    # A referred account is suspended, not banned: its data must survive the investigation.
    user = enforcement(Outcome.REPORT_TO_AUTHORITIES, SubjectKind.USER)
    assert user[-1] == Enforcement(Action.SUSPEND_ACCOUNT, Target.SUBJECT)


@pytest.mark.parametrize(
    ("previous", "new", "expected"),
    [
        (Outcome.REMOVE_CONTENT, Outcome.NO_VIOLATION, True),
        (Outcome.BAN_USER, Outcome.RESTRICT_USER, True),
        (Outcome.BAN_USER, Outcome.BAN_GROUP_OR_CHANNEL, True),
        (Outcome.REPORT_TO_AUTHORITIES, Outcome.BAN_USER, True),
        (Outcome.REMOVE_CONTENT, Outcome.REMOVE_CONTENT, False),
        (Outcome.REMOVE_CONTENT, Outcome.SUSPEND_USER, False),
        (Outcome.SUSPEND_USER, Outcome.REPORT_TO_AUTHORITIES, False),
        (Outcome.NO_VIOLATION, Outcome.BAN_USER, False),
        (Outcome.NO_VIOLATION, Outcome.NO_VIOLATION, False),
    ],
)
def test_reverses(previous: Outcome, new: Outcome, expected: bool) -> None:
    assert reverses(previous, new) is expected


def test_every_outcome_has_actions_for_every_subject_it_applies_to() -> None:
    for outcome in Outcome:
        for kind in SubjectKind:
            if applicable(outcome, kind) and outcome is not Outcome.NO_VIOLATION:
                assert enforcement(outcome, kind)
