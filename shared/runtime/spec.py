"""How a service describes itself to the runtime: its consumers, hooks, stage and HTTP app.

A service never writes a poll loop, a signal handler or a server start-up: it declares a
:class:`Service` and ``crible run <name>`` (or a test) hands it to
:func:`shared.runtime.serve`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, cast

from pydantic import BaseModel, TypeAdapter
from typing_extensions import TypeVar

from shared.db import Connection
from shared.runtime.contract import Handled, Inbound
from shared.runtime.follower import Follower
from shared.topics import TopicSpec

if TYPE_CHECKING:
    import asyncio

    import asyncpg

    from shared.config import Settings
    from shared.runtime.outbox import Outbox

E = TypeVar("E")
#: The ports a consumer's handler works with, bound to the runtime's transaction.
P = TypeVar("P", default=Connection)
P_contra = TypeVar("P_contra", contravariant=True, default=Connection)
S = TypeVar("S", default=None)


class BatchHandler(Protocol[E, P_contra, S]):
    """Applies a batch of events through its ports; returns events to publish.

    The ports are bound to the transaction the runtime opened for the batch: the handler
    never sees the transaction itself.
    """

    async def __call__(self, batch: Sequence[Inbound[E, S]], ports: P_contra, /) -> Handled:
        """Handle ``batch``; must be idempotent (the same batch may come again)."""
        ...


@dataclass(frozen=True, slots=True)
class Stage(Generic[S]):
    """CPU-heavy work on a whole batch, run off the event loop before the transaction opens.

    ``compute`` receives the batch's events and returns one result per event, in order; the
    handler finds each in ``Inbound.staged``. A thread pool suits work that releases the GIL
    (numpy, faiss, most model inference); a process pool the rest (``compute`` and
    ``initializer`` must then be picklable module-level functions). No transaction is held
    open and heartbeats keep flowing while it runs.
    """

    compute: Callable[[list[Any]], Sequence[S]]
    executor: Literal["thread", "process"] = "thread"
    workers: int = 1
    #: Runs once in each worker process (``executor="process"``), e.g. to load a model.
    initializer: Callable[[], None] | None = None


#: Builds a consumer's stage from the running service's context.
StageFactory = Callable[["ServiceContext"], Stage[S]]


@dataclass(frozen=True)
class ConsumerSpec(Generic[E, P, S]):
    """One consumer of a service: its topics, their event types, its batch handler.

    A topic's type may be a pydantic model or any type pydantic validates, such as an
    ``Annotated`` union with a discriminator when a topic carries several event types.
    """

    models: Mapping[TopicSpec, Any]
    handler: BatchHandler[E, P, S]
    #: Binds the service's ports (its PostgreSQL adapters) to the batch's transaction. The
    #: default hands over the connection itself, for a handler still writing its own SQL.
    ports: Callable[[Connection], P] = field(default=lambda conn: conn)
    #: Names the consumer within its service; each consumer is its own consumer group.
    name: str = "main"
    #: Topics the handler publishes to (documentation, the demo view, dashboards).
    produces: tuple[TopicSpec, ...] = ()
    #: The CPU stage, or a function building it from the running service's context once the
    #: start-up hooks have run (to reach a model or a hash bank they loaded as resources).
    stage: Stage[S] | StageFactory[S] | None = None
    #: Whether to run the consumer in this process, asked at start-up (e.g. a submitter to
    #: an outside service that is off unless configured). A consumer not running keeps its
    #: group's offsets: turned on later, it starts where it stopped.
    enabled: Callable[[], bool] | None = None

    def bound(self, context: ServiceContext) -> ConsumerSpec[E, P, S]:
        """The consumer with its stage built for ``context`` (itself if the stage is plain)."""
        if self.stage is None or isinstance(self.stage, Stage):
            return self
        return replace(self, stage=self.stage(context))

    def group_id(self, service: str) -> str:
        """The consumer group (before the topic prefix), scaled by adding processes."""
        return f"crible-{service}" if self.name == "main" else f"crible-{service}.{self.name}"


def decoder(model: Any) -> Callable[[bytes], Any]:
    """The fastest validating JSON decoder for ``model``."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        return model.model_validate_json
    return TypeAdapter(model).validate_json


