"""A small service for testing the runtime itself: it stores items and announces them.

Each input names an item; the handler inserts it into ``probe.items`` (once: idempotent on
the item id) and publishes ``{"id": ...}`` on ``probe.out``. What an input asks for
(``"fail": "always"``, ``"size": N``) and what the test switches on (:class:`Faults`)
make it fail in the ways the runtime must survive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import asyncpg
import orjson

from shared.db import Connection, migrate
from shared.events.base import Event
from shared.runtime import ConsumerSpec, Handled, Inbound, Service, Stage
from shared.runtime.contract import Outbound
from shared.topics import DAY_MS, TopicSpec

PROBE_IN = TopicSpec("probe.in", 4, DAY_MS)
PROBE_OUT = TopicSpec("probe.out", 4, DAY_MS)
TOPICS = [PROBE_IN, PROBE_IN.dlq(), PROBE_OUT, PROBE_OUT.dlq()]


class Item(Event):
    """One input of the probe service."""

    id: str
    fail: Literal["always", "bug", "range"] | None = None
    #: Bytes of padding in the announcement (to make it too large for its topic).
    size: int = 0


@dataclass
class Faults:
    """Failures the test switches on and off while the service runs."""

    #: Every record fails with this exception while set (an outage or a bug).
    everything: BaseException | None = None
    #: ``after_commit`` raises while set.
    after_commit_fails: bool = False
    after_commit_calls: int = 0
    handled_batches: int = 0
    #: The connection of the handler's last transaction.
    last_connection: object = None
    #: A release fixed the bug ``"fail": "bug"`` items trigger.
    bug_fixed: bool = False


#: The probe's migrations, applied by `crible migrate`'s own code path (roles, schema, outbox).
PROBE_MIGRATIONS = ("probe", "tests.integration.probe_migrations")


async def create_tables(dsn: str, migrations: list[tuple[str, str]]) -> None:
    """The probe's schema, tables and outbox (beside ``migrations``), made anew.

    Anew, because a test may have dropped a table to see what the runtime does then.
    """
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS probe CASCADE")
        await conn.execute(
            "DELETE FROM public.crible_migrations WHERE owner IN ('probe', 'runtime:probe')"
        )
    finally:
        await conn.close()
    await migrate(dsn, [*migrations, PROBE_MIGRATIONS])


def probe_service(
    faults: Faults, *, stage: Stage[int | None] | None = None, name: str = "probe"
) -> Service:
    """The probe service, failing as ``faults`` says."""

    async def handle(batch: Sequence[Inbound[Item, int | None]], conn: Connection) -> Handled:
        faults.handled_batches += 1
        faults.last_connection = conn
        if faults.everything is not None:
            raise faults.everything
        out = []
        for message in batch:
            item = message.event
            if item.fail == "always":
                raise ValueError("this item always fails")
            if item.fail == "bug" and not faults.bug_fixed:
                raise KeyError("a bug this item triggers")
            if item.fail == "range":  # a value its column cannot hold: numeric out of range
                await conn.execute("SELECT $1::int4::int2", 70_000)
            inserted = await conn.fetchval(
                "INSERT INTO probe.items (id, stage) VALUES ($1, $2) "
                "ON CONFLICT (id) DO NOTHING RETURNING id",
                item.id,
                None if message.staged is None else str(message.staged),
            )
            if inserted is not None:
                body = orjson.dumps({"id": item.id, "pad": "x" * item.size})
                out.append(Outbound(PROBE_OUT.name, item.id.encode(), body))

        def after() -> None:
            faults.after_commit_calls += 1
            if faults.after_commit_fails:
                raise RuntimeError("after_commit failed")

        return Handled(out, after_commit=after)

    consumer = ConsumerSpec(
        models={PROBE_IN: Item}, handler=handle, produces=(PROBE_OUT,), stage=stage
    )
    return Service(name=name, consumers=(consumer,))


def item(item_id: str, **extra: object) -> bytes:
    """The bytes of one probe input."""
    return orjson.dumps({"id": item_id, **extra})


def stage_length(items: list[Item]) -> list[int]:
    """A CPU stage (module-level, so a process pool can run it): each id's length."""
    if any(i.id == "boom" for i in items):
        raise ValueError("the stage cannot handle this item")
    return [len(i.id) for i in items]
