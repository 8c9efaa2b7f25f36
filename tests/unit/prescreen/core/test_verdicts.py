"""Verdict events of screened cases: valid whatever the evidence, due when the route changes."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from services.prescreen.config import PrescreenSettings
from services.prescreen.core.banks import BankSet
from services.prescreen.core.inbound import CaseToScreen
from services.prescreen.core.verdicts import build_verdict, fingerprint, verdict_id
from services.prescreen.service import build_engine
from shared.events.screening import ScreeningVerdict


def case_event(evidence: dict[str, object]) -> bytes:
    now = datetime.now(UTC).isoformat()
    report = {
        "report_id": "r1", "reporter_language": "fr", "text": "Je vais te tuer demain",
        "evidence": evidence,
    }  # fmt: skip
    return json.dumps({
        "schema_version": 1, "event_id": str(uuid.uuid4()), "event_type": "case.opened",
        "case_id": str(uuid.uuid4()), "revision": 1, "subject": {"kind": "user", "id": "u9"},
        "category": "harassment_threats", "report_count": 2, "reporter_count": 2,
        "first_reported_at": now, "last_reported_at": now, "reporter_languages": ["fr", "??"],
        "new_report_count": 1, "new_reports": [report], "occurred_at": now,
        "a_field_from_a_newer_producer": True,
    }).encode()  # fmt: skip


ENGINE = build_engine(PrescreenSettings(), BankSet())


def test_a_case_with_unusable_evidence_is_still_screened_into_a_valid_verdict() -> None:
    event = CaseToScreen.model_validate_json(
        case_event({"media": [{"pdq": 5, "md5": "nothex"}], "urls": ["not a url", 7],
                    "message_excerpt": {"nested": "object"}})
    )  # fmt: skip
    [screened] = ENGINE.screen_events([event])
    verdict = build_verdict(event, screened, now=datetime.now(UTC))
    # The verdict passes its own contract, as consumers will read it.
    again = ScreeningVerdict.model_validate_json(verdict.body)
    by_name = {s.name: s for s in again.screeners}
    assert by_name["hashes"].usability == "unusable"
    assert by_name["urls"].usability == "unusable"
    assert by_name["text"].usability == "used"
    assert again.reporter_languages == ("fr",)
    assert again.route == "human_review"
    assert again.verdict_id == verdict_id(event.event_id)


def test_the_fingerprint_ignores_time_and_follows_the_route() -> None:
    event = CaseToScreen.model_validate_json(case_event({}))
    [first] = ENGINE.screen_events([event])
    [second] = ENGINE.screen_events([event])
    assert fingerprint(first) == fingerprint(second)
    calm = CaseToScreen.model_validate_json(
        case_event({}).replace(b"Je vais te tuer demain", b"Bonjour a tous")
    )
    [other] = ENGINE.screen_events([calm])
    assert fingerprint(other) != fingerprint(first)
