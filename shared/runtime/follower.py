"""Followers: consumers outside any group, so that every process of a service reads a topic.

A group shares a topic's partitions among a service's processes; some state must be in
every process instead (prescreen's hash banks). A :class:`Follower` declared in the
``Service`` reads every partition of its topic in each process, from the offsets its
``start`` returns (a partition it does not name from the beginning), hands each batch of
valid records to ``apply``, and commits nothing. A record its model refuses is skipped here:
the service's group consumer of the same topic dead-letters it with the reason.
Start waits for the broker and retries, like every other start, until it is reached or
the process is asked to stop.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from shared.kafka import make_plain_consumer
from shared.runtime.errors import StopRequestedError
from shared.runtime.retry import RetryPolicy
from shared.topics import TopicSpec, wire_name

if TYPE_CHECKING:
    from shared.runtime.spec import ServiceContext

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
#: Records fetched at most per batch handed to ``apply``.
MAX_RECORDS = 10_000


@dataclass(frozen=True, slots=True)
class Follower(Generic[M]):
    """A topic every process of the service follows, outside any group."""

    #: Names the follower in logs and retries (its start retries as ``connect-<name>``).
    name: str
    topic: TopicSpec
    model: type[M]
    #: The next offset to read in each partition; a partition not named starts at the
    #: beginning. Called once, after the service's start hooks.
    start: Callable[[ServiceContext], Mapping[int, int]]
    #: Applies a batch of records, in offset order within each partition.
    apply: Callable[[ServiceContext, list[M]], Awaitable[None]]


async def follow(follower: Follower[Any], ctx: ServiceContext) -> None:
    """Read ``follower``'s topic into its ``apply`` until ``ctx.stop`` is set."""
    topic = wire_name(follower.topic.name, ctx.settings.topic_prefix)
    # No group: every partition is this consumer's, nothing is committed.
    consumer = make_plain_consumer(
        ctx.settings, topic, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    retry = RetryPolicy(ctx.settings, service=ctx.service, stop=ctx.stop)
    try:
        await retry.run(f"connect-{follower.name}", consumer.start)
    except StopRequestedError:
        await consumer.stop()
        return
    try:
        offsets = follower.start(ctx)
        for tp in consumer.assignment():
            if tp.partition in offsets:
                consumer.seek(tp, offsets[tp.partition])
            else:
                await consumer.seek_to_beginning(tp)
        while not ctx.stop.is_set():
            records = await consumer.getmany(timeout_ms=200, max_records=MAX_RECORDS)
            valid = [
                event
                for batch in records.values()
                for record in batch
                if (event := _decode(follower.model, record.value)) is not None
            ]
            if valid:
                await follower.apply(ctx, valid)
    finally:
        await consumer.stop()


def _decode(model: type[M], value: bytes | None) -> M | None:
    if value is None:
        return None
    try:
        return model.model_validate_json(value)
    except (ValidationError, ValueError):
        return None
