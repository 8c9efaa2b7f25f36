"""Re-encrypting the store under the current key, in small batches, while the service runs.

Each sealed field is opened with its old key and sealed again with the current one, bound to
the same place. Once no row names an old key, that key can leave the configuration.
"""

from __future__ import annotations

from services.legal import metrics
from services.legal.core.fieldcrypt import FieldCipher, FieldRef, Sealed
from services.legal.ports import RotationStore


async def rotate_batch(store: RotationStore, cipher: FieldCipher, *, batch: int) -> dict[str, int]:
    """Move up to ``batch`` rows per table to the current key; rows moved, by table."""

    def reseal(packed: bytes, where: FieldRef) -> bytes:
        return cipher.rotate(Sealed.unpack(packed), where).pack()

    moved: dict[str, int] = {}
    for table in store.tables:
        count = await store.rotate(table, current=cipher.current_key_id, batch=batch, reseal=reseal)
        moved[table] = count
        metrics.ROWS_REKEYED.labels(table).inc(count)
    return moved
