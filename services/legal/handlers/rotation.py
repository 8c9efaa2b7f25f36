"""Re-encrypting the store under the current keys, in small batches, while the service runs.

An account's identity fields still sealed under a configured key move to the account's own
data key (made if it has none); the account keys themselves, the requests, documents and
narrowing reasons are sealed again under the current configured key (for the account keys:
one re-wrap per account, not one re-encryption per field). Once nothing names an old key,
that key can leave the configuration.
"""

from __future__ import annotations

import functools

from services.legal import metrics
from services.legal.core.fieldcrypt import ACCOUNT_KEY, AccountKey, FieldCipher, FieldRef, Sealed
from services.legal.handlers.account_keys import AccountKeys
from services.legal.ports import Legal, RotationStore


async def rotate_batch(
    store: RotationStore, legal: Legal, cipher: FieldCipher, *, batch: int
) -> dict[str, int]:
    """Move up to ``batch`` rows per table to the key they belong under; rows moved, by table."""
    keys = AccountKeys(capacity=batch)
    moved: dict[str, int] = {}
    for table in store.tables:
        accounts: dict[str, AccountKey] = {}
        if store.by_account(table):
            accounts = await keys.for_users(legal, await store.accounts_due(table, limit=batch))
        count = await store.rotate(
            table,
            current=cipher.current_key_id,
            batch=batch,
            reseal=functools.partial(_reseal, cipher, accounts),
            accounts=sorted(accounts),
        )
        moved[table] = count
        metrics.ROWS_REKEYED.labels(table).inc(count)
    return moved


def _reseal(
    cipher: FieldCipher,
    accounts: dict[str, AccountKey],
    packed: bytes,
    where: FieldRef,
    owner: str,
) -> tuple[bytes, str]:
    """One field under the key it belongs under: its account's, or the current one."""
    sealed = Sealed.unpack(packed)
    if owner:
        plain = cipher.decrypt(sealed, where)
        return accounts[owner].encrypt(plain, where).pack(), ACCOUNT_KEY
    rotated = cipher.rotate(sealed, where)
    return rotated.pack(), rotated.key_id
