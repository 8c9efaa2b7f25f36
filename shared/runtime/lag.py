"""Consumer lag as the broker sees it: end offsets beside the group's committed offsets.

Both are asked of the broker. Not the client's cached high-water mark (only a fetch
response updates it, so a lane stuck on a lock, which fetches nothing, would freeze the
gauge), nor a process's own idea of its progress (surge's agents may be done while its
commits crawl). Every process of a group reports every partition of the group's topics,
assigned to it or not, so the lag stays visible when no member holds a partition; rules
read it with ``max by (service, topic, partition)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared import metrics
from shared.config import Settings
from shared.kafka import make_admin, make_plain_consumer


@dataclass(frozen=True, slots=True)
class WatchedGroup:
    """A consumer group whose lag a process reports."""

    service: str
    #: The group id as on the cluster (prefixed).
    group_id: str
    #: Its topics, as on the cluster, each with its logical name (the gauge's label).
    topics: Mapping[str, str]


async def group_lag(
    admin: AIOKafkaAdminClient,
    consumer: AIOKafkaConsumer,
    *,
    group_id: str,
    topics: Iterable[str],
) -> dict[TopicPartition, int]:
    """Messages after the group's committed offset, per partition of ``topics`` (wire names).

    The partitions are described afresh every time: partitions added meanwhile count too.

    A partition the group never committed counts from its log start (the runtime and faust
    both start there), so a group that never ran shows its whole backlog.
    """
    described = await admin.describe_topics(list(topics))
    partitions = [
        TopicPartition(topic["topic"], p["partition"])
        for topic in described
        if topic["error_code"] == 0
        for p in topic["partitions"]
    ]
    if not partitions:
        return {}
    ends = await consumer.end_offsets(partitions)
    starts = await consumer.beginning_offsets(partitions)
    committed = await admin.list_consumer_group_offsets(group_id, partitions=partitions)
    lag = {}
    for tp in partitions:
        mark = committed.get(tp)
        position = mark.offset if mark is not None and mark.offset >= 0 else starts[tp]
        lag[tp] = max(0, ends[tp] - position)
    return lag


class BrokerLag:
    """Sets ``crible_consumer_lag_messages`` for some groups from the broker's offsets.

    Its clients connect on first use and again after a failure, so a broker that is down
    when the process starts, or goes away for a while, only delays the gauge.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def update(self, groups: Iterable[WatchedGroup]) -> None:
        """Read each group's offsets and set the gauge; raises if the broker cannot answer."""
        try:
            admin, consumer = await self._clients()
            for group in groups:
                lag = await group_lag(admin, consumer, group_id=group.group_id, topics=group.topics)
                for tp, messages in lag.items():
                    metrics.CONSUMER_LAG.labels(
                        group.service, group.topics[tp.topic], str(tp.partition)
                    ).set(messages)
        except BaseException:
            await self.close()  # connect afresh next time
            raise

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._consumer is None:
            admin = make_admin(self._settings)
            consumer = make_plain_consumer(self._settings, enable_auto_commit=False)
            try:
                await admin.start()
                await consumer.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await admin.close()
                with contextlib.suppress(Exception):
                    await consumer.stop()
                raise
            self._admin, self._consumer = admin, consumer
        return self._admin, self._consumer

    async def close(self) -> None:
        """Close the clients."""
        admin, consumer = self._admin, self._consumer
        self._admin = self._consumer = None
        if admin is not None:
            with contextlib.suppress(Exception):
                await admin.close()
        if consumer is not None:
            with contextlib.suppress(Exception):
                await consumer.stop()
