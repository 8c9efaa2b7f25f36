"""Bank files in both formats and the eval harness over both policies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.prescreen.adapters.yaml_files import load_policy
from services.prescreen.config import DEPLOY, PrescreenSettings
from services.prescreen.service import build_engine
from services.prescreen.tools.bankfiles import BankFileError, read_bank_file, updates
from services.prescreen.tools.evaluate import evaluate, load_bank_files, read_labelled, render


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
    live, shadow = load_policy(DEPLOY / "policy.yaml"), load_policy(DEPLOY / "policy-shadow.yaml")
    assert [s.name for s in run.scores] == [
        f"live default v{live.version}",
        f"shadow default v{shadow.version}",
    ]
    report = render(run)
    assert "child_sexual_abuse" in report
    assert "route accuracy" in report
