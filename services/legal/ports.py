"""What the legal core needs from storage, as interfaces."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class NonceStorePort(Protocol):
    """Nonces already used by each authority, remembered until their signature expires."""

    async def claim(self, authority_id: str, nonce: str, *, expires_at: datetime) -> bool:
        """Record ``nonce`` for the authority; False if it was already recorded (a replay)."""
        ...
