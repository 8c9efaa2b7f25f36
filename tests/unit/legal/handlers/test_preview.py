"""What approval would disclose, counted: by category, within the scope, never a value."""

from __future__ import annotations

from datetime import timedelta

from services.legal.core.model import Scope
from services.legal.handlers.preview import preview
from services.legal.ports import Legal
from shared.events.legal import DataCategory, Target, TargetKind
from tests.unit.legal.handlers.conftest import NOW, a_request
from tests.unit.legal.handlers.test_disclosure import account

S, ID, T = DataCategory.SUBSCRIBER, DataCategory.IDENTIFICATION, DataCategory.TRAFFIC


async def test_counts_follow_the_scope(legal: Legal) -> None:
    await account(legal)  # a number since 200 days, sessions 50 and 5 days ago
    request = a_request()
    wide = Scope(frozenset({S, ID, T}), NOW - timedelta(days=90), NOW - timedelta(days=1))
    shown = await preview(legal, request, wide)
    assert shown.target == "found"
    assert shown.counts == {
        S: {"accounts": 1, "phone_numbers": 1},
        ID: {"sessions": 2},
        T: {},
    }
    narrow = Scope(frozenset({ID}), NOW - timedelta(days=20), NOW - timedelta(days=1))
    assert (await preview(legal, request, narrow)).counts == {ID: {"sessions": 1}}


async def test_an_unknown_target_would_be_answered_no_data(legal: Legal) -> None:
    request = a_request(target=Target(kind=TargetKind.PLATFORM_USER_ID, value="nobody"))
    scope = Scope(frozenset({S}), NOW - timedelta(days=9), NOW - timedelta(days=1))
    shown = await preview(legal, request, scope)
    assert (shown.target, shown.counts) == ("none", {})
