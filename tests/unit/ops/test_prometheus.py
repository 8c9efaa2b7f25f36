"""The Prometheus side: configuration, rules and their unit tests pass promtool, every alert
has its runbook section and tests, and every metric a rule reads is one Crible exports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY, generate_latest

from services import SERVICES
from shared.cli.catalogue import CATALOGUE, catalogue, exported
from shared.cli.registry import Registry

ROOT = Path(__file__).resolve().parents[3]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = sorted((PROMETHEUS / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*_test.yml"))
#: Series Prometheus itself or the client library provides, read by the rules.
NOT_OURS = {"up", "process_start_time_seconds"}


def promtool(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: `make prometheus-tools` installs Debian's prometheus"
    return subprocess.run([tool, *args], input=stdin, capture_output=True, check=False)


def alerts() -> list[dict[str, object]]:
    doc = yaml.safe_load((PROMETHEUS / "rules" / "alerts.yml").read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def test_the_configuration_and_rules_pass_promtool(tmp_path: Path) -> None:
    # The file names make run's token file (../../.cache/metrics-token), which exists only
    # once `crible local` has run; a unit test needs no stack, so a copy of deploy/prometheus
    # is checked, unchanged, in a tree that has one.
    copy = tmp_path / "deploy" / "prometheus"
    shutil.copytree(PROMETHEUS, copy)
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "metrics-token").write_text("unit-test-token\n")
    config = promtool("check", "config", str(copy / "prometheus.yml"))
    assert config.returncode == 0, config.stderr.decode() + config.stdout.decode()
    rules = promtool("check", "rules", *map(str, RULES))
    assert rules.returncode == 0, rules.stderr.decode() + rules.stdout.decode()


def test_every_alert_and_recording_rule_passes_its_unit_tests() -> None:
    ran = promtool("test", "rules", *map(str, RULE_TESTS))
    assert ran.returncode == 0, ran.stdout.decode() + ran.stderr.decode()


def test_every_alert_is_tested_firing_and_quiet() -> None:
    tested: dict[str, list[bool]] = {}
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", ()):
                tested.setdefault(check["alertname"], []).append(bool(check["exp_alerts"]))
    for alert in alerts():
        name = str(alert["alert"])
        assert sorted(set(tested.get(name, []))) == [False, True], name


def test_every_alert_says_what_and_links_to_its_runbook_section() -> None:
    runbook = (ROOT / "deploy" / "RUNBOOK.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"^## (.+)$", runbook, flags=re.MULTILINE)
    }
    for alert in alerts():
        notes = alert["annotations"]
        assert isinstance(notes, dict)
        assert notes["summary"]
        assert notes["description"]
        assert notes["runbook_url"].split("#")[1] in anchors, alert["alert"]


def test_every_metric_the_rules_read_is_exported() -> None:
    names = {m.name for m in exported(Registry(SERVICES))}
    readable = names | {n + s for n in names for s in ("_bucket", "_sum", "_count")}
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                used = set(re.findall(r"\b(crible_[a-z0-9_]+|up|process_[a-z_]+)\b", rule["expr"]))
                unknown = used - readable - NOT_OURS
                assert not unknown, (rule.get("alert") or rule.get("record"), unknown)


def test_the_exposition_passes_promtool_check_metrics() -> None:
    exported(Registry(SERVICES))  # every service's metrics registered in this process
    checked = promtool("check", "metrics", stdin=generate_latest(REGISTRY))
    assert checked.returncode == 0, checked.stdout.decode() + checked.stderr.decode()


def test_the_metrics_catalogue_lists_exactly_what_the_code_exports() -> None:
    current = catalogue(Registry(SERVICES))
    if CATALOGUE.read_text() != current:
        listed = set(re.findall(r"^\| `([a-z0-9_]+)` \|", CATALOGUE.read_text(), re.MULTILINE))
        now = set(re.findall(r"^\| `([a-z0-9_]+)` \|", current, re.MULTILINE))
        pytest.fail(
            f"deploy/METRICS.md is stale (run `crible metrics catalogue`): missing "
            f"{sorted(now - listed)}, gone {sorted(listed - now)}, or their uses changed"
        )
