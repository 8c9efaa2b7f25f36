"""What passes between the runtime and a handler: a record in, the events out, the outcome.

:class:`Inbound` is a validated record as the handler receives it, :class:`Outbound` a
message to publish, :class:`Handled` what a handler did with its batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic

from typing_extensions import TypeVar

E = TypeVar("E")
#: What the consumer's stage computed for an event; None for a consumer without a stage.
S = TypeVar("S", default=None)


#: Bytes Kafka adds around one record in its own batch (batch header and record framing),
#: rounded up: what counts against ``max.message.bytes`` beyond key, value and headers.
RECORD_OVERHEAD = 128


@dataclass(frozen=True, slots=True)
class Outbound:
    """A message to publish: logical topic name (the publisher adds the prefix), bytes, headers."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()

    @property
    def size(self) -> int:
        """What the record weighs against its topic's ``max.message.bytes``, framing included."""
        headers = sum(len(name) + len(value) + 10 for name, value in self.headers)
        return len(self.key or b"") + len(self.value) + headers + RECORD_OVERHEAD


@dataclass(slots=True)
class Inbound(Generic[E, S]):
    """A validated event and where it came from (treat as read-only).

    Not a frozen dataclass: one is built per record, and a frozen one costs twice as much.
    """

    event: E
    topic: str
    partition: int
    offset: int
    key: bytes | None
    #: The bytes as received (already validated into ``event``).
    raw: bytes
    #: What the consumer's :class:`~shared.runtime.spec.Stage` computed for this event (its
    #: result type is the consumer's ``S``); None for a consumer without a stage.
    staged: S


@dataclass(frozen=True, slots=True)
class Handled:
    """What a handler did: events to publish, and what to do once its transaction committed."""

    events: Sequence[Outbound]
    #: Runs once after the commit, e.g. to count business metrics exactly once per effect.
    after_commit: Callable[[], None] | None = None
    #: Records of the batch the handler refused, each with a reason free of their values:
    #: dead-lettered once the rest committed (e.g. a statement a remote server rejected).
    refused: Sequence[tuple[Inbound[Any, Any], str]] = ()
