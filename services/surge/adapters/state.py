"""The reporters' databases on disk, checked against the cluster before the app starts.

They outlive the broker's data: `crible local` on a fresh data directory, or a changelog
topic deleted and created again, leaves databases that know reporters the cluster does not,
and record offsets past the changelog's end (from which faust would resume reading, or
refuse to recover at all). Each start compares them with the cluster it finds: state
remembered from another cluster (its id is kept beside the databases), or a database whose
recorded offset the changelog has not reached, is removed, and the changelog restores
whatever it holds.
"""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from services.surge.adapters.stores import RocksStore
from shared.config import Settings
from shared.kafka import make_admin

log = logging.getLogger(__name__)

#: The file beside the databases naming the cluster they were restored from.
CLUSTER_FILE = "crible-cluster-id"


async def check_local_state(
    settings: Settings, stores: list[tuple[RocksStore, str]], *, offsets: AIOKafkaConsumer
) -> list[int]:
    """Remove the databases that belong to no changelog of this cluster; their partitions.

    ``stores`` pairs each store on disk with its changelog topic as named on the cluster
    (they share one state directory, and its one marker); ``offsets`` a started client that
    reads their end offsets.
    """
    if not stores:
        return []
    cluster = await cluster_id(settings)
    marker = stores[0][0].path / CLUSTER_FILE
    remembered = marker.read_text().strip() if marker.is_file() else None
    removed = []
    for store, changelog in stores:
        local = store.on_disk()
        if remembered != cluster:
            stale, reason = local, "restored from another cluster (or from one not recorded)"
        else:
            stale, reason = (
                await _ahead_of(store, local, changelog=changelog, offsets=offsets),
                ("ahead of its changelog: the topic was created again"),
            )
        for partition in stale:
            store.remove(partition)
        if stale:
            log.warning(
                "local state removed; the changelog restores it",
                extra={"table": store.table_name, "partitions": stale, "reason": reason},
            )
        removed.extend(stale)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(cluster)
    return removed


async def cluster_id(settings: Settings) -> str:
    """The id of the cluster the settings point at."""
    admin = make_admin(settings)
    await admin.start()
    try:
        described = await admin.describe_cluster()
    finally:
        await admin.close()
    return str(described["cluster_id"])


async def _ahead_of(
    store: RocksStore, partitions: list[int], *, changelog: str, offsets: AIOKafkaConsumer
) -> list[int]:
    """The partitions whose database recorded an offset the changelog does not have."""
    if not partitions:
        return []
    tps = {p: TopicPartition(changelog, p) for p in partitions}
    ends = await offsets.end_offsets(list(tps.values()))
    ahead = []
    for partition, tp in tps.items():
        persisted = store.persisted_in(partition)
        if persisted is not None and (tp not in ends or persisted >= ends[tp]):
            ahead.append(partition)
    return ahead
