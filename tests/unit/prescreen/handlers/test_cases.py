"""Publishing verdicts, against a fake screening store: one per change, none on a redelivery."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from services.prescreen.config import PrescreenSettings
from services.prescreen.core.banks import BankSet
from services.prescreen.core.inbound import CaseToScreen
from services.prescreen.core.verdicts import Screened
from services.prescreen.handlers.cases import publish_verdicts
from services.prescreen.service import build_engine
from shared.topics import SCREENING_VERDICTS
from tests.unit.prescreen.fakes import FakeScreeningStore

ENGINE = build_engine(PrescreenSettings(), BankSet())
NOW = datetime(2026, 12, 6, 21, 0, tzinfo=UTC)
CASE = uuid.uuid4()


def event(revision: int, reports: int, text: str) -> CaseToScreen:
    report = {"report_id": f"r{reports}", "reporter_language": "en", "text": text}
    return CaseToScreen.model_validate_json(json.dumps({
        "schema_version": 1, "event_id": str(uuid.uuid4()), "event_type": "case.opened",
        "case_id": str(CASE), "revision": revision, "subject": {"kind": "user", "id": "u1"},
        "category": "harassment_threats", "report_count": reports, "reporter_count": 1,
        "first_reported_at": NOW.isoformat(), "last_reported_at": NOW.isoformat(),
        "reporter_languages": ["en"], "new_report_count": 1, "new_reports": [report],
        "occurred_at": NOW.isoformat(),
    }))  # fmt: skip


def screened(*events: CaseToScreen) -> list[tuple[CaseToScreen, Screened]]:
    return list(zip(events, ENGINE.screen_events(list(events)), strict=True))


async def test_a_first_event_publishes_its_verdict_and_stores_it() -> None:
    store = FakeScreeningStore()
    first = event(1, 1, "I will kill you tomorrow")
    handled = await publish_verdicts(screened(first), store=store, now=NOW)
    [out] = handled.events
    assert out.topic == SCREENING_VERDICTS.name
    assert out.key == str(CASE).encode()
    [row] = store.verdicts.values()
    assert row.case_event_id == first.event_id
    assert store.states[CASE].verdict_id == row.verdict_id
    assert json.loads(out.value)["verdict_id"] == str(row.verdict_id)


async def test_a_redelivered_batch_publishes_nothing_and_changes_nothing() -> None:
    store = FakeScreeningStore()
    batch = screened(event(1, 1, "I will kill you tomorrow"))
    await publish_verdicts(batch, store=store, now=NOW)
    before = dict(store.states)
    again = await publish_verdicts(batch, store=store, now=NOW)
    assert again.events == []
    assert store.states == before
    assert len(store.verdicts) == 1


async def test_a_new_report_saying_the_same_keeps_the_standing_verdict() -> None:
    store = FakeScreeningStore()
    await publish_verdicts(screened(event(1, 1, "I will kill you")), store=store, now=NOW)
    [standing] = store.verdicts
    later = event(1, 2, "I will kill you")
    handled = await publish_verdicts(screened(later), store=store, now=NOW)
    assert handled.events == []
    # The case's state moves on (a later redelivery of report 1 is stale), its verdict stays.
    assert store.states[CASE].report_count == 2
    assert store.states[CASE].case_event_id == later.event_id
    assert store.states[CASE].verdict_id == standing


async def test_a_change_in_what_the_screening_says_publishes_a_new_verdict() -> None:
    store = FakeScreeningStore()
    calm, threat = event(1, 1, "Bonjour a tous"), event(1, 2, "I will kill you tomorrow")
    handled = await publish_verdicts(screened(calm, threat), store=store, now=NOW)
    # Within one batch, the second event is judged against the first one's state.
    assert len(handled.events) == 2
    assert store.states[CASE].case_event_id == threat.event_id


async def test_an_older_event_arriving_late_is_skipped() -> None:
    store = FakeScreeningStore()
    newer, older = event(2, 5, "I will kill you"), event(1, 3, "Bonjour a tous")
    handled = await publish_verdicts(screened(newer, older), store=store, now=NOW)
    assert len(handled.events) == 1
    assert store.states[CASE].revision == 2
