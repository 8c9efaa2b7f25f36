"""Units of work for the routes and jobs: the ports over one transaction, events out after it.

Keys and policy are read from configuration on first use (a missing key already stopped the
service at start: its consumers load them), so the OpenAPI export needs none.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from services.legal.adapters.postgres import legal_unit
from services.legal.config import ConfiguredKeys, LegalSettings
from services.legal.core.policy import Policy
from services.legal.ports import Legal
from shared.db import Connection
from shared.runtime.contract import Handled
from shared.runtime.outbox import Outbox


class Units:
    """Opens units of work (HTTP routes, scheduled jobs) over the pool and outbox."""

    def __init__(self, pool: asyncpg.Pool, outbox: Outbox) -> None:
        self.pool = pool
        self._outbox = outbox

    @functools.cached_property
    def settings(self) -> LegalSettings:
        """Legal's configuration, read once."""
        return LegalSettings()

    @functools.cached_property
    def keys(self) -> ConfiguredKeys:
        """The keys, decoded once."""
        return self.settings.keys()

    @functools.cached_property
    def policy(self) -> Policy:
        """Retention, deadlines, link lifetime, notice delays."""
        return self.settings.policy()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[tuple[Legal, Connection]]:
        """A unit over one transaction, and its connection (to authenticate the caller).

        Once it commits its counts are taken and its events go out.
        """
        async with self._outbox.transaction() as tx:
            legal = legal_unit(tx.conn, self.keys)
            yield legal, tx.conn

            def counted() -> None:
                for count in legal.after_commit:
                    count()

            tx.keep(Handled(legal.events, after_commit=counted))
