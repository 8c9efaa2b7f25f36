"""Verdict events, the lenient case reader, bank files and the eval harness (pure)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.prescreen.config import DEPLOY, PrescreenSettings
from services.prescreen.core.banks import BankSet
from services.prescreen.core.inbound import CaseToScreen
from services.prescreen.core.verdicts import build_verdict, fingerprint, verdict_id
from services.prescreen.service import build_engine
from services.prescreen.tools.bankfiles import BankFileError, read_bank_file, updates
from services.prescreen.tools.evaluate import evaluate, load_bank_files, read_labelled, render
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


def test_bank_files_in_both_formats(tmp_path: Path) -> None:
    csv_file = read_bank_file(DEPLOY / "banks" / "demo-terror-extra.csv")
    assert csv_file.definition is None
    assert len(updates(None, "extra", csv_file)) == 9
    json_file = read_bank_file(DEPLOY / "banks" / "demo-csam.json")
    assert json_file.definition is not None
    assert json_file.definition["category"] == "child_sexual_abuse"
    bad = tmp_path / "bad.csv"
    bad.write_text("algorithm,hash\nsha256,abc\n")
    with pytest.raises(BankFileError, match="line 2: hash: "):
        updates(None, "b", read_bank_file(bad))
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(BankFileError, match="header"):
        read_bank_file(tmp_path / "x.csv")


def test_the_eval_harness_scores_both_policies(tmp_path: Path) -> None:
    banks = load_bank_files(sorted((DEPLOY / "banks").glob("*.json")))
    sha = json.loads((DEPLOY / "banks" / "demo-csam.json").read_text())["hashes"][-1]["hash"]
    lines = [
        {"id": "a", "case": {"category": "other", "media": [{"md5": sha}]},
         "expected_route": "act_now", "expected_category": "child_sexual_abuse"},
        {"id": "b", "case": {"category": "spam", "texts": [{"text": "hello", "language": "en"}]},
         "expected_route": "dismiss", "expected_category": None},
    ]  # fmt: skip
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    items = read_labelled(path)
    run = evaluate(build_engine(PrescreenSettings(), banks), items)
    assert [s.name for s in run.scores] == ["live default v2", "shadow default v3"]
    report = render(run)
    assert "child_sexual_abuse" in report
    assert "route accuracy" in report
