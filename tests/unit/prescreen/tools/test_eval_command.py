"""`crible eval prescreen` as an operator runs it: it cannot hide a dead screener."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.safety_server import SafetyServer

CASES = [
    {"id": "en-1", "case": {"category": "harassment_threats", "texts": [
        {"source": "excerpt", "text": "I know where you live and I will hurt you badly"}]},
     "expected_route": "human_review", "expected_category": "harassment_threats"},
    {"id": "fr-1", "case": {"category": "spam", "texts": [
        {"source": "excerpt", "text": "Vide-grenier de l'école samedi matin, venez nombreux"}]},
     "expected_route": "dismiss", "expected_category": None},
]  # fmt: skip


def run_eval(tmp_path: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    labelled = tmp_path / "set.jsonl"
    labelled.write_text("".join(json.dumps(c) + "\n" for c in CASES))
    env = {**os.environ, "CRIBLE_PRESCREEN_SAFETY_URL": url}
    env["CRIBLE_PRESCREEN_SAFETY_TIMEOUT_SECONDS"] = "0.5"
    command = [sys.executable, "-m", "services", "eval", "prescreen", str(labelled), *extra]
    return subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def dead_url() -> str:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1/chat/completions"


def test_a_screener_unavailable_for_any_case_fails_the_eval(tmp_path: Path, dead_url: str) -> None:
    done = run_eval(tmp_path, dead_url)
    assert done.returncode == 3
    assert "safety_model unavailable for some cases" in done.stderr
    assert "WARNING: screeners were unavailable" in done.stdout
    assert "safety_model for 2 case(s)" in done.stdout
    assert "route accuracy" in done.stdout
    assert all(line.endswith(" !") for line in done.stdout.splitlines() if "route accuracy" in line)


def test_accepted_unavailability_still_marks_every_figure(tmp_path: Path, dead_url: str) -> None:
    done = run_eval(tmp_path, dead_url, "--allow-unavailable")
    assert done.returncode == 0
    target_lines = [line for line in done.stdout.splitlines() if "harmful text" in line]
    assert target_lines
    assert all(line.endswith(" !") for line in target_lines)


def test_a_run_writes_one_json_line_per_case_with_each_screeners_status(tmp_path: Path) -> None:
    server = SafetyServer().start()
    try:
        rows_file = tmp_path / "cases.jsonl"
        done = run_eval(tmp_path, server.url, "--cases-json", str(rows_file))
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stdout
    assert "live en" in done.stdout
    assert "live fr" in done.stdout
    rows = [json.loads(line) for line in rows_file.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["en-1", "fr-1"]
    keys = {"id", "expected_route", "expected_category", "live_route", "live_category",
            "shadow_route", "shadow_category", "screeners"}  # fmt: skip
    assert keys <= set(rows[0])
    assert rows[0]["screeners"]["safety_model"] == "used"
    assert rows[1]["screeners"]["hashes"] == "no_input"
