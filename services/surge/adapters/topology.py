"""The faust app's shape: its settings, its topics and its tables (the agents are elsewhere).

faust never creates a topic here (``topic_allow_declare`` off): every one is declared in
``shared/topics.py`` and created by ``crible topics apply``. Its web server is off; the
process's metrics and probes are the shared, token-protected endpoint.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import faust
from faust.serializers import codecs
from faust.types import TableT

from services.surge.adapters.stores import ROCKSDB_OPTIONS, Table
from services.surge.adapters.tables import (
    category_codec,
    reporter_codec,
    subject_codec,
)
from services.surge.adapters.transport import App
from services.surge.config import SurgeSettings
from shared.config import Settings
from shared.kafka import kafka_client_options
from shared.topics import (
    REPORTS_ACCEPTED,
    SURGE_BY_REPORTER,
    SURGE_BY_SUBJECT,
    SURGE_CATEGORIES,
    SURGE_REPORTERS,
    SURGE_SIGNALS,
    SURGE_SUBJECTS,
    TopicSpec,
    largest_message_bytes,
    wire_name,
)

#: The consumer group (before the topic prefix), named like every service's.
GROUP = "crible-surge"
PARTITIONS = REPORTS_ACCEPTED.partitions


class Topology:
    """The faust app with the topics and tables of surge's two stages."""

    def __init__(self, settings: Settings, surge: SurgeSettings) -> None:
        self.prefix = settings.topic_prefix
        self.app = _app(settings, surge)
        self.by_reporter = self._topic(SURGE_BY_REPORTER)
        self.by_subject = self._topic(SURGE_BY_SUBJECT)
        self.signals = self._topic(SURGE_SIGNALS)
        self.reporters = self._table(
            SURGE_REPORTERS, reporter_codec(), store=f"{surge.reporters_store}://"
        )
        # Every report of the longest window (an hour): on disk, a record per bucket, the
        # subjects used most recently kept decoded (see the README's design notes).
        self.subjects = self._table(
            SURGE_SUBJECTS,
            subject_codec(),
            store="rocksdb://",
            hot_bytes=int(surge.subjects_hot_mib * 2**20),
        )
        self.categories = self._table(SURGE_CATEGORIES, category_codec(), store="memory://")
        #: Wire names of the topics the process consumes, to their logical names.
        self.logical = {
            wire_name(t.name, self.prefix): t.name
            for t in (REPORTS_ACCEPTED, SURGE_BY_REPORTER, SURGE_BY_SUBJECT)
        }

    def assigned(self, spec: TopicSpec) -> set[int]:
        """The partitions of ``spec`` faust's consumer holds."""
        topic = wire_name(spec.name, self.prefix)
        return {tp.partition for tp in self.app.consumer.assignment() if tp.topic == topic}

    def _topic(self, spec: TopicSpec) -> faust.TopicT:
        return self.app.topic(
            wire_name(spec.name, self.prefix),
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=spec.partitions,
        )

    def _table(
        self, spec: TopicSpec, codec: codecs.Codec, *, store: str, hot_bytes: int = 0
    ) -> TableT[bytes, Any]:
        schema: faust.Schema[bytes, Any] = faust.Schema(
            key_type=bytes, key_serializer="raw", value_serializer=codec
        )
        changelog = self.app.topic(
            wire_name(spec.name, self.prefix),
            schema=schema,
            partitions=spec.partitions,
            compacting=True,
            acks=False,
            internal=True,
            allow_empty=True,
            maxsize=131_072,
        )
        table: TableT[bytes, Any] = self.app.tables.add(  # type: ignore[assignment]
            Table(
                self.app,
                name=spec.name,
                default=None,
                key_type=bytes,
                schema=schema,
                partitions=spec.partitions,
                changelog_topic=changelog,
                store=store,
                options=(
                    {**ROCKSDB_OPTIONS, "hot_bytes": hot_bytes}
                    if store.startswith("rocksdb")
                    else None
                ),
            )
        )
        # A table serialises what it writes with serializers derived from its types, not its
        # schema's (faust-streaming 0.15.3): without this its changelog would be written in
        # faust's JSON and read back through the codec.
        table.value_serializer = codec  # type: ignore[attr-defined]  # TableT omits it
        return table


def _app(settings: Settings, surge: SurgeSettings) -> App:
    if surge.data_dir is not None:
        # faust creates the directory itself, but not its parents.
        surge.data_dir.mkdir(parents=True, exist_ok=True)
    app = App(
        settings.topic_prefix + GROUP,
        broker=[f"kafka://{h.strip()}" for h in settings.kafka_bootstrap_servers.split(",")],
        broker_credentials=_credentials(settings),
        store="memory://",
        # faust's default is "<app id>-data" in the working directory, which may be
        # read-only (a container's) or a checkout.
        datadir=str(surge.data_dir or Path(tempfile.gettempdir()) / "{conf.name}-data"),
        # No HTTP server of faust's: probes and metrics are the shared, token-protected
        # endpoint (CRIBLE_METRICS_PORT).
        web_enabled=False,
        # Topics are declared in shared/topics.py and created by `crible topics apply`.
        topic_allow_declare=False,
        topic_disable_leader=True,
        topic_partitions=PARTITIONS,
        table_standby_replicas=0,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=surge.commit_interval_seconds,
        broker_session_timeout=surge.session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, surge.session_timeout_seconds / 3),
        producer_acks=-1,
        producer_linger_ms=settings.producer_linger_ms,
        producer_max_request_size=largest_message_bytes() + 64 * 1024,
        stream_buffer_maxsize=8192,
        broker_max_poll_records=5000,
        loop=asyncio.get_running_loop(),
    )
    # faust pauses every stream once 100 table writes wait to be produced (its default):
    # the reporter stage writes about one per report, so the pause came every few
    # milliseconds. The writes are flushed before each commit whatever this limit.
    app.producer.buffer.max_messages = 50_000
    return app


def _credentials(settings: Settings) -> faust.types.auth.CredentialsT | None:
    """Faust's broker credentials from the settings every Kafka client of Crible uses."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    ssl_context = kafka_client_options(settings).get("ssl_context")
    if protocol == "SSL":
        return faust.SSLCredentials(ssl_context)
    password = settings.kafka_sasl_password
    return faust.SASLCredentials(
        username=settings.kafka_sasl_username,
        password=None if password is None else password.get_secret_value(),
        mechanism=settings.kafka_sasl_mechanism,
        ssl_context=ssl_context,
    )
