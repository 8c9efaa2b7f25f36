"""The legal service as the runtime runs it: ``crible run legal``.

- ``identity``: ``identity.events`` sealed into ``legal.accounts``, ``legal.phone_numbers``
  and ``legal.sessions`` (``handlers/intake.py``);
- ``requests``: what the portal received, from ``legal.requests``, checked against the law
  (``handlers/checks.py``); refusals go to ``legal.disclosures``;
- the portal (``adapters/http``): authorities submit signed requests and fetch their
  packages; legal officers read, narrow, prepare and approve, and every step is on the
  hash-chained audit log;
- on a schedule (``schedule.py``): retention, ended preservation orders, user notices,
  and the deadline gauges.

This module binds the adapters to the handlers: each consumer's batch gets the PostgreSQL
ports over the runtime's transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from services.legal.adapters.http.portal import build_portal
from services.legal.adapters.postgres import legal_unit
from services.legal.config import ConfiguredKeys, LegalSettings
from services.legal.core.policy import Policy
from services.legal.handlers.account_keys import AccountKeys
from services.legal.handlers.checks import check_batch
from services.legal.handlers.intake import store_identity_events
from services.legal.ports import Legal
from services.legal.schedule import PERIODIC
from shared.db import Connection
from shared.events.identity import IdentityEvent
from shared.events.legal import RequestReceived
from shared.runtime import ConsumerSpec, Handled, Inbound, Service, ServiceContext
from shared.topics import IDENTITY_EVENTS, LEGAL_DISCLOSURES, LEGAL_REQUESTS


class _Configuration:
    """Keys and policy, read at start (a missing or malformed key stops the service)."""

    keys: ConfiguredKeys | None = None
    policy: Policy | None = None

    def load(self, *, again: bool = False) -> tuple[ConfiguredKeys, Policy]:
        """The keys and policy (read once; ``again`` at each start: a new key takes effect)."""
        if again or self.keys is None or self.policy is None:
            settings = LegalSettings()
            keys = settings.keys()
            keys.cipher(), keys.blind_index(), keys.platform_key()  # decoded now, or fail now
            self.keys, self.policy = keys, settings.policy()
        return self.keys, self.policy


CONFIGURATION = _Configuration()
Step = Callable[[Legal, Sequence[Inbound[Any]], Policy], Awaitable[Handled]]


def _ports(conn: Connection) -> Legal:
    """Legal's PostgreSQL ports over the runtime's transaction (the keys read at start)."""
    keys, _ = CONFIGURATION.load()
    return legal_unit(conn, keys)


class _Bound:
    """A handler given the configured policy beside its ports."""

    def __init__(self, step: Step) -> None:
        self._step = step

    async def __call__(self, batch: Sequence[Inbound[Any]], legal: Legal) -> Handled:
        _, policy = CONFIGURATION.load()
        return await self._step(legal, batch, policy)


ACCOUNT_KEYS = AccountKeys()


async def _intake(legal: Legal, batch: Sequence[Inbound[Any]], _: Policy) -> Handled:
    return await store_identity_events(legal, batch, keys=ACCOUNT_KEYS)


async def _checks(legal: Legal, batch: Sequence[Inbound[Any]], policy: Policy) -> Handled:
    return await check_batch(legal, batch, policy=policy, now=datetime.now(UTC))


IDENTITY: ConsumerSpec[IdentityEvent, Legal] = ConsumerSpec(
    models={IDENTITY_EVENTS: IdentityEvent},
    handler=_Bound(_intake),
    ports=_ports,
    name="identity",
)
REQUESTS: ConsumerSpec[RequestReceived, Legal] = ConsumerSpec(
    models={LEGAL_REQUESTS: RequestReceived},
    handler=_Bound(_checks),
    ports=_ports,
    name="requests",
    produces=(LEGAL_DISCLOSURES,),
)


async def _load_configuration(_: ServiceContext) -> None:
    CONFIGURATION.load(again=True)


SPEC = Service(
    name="legal",
    consumers=(IDENTITY, REQUESTS),
    on_start=(_load_configuration,),
    http_app=build_portal,
    periodic=PERIODIC,
)
