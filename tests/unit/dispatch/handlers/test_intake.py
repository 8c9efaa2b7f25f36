"""Verdict intake against ``Fake...`` ports: queueing, acting, evidence, age, velocity."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.dispatch.adapters.yaml_files import load_sla, shipped_catalogue
from services.dispatch.core.lifecycle import State
from services.dispatch.handlers.intake import IntakeResult, take_verdicts
from shared.events.reports import Category
from shared.topics import ENFORCEMENT_ACTIONS, STATEMENTS_OF_REASONS
from tests.unit.dispatch.fakes import FakeVerdictStore
from tests.unit.dispatch.handlers.builders import report, verdict

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
SLA = load_sla()


async def take(store: FakeVerdictStore, *verdicts: object, now: datetime = NOW) -> IntakeResult:
    return await take_verdicts(
        list(verdicts),  # type: ignore[arg-type]
        store,
        sla=SLA,
        catalogue=shipped_catalogue(),
        now=now,
    )


async def test_a_verdict_for_review_queues_its_case_and_publishes_nothing() -> None:
    store, case_id = FakeVerdictStore(), uuid.uuid4()
    result = await take(store, verdict(case_id, NOW))
    assert result.events == []
    queued = store.saved[case_id, 1]
    assert (queued.state, queued.entry_state, queued.action_id) == (
        State.QUEUED,
        State.QUEUED,
        None,
    )
    assert queued.due_at == NOW + timedelta(hours=24)  # illegal hate speech: 24 hours


async def test_act_now_on_child_abuse_preserves_refers_and_removes_with_a_statement() -> None:
    store, case_id = FakeVerdictStore(), uuid.uuid4()
    screeners = [{"name": "hashes", "version": "1", "usability": "used", "scores": {},
                  "matches": [{"kind": "hash", "category": "child_sexual_abuse",
                               "ref": "demo-csam"}], "notes": []}]  # fmt: skip
    result = await take(
        store,
        verdict(
            case_id, NOW, route="act_now", screened_category="child_sexual_abuse",
            severity="critical", screeners=screeners,
        ),
    )  # fmt: skip
    assert [e.topic for e in result.events] == [
        ENFORCEMENT_ACTIONS.name,
        STATEMENTS_OF_REASONS.name,
    ]
    action = json.loads(result.events[0].value)
    assert [m["action"] for m in action["measures"]] == [
        "preserve_evidence",
        "refer_to_authorities",
        "delete_message",
    ]
    assert action["reason"] == "screening:demo-csam"
    [kept] = store.preserved
    assert (kept.case, str(kept.action_id)) == ((case_id, 1), action["action_id"])
    assert kept.matches[0]["ref"] == "demo-csam"
    [statement] = store.statements
    assert statement.statement["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert statement.statement["incompatible_content_ground"].startswith(
        "Terms of service, section 4.1"
    )
    assert result.acted == [Category.CHILD_SEXUAL_ABUSE]
    assert store.saved[case_id, 1].in_force is not None
    # A second verdict of the same revision acts no more.
    again = await take(store, verdict(case_id, NOW, route="act_now", report_count=2,
                                      screened_category="child_sexual_abuse"))  # fmt: skip
    assert again.events == []


async def test_a_newer_verdict_updates_in_place_and_the_case_keeps_its_age() -> None:
    store, case_id, younger = FakeVerdictStore(), uuid.uuid4(), uuid.uuid4()
    opened = NOW - timedelta(days=2)
    await take(store, verdict(case_id, opened), now=opened)
    await take(store, verdict(younger, NOW - timedelta(days=1)), now=NOW - timedelta(days=1))
    await take(store, verdict(case_id, NOW, report_count=2, reporter_count=2))
    queued = store.saved[case_id, 1]
    assert queued.opened_at == opened
    # Its new reporter does not send it behind a younger identical case.
    assert queued.rank.rank_at < store.saved[younger, 1].rank.rank_at
    # A repeated or older verdict changes nothing.
    await take(store, verdict(case_id, NOW, report_count=1, severity="critical"))
    assert store.saved[case_id, 1].verdict.report_count == 2


async def test_screening_moves_a_case_between_queued_and_dismissed_only_while_nobody_has_it() -> (
    None
):
    store, case_id = FakeVerdictStore(), uuid.uuid4()
    await take(store, verdict(case_id, NOW, route="dismiss"))
    assert store.saved[case_id, 1].state is State.DISMISSED
    await take(store, verdict(case_id, NOW, report_count=2))
    assert store.saved[case_id, 1].state is State.QUEUED

    store.saved[case_id, 1] = replace(store.saved[case_id, 1], state=State.LEASED)
    await take(store, verdict(case_id, NOW, route="dismiss", report_count=3))
    assert store.saved[case_id, 1].state is State.LEASED  # a verdict never takes it away


async def test_velocity_is_over_the_case_s_own_life() -> None:
    store, slow, burst = FakeVerdictStore(), uuid.uuid4(), uuid.uuid4()
    store.reports[slow, 1] = [
        report(slow, f"s{i}", NOW - timedelta(days=10 - i)) for i in range(15)
    ]
    store.reports[burst, 1] = [
        report(burst, f"b{i}", NOW - timedelta(seconds=i)) for i in range(15)
    ]
    await take(
        store,
        verdict(slow, NOW, report_count=15, reporter_count=15),
        verdict(burst, NOW, report_count=15, reporter_count=15),
    )
    assert store.saved[slow, 1].rank.reports_per_hour < 0.1
    assert store.saved[burst, 1].rank.reports_per_hour > 50
    assert store.saved[burst, 1].rank.rank_at < store.saved[slow, 1].rank.rank_at
    assert store.saved[burst, 1].rank.facts.reports == 15


async def test_a_batch_ranks_each_case_as_its_newest_verdict_alone_would() -> None:
    batched, alone, case_id = FakeVerdictStore(), FakeVerdictStore(), uuid.uuid4()
    newest = verdict(case_id, NOW, report_count=3, reporter_count=2)
    await take(
        batched,
        verdict(case_id, NOW, report_count=1, reporter_count=1),
        newest,
        verdict(case_id, NOW, report_count=2, reporter_count=1),  # older: ignored
    )
    await take(alone, newest)
    assert batched.saved[case_id, 1].rank == alone.saved[case_id, 1].rank
    assert batched.saved[case_id, 1].rank.crowd.reporter_weight == 2.0
