"""Where the local stack's servers are, for a command it runs (``crible cluster faults``).

``crible local --brokers N --standby`` describes its cluster in ``CRIBLE_LOCAL_CLUSTER``
(folders and ports, no secret): a fault drill rebuilds handles on the same servers from it
and kills, stops, restarts or promotes them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from shared.cli.local.cluster import LocalKafkaCluster
from shared.cli.local.kafka import LocalKafka
from shared.cli.local.postgres import LocalPostgres
from shared.cli.local.standby import LocalStandby

ENV = "CRIBLE_LOCAL_CLUSTER"


@dataclass(frozen=True, slots=True)
class LocalServers:
    """The broker cluster, the PostgreSQL primary and its standby a drill may act on."""

    kafka: LocalKafkaCluster | None
    primary: LocalPostgres | None
    standby: LocalStandby | None


def describe(
    kafka: LocalKafka | LocalKafkaCluster | None,
    primary: LocalPostgres | None,
    standby: LocalStandby | None,
) -> str:
    """The servers as JSON (folders and ports)."""
    return json.dumps({
        "kafka": {"home": str(kafka.home), "brokers": len(kafka.nodes), "port": kafka.port}
        if isinstance(kafka, LocalKafkaCluster) else None,
        "primary": {"data": str(primary.data_dir), "port": primary.port} if primary else None,
        "standby": {"data": str(standby.data_dir), "port": standby.port} if standby else None,
    })  # fmt: skip


def from_environment() -> LocalServers:
    """The servers ``crible local`` described; an error names the options it needs."""
    text = os.environ.get(ENV)
    if not text:
        raise RuntimeError(
            "run it under `crible local --brokers 3 --standby -- ...` (CRIBLE_LOCAL_CLUSTER "
            "says where the local cluster is)"
        )
    found = json.loads(text)
    kafka = found["kafka"] and LocalKafkaCluster(
        Path(found["kafka"]["home"]), brokers=found["kafka"]["brokers"], port=found["kafka"]["port"]
    )
    primary = found["primary"] and LocalPostgres(
        Path(found["primary"]["data"]), port=found["primary"]["port"]
    )
    standby = None
    if found["standby"] and primary:
        standby = LocalStandby(
            primary, Path(found["standby"]["data"]), port=found["standby"]["port"]
        )
    return LocalServers(kafka or None, primary or None, standby)
