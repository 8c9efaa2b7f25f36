"""The faust app around the pure stages, as one process runs it.

Three stages: the intake, then two agents, each co-partitioned with the tables it writes:

1. the intake (:mod:`services.surge.adapters.intake`, batches of plain aiokafka: it keeps no
   state) reads ``reports.accepted``, validates each event (bad ones go to
   ``reports.accepted.dlq``, with the headers every Crible consumer writes) and repartitions
   compact records by reporter onto ``surge.by_reporter``;
2. ``reporters`` and 3. ``subjects``, the faust agents (:mod:`.agents`).

The app's shape is :mod:`.topology`, the tables' expiry :mod:`.sweeps`, readiness and the
watchdog :mod:`.health`; this module starts them, runs the housekeeping loop and stops them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from aiokafka import AIOKafkaConsumer
from faust.types import TP

from services.surge.adapters.agents import Agents
from services.surge.adapters.health import AgentStalledError, Health
from services.surge.adapters.intake import Intake
from services.surge.adapters.state import check_local_state
from services.surge.adapters.stores import RocksStore, store_of
from services.surge.adapters.sweeps import Sweeps
from services.surge.adapters.tables import HeldWrites, SnapshotBeforeCommit
from services.surge.adapters.topology import Topology
from services.surge.config import SurgeSettings
from services.surge.core.watchdog import Watchdog
from shared.config import Settings
from shared.kafka import make_plain_consumer, make_producer

log = logging.getLogger(__name__)


class SurgeApp:
    """One process's faust app, its tables, and what the runtime needs to watch it."""

    def __init__(self, settings: Settings, surge: SurgeSettings) -> None:
        self.settings = settings
        self.surge = surge
        self.watchdog = Watchdog(
            stall_seconds=surge.stall_seconds,
            # Twice more before the stall: a lost record is read again well before it.
            reread_seconds=surge.stall_seconds / 3,
            clock=time.monotonic,
        )
        self._held_writes = HeldWrites()
        #: The watchdog's own client for offsets (outside faust and any group).
        self._offsets: AIOKafkaConsumer | None = None
        self._intake: asyncio.Task[None] | None = None
        self.topology = Topology(settings, surge)
        self.app = self.topology.app
        #: The intake's own producer (its records are flushed before it commits).
        self._producer = make_producer(settings)
        self.intake = Intake(
            settings, surge, producer=self._producer, progress=self.watchdog.processed
        )
        self.app.sensors.add(SnapshotBeforeCommit(self._held_writes))
        self.app.consumer.before_commit = self._write_held  # type: ignore[attr-defined]
        self.app.on_partitions_revoked.connect(self._on_revoked)  # type: ignore[arg-type]
        dirty = self._held_writes.dirty
        self.sweeps = Sweeps(
            self.topology, policy=surge.policy(), every=surge.sweep_seconds, dirty=dirty
        )
        self.agents = Agents(
            self.topology,
            surge,
            sweeps=self.sweeps,
            watchdog=self.watchdog,
            dirty=dirty,
            publishing=self._held_writes.publishing,
        )
        self.health = Health(
            settings,
            self.topology,
            intake=self.intake,
            watchdog=self.watchdog,
            stall_seconds=surge.stall_seconds,
            on_owned=self.agents.look_through,
            update_sizes=self.sweeps.update_sizes,
        )

    def readiness(self) -> list[str]:
        """Failing checks for ``/readyz`` (:meth:`Health.readiness`)."""
        return self.health.readiness()

    async def run(self, stop: asyncio.Event, *, every: float) -> None:
        """Run the app until ``stop`` is set; raise :class:`AgentStalledError` on a stall."""
        self._offsets = make_plain_consumer(self.settings)
        await self._offsets.start()
        on_disk = [
            (store, table.changelog_topic.get_topic_name())
            for table in (self.topology.reporters, self.topology.subjects)
            if isinstance(store := store_of(table), RocksStore)
        ]
        await check_local_state(self.settings, on_disk, offsets=self._offsets)
        await self._producer.start()
        await self.app.start()
        intake_stop = asyncio.Event()
        intake = self._intake = asyncio.create_task(self.intake.run(intake_stop))
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=every)
                await self.agents.flush()
                await self.health.check(self._offsets, intake)
        except AgentStalledError:
            # No graceful stop: faust would wait for the wedged agent's events for ever.
            raise
        except BaseException:
            await self._stop(intake, intake_stop)
            raise
        else:
            await self._stop(intake, intake_stop)
        finally:
            await self._offsets.stop()

    async def _write_held(self) -> None:
        await self._held_writes.write(
            self._producer, owned=self._owned, signals_out=self.app.producer.flush
        )

    def _owned(self, changelog: TP) -> bool:
        """Whether this process holds ``changelog`` (its tables' partition) now."""
        return changelog in self.app.assignor.assigned_actives()

    async def _on_revoked(
        self, _sender: object, *_args: object, signal: object, **_kwargs: object
    ) -> None:
        """Partitions are about to move: write what their tables hold back, all of it.

        faust commits on revocation only when offsets moved; what it left held would be
        written later, from a partition by then another process's (and dropped there).
        """
        del signal  # faust's signals name themselves to every receiver
        self.health.revoked()
        self._held_writes.snapshot()
        await self._write_held()

    async def _stop(self, intake: asyncio.Task[None], intake_stop: asyncio.Event) -> None:
        """Stop the intake (its last batch committed), then faust, each bounded."""
        self.health.stopping = True
        intake_stop.set()
        await asyncio.wait({intake}, timeout=30)
        if not intake.done():
            log.warning("the intake did not stop in 30 s")
            intake.cancel()
        await self._stop_app()
        # What changed after the last commit (sweeps, flushes), for the next owner.
        self._held_writes.snapshot()
        await self._write_held()
        await self._producer.stop()

    async def _stop_app(self) -> None:
        """Stop faust (it commits what was processed, held table writes first), bounded."""
        self.health.stopping = True
        stopping = asyncio.ensure_future(self.app.stop())
        await asyncio.wait({stopping}, timeout=30)
        if not stopping.done():
            log.warning("faust did not stop in 30 s")