T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Resource(Generic[T]):
    """Names one thing a service's hooks load for its handlers, and its type.

    Declared once beside the service (``ENGINE: Resource[ScreeningEngine] = Resource("engine")``);
    two resources are the same only if they are the same object.
    """

    name: str


class Resources:
    """What a running service's start-up hooks loaded (a model, a hash bank), each typed."""

    def __init__(self) -> None:
        self._values: dict[Resource[Any], object] = {}

    def put(self, resource: Resource[T], value: T) -> None:
        """Keep ``value`` as ``resource`` for the rest of the service's life."""
        self._values[resource] = value

    def get(self, resource: Resource[T]) -> T:
        """The value of ``resource``; a :class:`LookupError` if no hook loaded it yet."""
        try:
            value = self._values[resource]
        except KeyError:
            raise LookupError(f"resource {resource.name!r} is not loaded") from None
        return cast("T", value)

    def find(self, resource: Resource[T]) -> T | None:
        """The value of ``resource``, or None if no hook loaded it (yet)."""
        return cast("T | None", self._values.get(resource))


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """What a running service's hooks and HTTP app may use: one pool, one outbox."""

    service: str
    settings: Settings
    pool: asyncpg.Pool | None
    outbox: Outbox | None
    stop: asyncio.Event
    #: What the hooks load (a model, a hash bank) for the stage, handlers and other hooks.
    resources: Resources = field(default_factory=Resources)


#: A start-up or shutdown hook.
Hook = Callable[[ServiceContext], Awaitable[None]]
#: Builds the service's ASGI application once the context exists.
AppFactory = Callable[[ServiceContext], Any]
#: A service that is not a set of consumers (a faust-streaming app): runs until stop is set.
CustomMain = Callable[[ServiceContext], Coroutine[Any, Any, None]]
#: Readiness checks of what the runtime does not drive itself: the names of those failing.
ReadinessChecks = Callable[[ServiceContext], list[str]]


@dataclass(frozen=True, slots=True)
class Periodic:
    """Work a service repeats on a schedule beside its consumers (``runtime/periodic.py``)."""

    name: str
    #: Seconds between rounds, or a function reading it from configuration at start.
    every_seconds: float | Callable[[], float]
    run: Hook
    #: One process of the service at a time (a PostgreSQL advisory lock); others skip.
    exclusive: bool = True
    #: Wait before the first round (a few seconds lets the consumers start first).
    first_after_seconds: float = 5.0


@dataclass(frozen=True, slots=True)
class OwnGroup:
    """A consumer group a service runs itself (faust's), whose lag the runtime reports."""

    #: The group id before the topic prefix.
    group_id: str
    topics: tuple[TopicSpec, ...]


@dataclass(frozen=True)
class Service:
    """A Crible service as the runtime runs it: ``crible run <name>`` serves one of these."""

    name: str
    consumers: tuple[ConsumerSpec[Any, Any, Any], ...] = ()
    on_start: tuple[Hook, ...] = ()
    on_stop: tuple[Hook, ...] = ()
    #: An HTTP API served in the same process and event loop as the consumers.
    http_app: AppFactory | None = None
    #: A task run beside the consumers until stop is set, or instead of them for a service
    #: the runtime cannot drive itself (faust).
    main: CustomMain | None = None
    #: Whether the service uses PostgreSQL (a pool and the outbox).
    uses_database: bool = True
    #: Work repeated on a schedule (retention, reminders, gauges), each in its own task.
    periodic: tuple[Periodic, ...] = ()
    #: Checks ``/readyz`` adds to the runtime's own (e.g. a faust app's partitions, tables).
    readiness: ReadinessChecks | None = None
    #: Consumer groups the service runs itself (not ``consumers``): the runtime reports
    #: their lag from the broker like its own groups'.
    own_groups: tuple[OwnGroup, ...] = ()
    #: Topics every process reads whole, outside any group (``runtime/follower.py``).
    followers: tuple[Follower[Any], ...] = ()

    @property
    def produces(self) -> tuple[TopicSpec, ...]:
        """Every topic its consumers publish to."""
        return tuple(dict.fromkeys(t for c in self.consumers for t in c.produces))
