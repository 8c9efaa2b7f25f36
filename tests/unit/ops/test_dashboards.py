"""The Grafana dashboards: exported from the code, reading only what Crible exports (or the
recording rules), on the provisioned Prometheus data source."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from services import SERVICES
from shared.cli.catalogue import exported
from shared.cli.dashboards import DASHBOARDS, rendered
from shared.cli.registry import Registry

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "deploy" / "prometheus" / "rules"
GRAFANA = ROOT / "deploy" / "grafana"
#: Series Prometheus or the client library provides.
NOT_OURS = {"up", "process_resident_memory_bytes", "process_cpu_seconds_total"}
_FUNCTIONS = {
    "sum", "max", "min", "rate", "increase", "histogram_quantile", "time", "by", "le",
    "delta", "avg",
}  # fmt: skip


def recorded() -> set[str]:
    names = set()
    for path in RULES.glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names |= {r["record"] for r in group["rules"] if "record" in r}
    return names


def queries() -> list[tuple[str, str, str]]:
    """(dashboard, panel, PromQL) of every committed dashboard."""
    boards = [json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))]
    return [
        (board["uid"], panel["title"], target["expr"])
        for board in boards
        for panel in board["panels"]
        for target in panel["targets"]
    ]


def test_the_committed_dashboards_are_the_exported_ones() -> None:
    current = rendered(Registry(SERVICES))
    on_disk = {p.name: p.read_text() for p in DASHBOARDS.glob("*.json")}
    assert on_disk == current, "run `crible dashboards export` and commit deploy/grafana/"
    uids = {json.loads(text)["title"] for text in current.values()}
    assert len(uids) == 4  # pipeline, review, legal, infrastructure


def test_every_query_reads_metrics_crible_exports_or_records() -> None:
    names = {m.name for m in exported(Registry(SERVICES))}
    readable = names | {n + s for n in names for s in ("_bucket", "_sum", "_count")}
    readable |= recorded() | NOT_OURS
    assert queries()
    for board, panel, expr in queries():
        # Label values and legend text are quoted; metric names are the bare identifiers.
        bare = re.sub(r'"[^"]*"', "", expr)
        bare = re.sub(r"\[[^\]]*\]", "", bare)
        used = set(re.findall(r"[a-z_][a-z0-9_:]*", bare)) - _FUNCTIONS
        labels = set(re.findall(r"\b([a-z_]+)\s*=", expr)) | {
            label for group in re.findall(r"by \(([^)]*)\)", expr) for label in group.split(", ")
        }
        unknown = {u for u in used - labels if u not in readable and not u.isdigit()}
        assert not unknown, (board, panel, unknown)


def test_every_panel_uses_the_provisioned_prometheus() -> None:
    provisioning = GRAFANA / "provisioning"
    source = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    uid = source["datasources"][0]["uid"]
    provider = yaml.safe_load((provisioning / "dashboards" / "crible.yml").read_text())
    assert provider["providers"][0]["options"]["path"].endswith("/dashboards")
    for path in DASHBOARDS.glob("*.json"):
        for panel in json.loads(path.read_text())["panels"]:
            assert panel["datasource"]["uid"] == uid
            assert all(t["datasource"]["uid"] == uid for t in panel["targets"])
