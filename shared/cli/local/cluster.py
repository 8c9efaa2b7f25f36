"""A local Kafka cluster: N combined broker-controllers (KRaft) from the same Maven jars.

``crible local --brokers 3`` starts three nodes, each a broker and a voter of the controller
quorum, each with its own ports (node i listens on the base port + 2i, its controller on the
next one) and data folder (``.cache/kafka-cluster/node-i``). Topics get replication factor 3
and ``min.insync.replicas`` 2 (the internal ones too): with ``acks=all``, a write survives the
loss of one node, and the cluster keeps writing with two of three in sync. The quorum keeps
its leader with two voters of three.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient

from shared.cli.local.kafka import BROKER_PORT, ROOT, LocalKafka, Quorum, cluster_id, ensure_jars

log = logging.getLogger(__name__)

HOME = ROOT / ".cache" / "kafka-cluster"


class LocalKafkaCluster:
    """``brokers`` nodes started and stopped together; each can be killed or stopped alone."""

    def __init__(
        self, home: Path = HOME, *, brokers: int = 3, port: int = BROKER_PORT, heap: str = "512m"
    ) -> None:
        if brokers < 2:
            raise ValueError("a cluster has two brokers or more (one: the default local broker)")
        self.home = home
        self.port = port
        self.replication_factor = min(brokers, 3)
        self.min_insync_replicas = self.replication_factor - 1
        home.mkdir(parents=True, exist_ok=True)
        id_file = home / "cluster-id"
        if not id_file.exists():
            id_file.write_text(cluster_id())
        voters = tuple((i + 1, port + 2 * i + 1) for i in range(brokers))
        self.nodes = [
            LocalKafka(
                home / f"node-{i + 1}",
                port=port + 2 * i,
                heap=heap,
                quorum=Quorum(
                    node_id=i + 1,
                    voters=voters,
                    cluster_id=id_file.read_text().strip(),
                    replication_factor=self.replication_factor,
                    min_insync_replicas=self.min_insync_replicas,
                ),
            )
            for i in range(brokers)
        ]

    @property
    def bootstrap(self) -> str:
        """Every node, as clients list them."""
        return ",".join(node.bootstrap for node in self.nodes)

    def start(self, *, timeout: float = 180.0) -> None:
        """Start every node and wait until each has registered as a broker."""
        ensure_jars()
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            for started in [pool.submit(node.start, timeout=timeout) for node in self.nodes]:
                started.result()
        asyncio.run(self.wait_for_brokers(len(self.nodes), within=timeout))
        log.info("kafka cluster started", extra={"bootstrap": self.bootstrap})

    async def wait_for_brokers(self, count: int, *, within: float = 180.0) -> None:
        """Wait until ``count`` brokers are registered (a restarted one rejoined)."""
        deadline = time.monotonic() + within
        seen = 0
        while time.monotonic() < deadline:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
            try:
                await admin.start()
                seen = len((await admin.describe_cluster()).get("brokers", ()))
            except Exception:  # noqa: BLE001 - not up yet: any failure means wait and ask again
                seen = 0
            finally:
                await admin.close()
            if seen >= count:
                return
            await asyncio.sleep(0.5)
        raise RuntimeError(f"{seen} of {count} Kafka brokers registered in {within:.0f} s")

    def stop(self) -> None:
        """Stop every node (each a clean shutdown, SIGKILL past its timeout)."""
        with ThreadPoolExecutor(len(self.nodes)) as pool:
            for stopped in [pool.submit(node.stop) for node in self.nodes]:
                stopped.result()
