"""Prometheus metrics shared by every consumer, and the authenticated endpoint serving them.

Names follow one scheme: ``crible_`` prefix, base units, ``_total`` on counters. Labels are
low-cardinality only: service, topic, partition, outcome. Never an account id, phone number
or IP address.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable, Iterable

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

log = logging.getLogger(__name__)

# A `_created` series beside every counter and histogram would double the series of each
# and is read by nothing (the catalogue lists none).
disable_created_metrics()  # type: ignore[no-untyped-call]

CONSUMED = Counter(
    "crible_messages_consumed_total",
    "Messages a consumer received, by outcome (processed, dead_lettered).",
    ["service", "topic", "outcome"],
)
PRODUCED = Counter(
    "crible_messages_produced_total",
    "Messages a service published and Kafka acknowledged.",
    ["service", "topic"],
)
DEAD_LETTERED = Counter(
    "crible_messages_dead_lettered_total",
    "Messages sent to a dead-letter topic, by the class of the error.",
    ["service", "topic", "error"],
)
HANDLER_SECONDS = Histogram(
    "crible_handler_duration_seconds",
    "Time to process one batch: decode, stage, database transaction, publish until "
    "acknowledged (its outbox row and offsets are settled apart, every commit interval).",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BATCH_SIZE = Histogram(
    "crible_batch_size_messages",
    "Messages in one consumed batch.",
    ["service"],
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2000, 4000, 8000),
)
CONSUMER_LAG = Gauge(
    "crible_consumer_lag_messages",
    "Messages after a consumer group's committed offset on a partition, both read from the "
    "broker; every process of the group reports every partition (read max by partition).",
    ["service", "topic", "partition"],
)
TRANSIENT_RETRIES = Counter(
    "crible_transient_retries_total",
    "Retries after a transient failure (database or broker unavailable).",
    ["service", "stage"],
)
STALLED_BATCHES = Counter(
    "crible_stalled_batches_total",
    "Times every record of a batch failed (an outage or a bug, not bad input): the lane "
    "backed off without dead-lettering or committing anything.",
    ["service", "error"],
)
COMMIT_RECOVERIES = Counter(
    "crible_commit_recoveries_total",
    "Batches whose commit reported an error but had committed (found by their outbox row).",
    ["service"],
)
UNDELIVERABLE = Counter(
    "crible_undeliverable_events_total",
    "Committed events the broker refused (size or contents), sent to the topic's .dlq.",
    ["service", "topic"],
)
ASSIGNMENTS = Counter(
    "crible_partition_assignments_total",
    "Partition assignments a consumer received: one at start, one more per rebalance.",
    ["service", "consumer"],
)
ACTIVE_LANES = Gauge(
    "crible_consumer_active_lanes",
    "Lanes a consumer runs now: one while it keeps up, all of them while a backlog lasts.",
    ["service", "consumer"],
)
LANE_CHANGES = Counter(
    "crible_consumer_lane_changes_total",
    "Times a consumer dealt its partitions anew to follow its backlog (grow or shrink).",
    ["service", "consumer", "direction"],
)
BATCH_WAIT = Histogram(
    "crible_batch_wait_seconds",
    "From the oldest record's timestamp (its publication) to its batch's processing start: "
    "time in Kafka, in the fetch buffer and waiting for a lane.",
    ["service"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
READY = Gauge(
    "crible_ready",
    "1 when the process is connected to Kafka and PostgreSQL and has its partitions.",
    ["service"],
)
OUTBOX_RELAYED = Counter(
    "crible_outbox_relayed_batches_total",
    "Outbox batches a worker published on behalf of a peer that died before publishing them.",
    ["service"],
)
RETENTION_DELETED = Counter(
    "crible_retention_deleted_total",
    "Rows a service's retention job deleted, by rule (counts only, never the data).",
    ["service", "rule"],
)
PERIODIC_RUNS = Counter(
    "crible_periodic_runs_total",
    "Rounds of a service's periodic tasks (retention, reminders), by outcome: ran, skipped "
    "(another process held the task's lock) or failed.",
    ["service", "task", "outcome"],
)
PERIODIC_SECONDS = Histogram(
    "crible_periodic_seconds",
    "How long one round of a periodic task took.",
    ["service", "task"],
    buckets=(0.01, 0.05, 0.25, 1, 5, 30, 120, 600, 3600),
)
PERIODIC_LAST_SUCCESS = Gauge(
    "crible_periodic_last_success_timestamp_seconds",
    "When a periodic task last ran to the end (alert when too old: retention not run).",
    ["service", "task"],
)


def start_at_zero(service: str, *, produces: Iterable[str], uses_database: bool) -> None:
    """Series of a process's known failure outcomes, present at 0 from its start.

    A counter series born at 1 shows no increase to Prometheus (``increase()`` needs two
    samples), so without this the first relayed batch or refused event would not alert.
    """
    READY.labels(service).set(0)
    for topic in produces:
        UNDELIVERABLE.labels(service, topic)
    if uses_database:
        OUTBOX_RELAYED.labels(service)
        COMMIT_RECOVERIES.labels(service)


#: Outcomes of a periodic task's round.
PERIODIC_OUTCOMES = ("ran", "skipped", "failed")


#: Answers whether the process is ready: (ready, one word per check that failed).
ReadinessProbe = Callable[[], tuple[bool, list[str]]]


class MetricsServer:
    """Serves ``/metrics``, ``/healthz`` and ``/readyz`` to holders of the metrics token.

    ``/healthz`` answers 200 while the event loop runs (a wedged loop cannot answer);
    ``/readyz`` answers 200 once the process is connected and has its partitions, 503 with
    the names of the failing checks otherwise. Every path demands the token: probes send it
    (see the deployment manifests), nothing is served anonymously.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        token: str,
        registry: CollectorRegistry = REGISTRY,
        readiness: ReadinessProbe | None = None,
    ) -> None:
        self._host, self._port, self._registry = host, port, registry
        self._readiness = readiness
        self._expected = f"Bearer {token}".encode()
        self._server: asyncio.Server | None = None
        #: Requests being answered: a stop lets them finish rather than drop them.
        self._answering: set[asyncio.Task[object]] = set()

    @property
    def port(self) -> int:
        """The bound port (useful when 0 asked the OS to choose)."""
        if self._server is None:
            raise RuntimeError("the metrics server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(self._serve, self._host, self._port)
        log.info("metrics endpoint listening", extra={"port": self.port})

    async def close(self) -> None:
        """Stop listening; answer the requests already accepted (for a second at most)."""
        if self._server is not None:
            # A connection the kernel completed but the loop has not accepted yet is reset
            # when the listening socket closes: a probe sees it dropped, not answered. The
            # loop polls once more first (the steps before may have kept it busy), and the
            # connections it accepts then get a moment to become requests being answered.
            await asyncio.sleep(0)
            self._server.close()
            await asyncio.sleep(0.05)
            if self._answering:
                await asyncio.wait(self._answering, timeout=1)
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            status, body, ctype = self._respond(head)
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        finally:
            writer.close()

    def _respond(self, head: bytes) -> tuple[str, bytes, str]:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        path = parts[1].split(b"?")[0] if len(parts) >= 2 else b""
        if len(parts) < 2 or parts[0] != b"GET" or path not in _PATHS:
            return "404 Not Found", b"not found\n", "text/plain"
        auth = b""
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"authorization":
                auth = value.strip()
        if not hmac.compare_digest(auth, self._expected):
            return "401 Unauthorized", b"metrics-reader token required\n", "text/plain"
        if path == b"/healthz":
            return "200 OK", b"alive\n", "text/plain"
        if path == b"/readyz":
            try:
                ready, failing = self._readiness() if self._readiness else (True, [])
            except Exception as error:  # noqa: BLE001 - answer 503 rather than drop the probe
                ready, failing = False, [f"readiness check failed ({type(error).__name__})"]
            if ready:
                return "200 OK", b"ready\n", "text/plain"
            return "503 Service Unavailable", (" ".join(failing) + "\n").encode(), "text/plain"
        return "200 OK", generate_latest(self._registry), CONTENT_TYPE_LATEST


_PATHS = {b"/metrics", b"/healthz", b"/readyz"}
