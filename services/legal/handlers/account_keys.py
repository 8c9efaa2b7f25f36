"""Each account's data key: unwrapped once per process, made for an account that has none.

Keys are read for a whole batch at once; a key another worker made first (two processes
after a rebalance) is the one kept and used. Unwrapped keys stay in memory (a bounded cache
checked against the stored wrapped key, so a key deleted by retention and made again is
never confused with the old one).
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterable

from services.legal.core.fieldcrypt import KEY_BYTES, AccountKey
from services.legal.ports import Legal


class AccountKeys:
    """Finds, makes and unwraps the data keys of the accounts a unit writes or reads."""

    def __init__(
        self, *, capacity: int = 50_000, random: Callable[[int], bytes] = os.urandom
    ) -> None:
        self._capacity = capacity
        self._random = random
        self._cache: OrderedDict[str, tuple[bytes, AccountKey]] = OrderedDict()

    async def for_users(
        self, legal: Legal, users: Iterable[str], *, create: bool = True
    ) -> dict[str, AccountKey]:
        """The data key of each of ``users`` (made where missing, unless ``create`` is off)."""
        wanted = sorted(set(users))
        wrapped = await legal.identity.account_keys(wanted)
        missing = [user for user in wanted if user not in wrapped]
        cipher = legal.keys.cipher()
        if missing and create:
            made = {
                user: AccountKey.wrap(self._random(KEY_BYTES), cipher=cipher, user=user)
                for user in missing
            }
            await legal.identity.add_account_keys(made)
            wrapped |= await legal.identity.account_keys(missing)
        found: dict[str, AccountKey] = {}
        for user, sealed in wrapped.items():
            packed = sealed.pack()
            cached = self._cache.get(user)
            if cached is not None and cached[0] == packed:
                self._cache.move_to_end(user)
                found[user] = cached[1]
                continue
            key = AccountKey.unwrap(sealed, cipher=cipher, user=user)
            self._cache[user] = (packed, key)
            if len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
            found[user] = key
        return found
