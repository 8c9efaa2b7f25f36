"""The identity consumer: each event sealed and stored (``identity.changes_for``, ``store``).

Invalid events never reach here: ``IdentityEvent`` validates and normalises phone numbers
(E.164) and IP addresses, and the runtime dead-letters a failing one with a reason naming
the field, never its value, and without its payload (``identity.events`` carries personal
data: see ``shared.runtime.deadletter``).
"""

from __future__ import annotations

from collections.abc import Sequence

from services.legal import metrics
from services.legal.adapters.postgres.identity_store import apply
from services.legal.config import LegalSettings
from services.legal.core.fieldcrypt import BlindIndex, FieldCipher
from services.legal.core.identity import changes_for
from shared.db import Connection
from shared.events.identity import IdentityEvent
from shared.runtime import Handled, Inbound


class IdentityIntake:
    """The batch handler, with the cipher and index built from configuration at start-up."""

    def __init__(self) -> None:
        self._keys: tuple[FieldCipher, BlindIndex] | None = None

    def load_keys(self) -> None:
        """Read the keys (at each start: a new current key takes effect on restart).

        A missing or malformed key stops the service at start-up, before it consumes.
        """
        settings = LegalSettings()  # from the environment
        self._keys = settings.cipher(), settings.blind_index()

    async def __call__(self, batch: Sequence[Inbound[IdentityEvent]], conn: Connection) -> Handled:
        """Seal and store each event, in order (one user's events share a partition)."""
        if self._keys is None:
            self.load_keys()
        assert self._keys is not None  # noqa: S101 - loaded just above
        cipher, index = self._keys
        kinds: list[str] = []
        for inbound in batch:
            event = inbound.event.root
            await apply(conn, changes_for(event, cipher=cipher, index=index))
            kinds.append(event.event_type.value)

        def count() -> None:
            for kind in kinds:
                metrics.IDENTITY_EVENTS.labels(kind).inc()

        return Handled((), after_commit=count)
