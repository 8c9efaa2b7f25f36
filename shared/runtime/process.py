"""One service process: its pool, producer, consumers, HTTP API, hooks and one graceful stop."""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import asyncpg

from shared import metrics
from shared.config import Settings
from shared.db import create_pool
from shared.kafka import make_producer
from shared.runtime.consumer import ConsumerRunner
from shared.runtime.errors import ConfigurationError, Fault, StopRequestedError, classify
from shared.runtime.follower import follow
from shared.runtime.housekeeping import Housekeeping
from shared.runtime.http import HttpHost
from shared.runtime.liveness import WorkerLease
from shared.runtime.outbox import Outbox
from shared.runtime.parent import exit_with_parent
from shared.runtime.periodic import run_periodic
from shared.runtime.publisher import Publisher
from shared.runtime.retry import RetryPolicy
from shared.runtime.spec import ConsumerSpec, Service, ServiceContext, Stage, StageFactory
from shared.topics import max_message_bytes

log = logging.getLogger(__name__)


async def serve(service: Service, settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run ``service`` until ``stop`` is set (by default: SIGTERM or SIGINT).

    Consumers finish their batch and commit, the HTTP API drains, shutdown hooks run,
    then the producer and the pool close. A fatal configuration error stops it too, raised
    as :class:`~shared.runtime.errors.ConfigurationError` once everything is closed.
    """
    if stop is None:
        stop = install_stop_signals(grace_seconds=settings.stop_grace_seconds)
    process = ServiceProcess(service, settings, stop=stop)
    try:
        await process.run()
    except StopRequestedError:
        log.info("stopped before start-up completed")
    finally:
        await process.close()


class ServiceProcess:
    """What one ``crible run <service>`` holds: pool, producer, runners, API, housekeeping."""

    def __init__(self, service: Service, settings: Settings, *, stop: asyncio.Event) -> None:
        self.service = service
        self.settings = settings
        self.stop = stop
        self.retry = RetryPolicy(settings, service=service.name, stop=stop)
        self.producer = make_producer(settings)
        self.pool: asyncpg.Pool | None = None
        self.runners: list[ConsumerRunner[object]] = []
        self.housekeeping: Housekeeping | None = None
        self.http: HttpHost | None = None
        self.context: ServiceContext | None = None
        self._executors: list[Executor] = []
        self._lease: WorkerLease | None = None
        self._producer_started = False
        self._metrics: metrics.MetricsServer | None = None

    def readiness(self) -> tuple[bool, list[str]]:
        """Ready once connected to Kafka and PostgreSQL and given partitions (``/readyz``).

        Also sets ``crible_ready``: the housekeeping task asks every round, so the gauge is
        current whether or not anything probes the process. Never raises: a check that
        cannot answer yet (a client still starting) counts as failing.
        """
        try:
            failing = self._failing_checks()
        except Exception as error:  # noqa: BLE001 - a probe must get an answer, not a reset
            failing = [f"starting ({type(error).__name__})"]
        metrics.READY.labels(self.service.name).set(0 if failing else 1)
        return not failing, failing

    def _failing_checks(self) -> list[str]:
        if self.stop.is_set():
            return ["stopping"]
        failing = []
        if self.context is None:
            failing.append("starting")
        if not self._producer_started:
            failing.append("kafka")
        if self.housekeeping is None or not self.housekeeping.database_ok:
            failing.append("database")
        if not all(r.ready for r in self.runners):
            failing.append("partitions")
        if self.service.readiness is not None and self.context is not None:
            failing.extend(self.service.readiness(self.context))
        return failing

    async def run(self) -> None:
        """Start everything, then wait for the stop event or the first failure."""
        service, settings = self.service, self.settings
        metrics.start_at_zero(
            service.name,
            produces=[t.name for t in service.produces],
            uses_database=service.uses_database,
        )
        self._metrics = await _start_metrics(self.settings, self.readiness)
        _tune_gc()
        if service.uses_database:
            self.pool = await _connect_pool(settings, service.name, self.retry)
            self._lease = WorkerLease(
                settings.database_url_for(service.name).get_secret_value(),
                application_name=f"crible-{service.name}-lease",
            )
            await self.retry.run("connect-database", self._lease.hold)
        await self.retry.run("connect", self.producer.start)
        self._producer_started = True
        publisher = Publisher(
            self.producer,
            prefix=settings.topic_prefix,
            limit=max_message_bytes,
            metadata_refresh_seconds=settings.metadata_refresh_seconds,
        )
        outbox = None
        if self.pool is not None:
            outbox = Outbox(
                service=service.name,
                pool=self.pool,
                publisher=publisher,
                retry=self.retry,
                worker=None if self._lease is None else self._lease.worker,
                topic_prefix=settings.topic_prefix,
            )
        self.context = ServiceContext(
            service=service.name, settings=settings, pool=self.pool, outbox=outbox, stop=self.stop
        )
        for hook in service.on_start:
            await hook(self.context)
        self.housekeeping = Housekeeping(
            service=service.name,
            settings=settings,
            pool=self.pool,
            outbox=outbox,
            runners=self.runners,
            stop=self.stop,
            readiness=self.readiness,
            own_groups=service.own_groups,
        )
        self.runners.extend(
            self._runner(spec, outbox)
            for spec in service.consumers
            if spec.enabled is None or spec.enabled()
        )
        if service.http_app is not None and settings.http_port:
            self.http = HttpHost(
                service.http_app(self.context),
                host=settings.http_host,
                port=settings.http_port,
                service=service.name,
            )
            await self.http.start()
        tasks = [asyncio.create_task(r.run()) for r in self.runners]
        tasks.append(asyncio.create_task(self.housekeeping.run()))
        if self._lease is not None:
            tasks.append(
                asyncio.create_task(
                    self._lease.keep(self.stop, every=settings.housekeeping_seconds)
                )
            )
        if service.main is not None:
            tasks.append(asyncio.create_task(service.main(self.context)))
        tasks.extend(asyncio.create_task(follow(f, self.context)) for f in service.followers)
        tasks.extend(
            asyncio.create_task(run_periodic(task, self.context)) for task in service.periodic
        )
        await _until_stopped_or_failed(tasks, self.stop)

    def _runner(
        self, spec: ConsumerSpec[object, Any, Any], outbox: Outbox | None
    ) -> ConsumerRunner[object]:
        if self.pool is None or outbox is None:
            raise RuntimeError(f"{self.service.name}: consumers need the database (the outbox)")
        assert self.context is not None  # noqa: S101 - built before the runners
        spec = spec.bound(self.context)
        executor = _executor(spec.stage)
        if executor is not None:
            self._executors.append(executor)
        return ConsumerRunner(
            service=self.service.name,
            spec=spec,
            settings=self.settings,
            pool=self.pool,
            outbox=outbox,
            retry=self.retry,
            stop=self.stop,
            executor=executor,
            on_assigned=None if self.housekeeping is None else self.housekeeping.relay,
        )

    async def close(self) -> None:
        """Stop the API, run the shutdown hooks, close executors, producer, pool, metrics."""
        self.stop.set()  # from here on /readyz says "stopping"
        self.readiness()
        if self.http is not None:
            await self.http.stop()
        if self.context is not None:
            for hook in self.service.on_stop:
                try:
                    await hook(self.context)
                except Exception:
                    log.exception("shutdown hook failed")
        for executor in self._executors:
            executor.shutdown(wait=True, cancel_futures=True)
        await self.producer.stop()
        if self._lease is not None:
            # Only now: every row this worker stored is published, or left to the relay.
            await self._lease.release()
        if self.pool is not None:
            await self.pool.close()
        if self._metrics is not None:
            await self._metrics.close()


async def _until_stopped_or_failed(tasks: list[asyncio.Task[None]], stop: asyncio.Event) -> None:
    """Wait for the stop event; if a task fails first, stop the others and raise its error."""
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([stopper, *tasks], return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    stopper.cancel()
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, StopRequestedError):
            raise result


def _executor(stage: Stage | StageFactory | None) -> Executor | None:
    if stage is None:
        return None
    if not isinstance(stage, Stage):
        raise TypeError("a consumer's stage is built (ConsumerSpec.bound) before its executor")
    if stage.executor == "process":
        # spawn: a fresh interpreter, never a fork of a process with an event loop and threads
        return ProcessPoolExecutor(
            max_workers=stage.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_start,
            initargs=(os.getpid(), stage.initializer),
        )
    return ThreadPoolExecutor(max_workers=stage.workers, thread_name_prefix="stage")


def _worker_start(parent: int, initializer: Callable[[], None] | None) -> None:
    """A stage worker's start: it ends with its service, ignores SIGINT, runs the initializer.

    Ctrl-C reaches the whole process group, but the service stops its workers itself (a
    graceful stop): without this, each worker would print a KeyboardInterrupt traceback.
    """
    exit_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if initializer is not None:
        initializer()


async def _start_metrics(
    settings: Settings, readiness: metrics.ReadinessProbe
) -> metrics.MetricsServer | None:
    if not settings.metrics_port:
        return None
    if settings.metrics_token is None:
        raise RuntimeError("CRIBLE_METRICS_TOKEN must be set to serve metrics")
    server = metrics.MetricsServer(
        host=settings.metrics_host,
        port=settings.metrics_port,
        token=settings.metrics_token.get_secret_value(),
        readiness=readiness,
    )
    await server.start()
    return server


async def _connect_pool(settings: Settings, service: str, retry: RetryPolicy) -> asyncpg.Pool:
    async def connect() -> asyncpg.Pool:
        return await create_pool(
            settings.database_url_for(service).get_secret_value(),
            max_size=settings.db_pool_max,
            application_name=f"crible-{service}",
        )

    try:
        return await retry.run("connect-database", connect)
    except Exception as error:
        if classify(error) is Fault.FATAL:
            raise ConfigurationError(
                f"{type(error).__name__}: cannot connect to the database as configured"
            ) from error
        raise


def _tune_gc() -> None:
    """Collect garbage less often than Python's defaults.

    A batch allocates many short-lived objects; with the default thresholds, collections
    cost as much as validating the messages.
    """
    gc.collect()
    gc.freeze()  # objects alive after start-up (modules, models) are never scanned again
    gc.set_threshold(100_000, 50, 1000)


#: Exit status of a process whose graceful stop did not end in time (sysexits.h).
EX_SOFTWARE = 70


def install_stop_signals(
    *, grace_seconds: float = 25.0, same_request_seconds: float = 2.0
) -> asyncio.Event:
    """An event set by SIGTERM or SIGINT: consumers finish their batch, commit, close.

    A stop signal always stops the process: if the graceful stop has not ended after
    ``grace_seconds`` (a client waiting on a broker that does not answer, a batch blocked on
    a lock), or at a second signal, it exits at once. Uncommitted work is redelivered.

    Signals within ``same_request_seconds`` of the first count as one request: a Ctrl-C
    reaches every process of the terminal's group, and the supervisor's SIGTERM follows it.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    first_at: list[float] = []

    def requested() -> None:
        if stop.is_set():
            if time.monotonic() - first_at[0] < same_request_seconds:
                return
            _exit_now("second stop signal")
        first_at.append(time.monotonic())
        stop.set()
        # A thread, not the loop: the loop may be what is stuck.
        timer = threading.Timer(
            grace_seconds, _exit_now, args=(f"not stopped in {grace_seconds} s",)
        )
        timer.daemon = True
        timer.start()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, requested)
    return stop


def _exit_now(reason: str) -> None:
    log.critical("exiting without a graceful stop: %s", reason)
    logging.shutdown()
    os._exit(EX_SOFTWARE)
