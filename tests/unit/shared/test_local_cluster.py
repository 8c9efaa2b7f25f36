"""The local cluster's broker settings and DSNs, and the single broker's left as they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.cli.local import postgres
from shared.cli.local.cluster import LocalKafkaCluster
from shared.cli.local.kafka import DEPLOY, LocalKafka
from shared.cli.local.postgres import LocalPostgres
from shared.cli.local.standby import adopt_promoted


def properties(kafka: LocalKafka) -> dict[str, str]:
    kafka.home.mkdir(parents=True, exist_ok=True)
    lines = kafka._properties().read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def test_each_node_of_three_is_a_voter_with_its_own_ports_and_replication_three(
    tmp_path: Path,
) -> None:
    cluster = LocalKafkaCluster(tmp_path, brokers=3, port=40000)
    second = properties(cluster.nodes[1])
    assert second["node.id"] == "2"
    assert second["listeners"] == "PLAINTEXT://127.0.0.1:40002,CONTROLLER://127.0.0.1:40003"
    assert second["controller.quorum.voters"] == (
        "1@127.0.0.1:40001,2@127.0.0.1:40003,3@127.0.0.1:40005"
    )
    assert "controller.quorum.bootstrap.servers" not in second
    for key in ("offsets.topic.replication.factor", "default.replication.factor",
                "transaction.state.log.replication.factor"):  # fmt: skip
        assert second[key] == "3"
    assert second["min.insync.replicas"] == second["transaction.state.log.min.isr"] == "2"
    assert second["log.dirs"] == str(tmp_path / "node-2" / "data")
    assert cluster.bootstrap == "127.0.0.1:40000,127.0.0.1:40002,127.0.0.1:40004"
    # One cluster id for every node's storage, kept across starts.
    assert len({n.quorum.cluster_id for n in cluster.nodes if n.quorum}) == 1
    again = LocalKafkaCluster(tmp_path, brokers=3, port=40000)
    assert again.nodes[0].quorum == cluster.nodes[0].quorum


def test_the_single_broker_keeps_the_template_but_for_its_ports_and_folder(
    tmp_path: Path,
) -> None:
    single = properties(LocalKafka(tmp_path, port=40000))
    template = properties_of(DEPLOY / "server.properties")
    changed = {k for k in template if single[k] != template[k]}
    assert changed == {"listeners", "advertised.listeners", "controller.quorum.bootstrap.servers",
                       "log.dirs"}  # fmt: skip
    assert single.keys() == template.keys()


def properties_of(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def test_services_name_the_primary_and_the_standby_and_ask_for_the_writable_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(postgres, "role_password", lambda role: f"pw-{role}")
    server = LocalPostgres(tmp_path, port=40010)
    assert server.dsn == "postgresql://crible_owner:pw-crible_owner@127.0.0.1:40010/crible"
    server.failover_ports = [40011]
    assert server.dsn == (
        "postgresql://crible_owner:pw-crible_owner@127.0.0.1:40010,127.0.0.1:40011/crible"
        "?target_session_attrs=read-write"
    )


def test_a_standby_promoted_before_becomes_the_primary_and_a_following_one_does_not(
    tmp_path: Path,
) -> None:
    primary, standby = tmp_path / "data", tmp_path / "standby"
    for folder, marker in ((primary, "old"), (standby, "new")):
        folder.mkdir()
        (folder / "PG_VERSION").write_text("18")
        (folder / "marker").write_text(marker)
    (standby / "standby.signal").touch()
    assert not adopt_promoted(primary, standby)  # still following: nothing changes
    (standby / "standby.signal").unlink()  # pg_ctl promote removes it
    assert adopt_promoted(primary, standby)
    assert (primary / "marker").read_text() == "new"
    assert not standby.exists()
