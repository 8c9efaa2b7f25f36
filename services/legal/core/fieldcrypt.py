"""Encryption of personal data at rest: AES-256-GCM, envelope keys, rotation, a blind index.

Every ciphertext names the key that sealed it, so keys rotate without a flag day: old rows
decrypt with their key, :meth:`FieldCipher.rotate` re-seals them under the current one. The
associated data binds a ciphertext to its table, column and row: copied into another row or
column, it no longer decrypts. Keys are given by the caller (configuration, as ``SecretStr``),
never read from code; no error message ever holds a key or a plaintext.

An account's identity data (username, phone numbers, sessions) is sealed with a data key of
its own (:class:`AccountKey`, envelope encryption), kept wrapped by the configured keys
(a sealed field like any other): opening a year of sessions unwraps one key instead of
deriving one per field, rotating the configured keys re-wraps one key per account instead
of re-encrypting every row, and deleting an account's data key makes whatever is left of
its data (a backup) unreadable. Fields sealed before carry their configured key's id and
still open; ``crible legal rotate-key`` moves them to their account's key.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

KEY_BYTES = 32  # AES-256
SALT_BYTES = 16
NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
_FORMAT = 1


class KeyRingError(Exception):
    """A key ring that cannot be used (wrong size, unknown id); never names the key bytes."""


class DecryptionError(Exception):
    """A ciphertext that does not open: wrong key, wrong row or column, or tampered."""


def _key_bytes(key_id: str, key: SecretStr | bytes) -> bytes:
    if isinstance(key, SecretStr):
        try:
            raw = base64.b64decode(key.get_secret_value(), validate=True)
        except (binascii.Error, ValueError):
            raise KeyRingError(f"key {key_id!r} is not base64") from None
    else:
        raw = bytes(key)
    if len(raw) != KEY_BYTES:
        raise KeyRingError(f"key {key_id!r} must be {KEY_BYTES} bytes")
    return raw


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The field keys by id, and the one new ciphertexts use."""

    keys: Mapping[str, bytes]
    current: str

    def __post_init__(self) -> None:
        for key_id, key in self.keys.items():
            if _KEY_ID.fullmatch(key_id) is None:
                raise KeyRingError("key ids are 1-32 letters, digits, '_', '.', '-'")
            if len(key) != KEY_BYTES:
                raise KeyRingError(f"key {key_id!r} must be {KEY_BYTES} bytes")
        if self.current not in self.keys:
            raise KeyRingError(f"the current key {self.current!r} is not in the key ring")

    def __repr__(self) -> str:
        return f"KeyRing(ids={sorted(self.keys)}, current={self.current!r})"

    @classmethod
    def from_config(cls, keys: Mapping[str, SecretStr | bytes], *, current: str) -> KeyRing:
        """A key ring from configuration: id to a base64 ``SecretStr`` (or raw bytes)."""
        return cls({key_id: _key_bytes(key_id, key) for key_id, key in keys.items()}, current)


#: The key id of a field sealed with its account's data key (stored in ``key_id`` columns).
ACCOUNT_KEY = "@account"
_ACCOUNT_FORMAT = 2
_TAG_BYTES = 16


@dataclass(frozen=True, slots=True)
class Sealed:
    """A field's ciphertext and the id of the key that sealed it (stored side by side)."""

    key_id: str
    #: salt || nonce || AES-GCM ciphertext and tag; under an account key, nonce || rest.
    ciphertext: bytes

    def pack(self) -> bytes:
        """One self-describing value: format byte, key id length and id, ciphertext."""
        if self.key_id == ACCOUNT_KEY:
            return bytes((_ACCOUNT_FORMAT,)) + self.ciphertext
        key_id = self.key_id.encode()
        return bytes((_FORMAT, len(key_id))) + key_id + self.ciphertext

    @classmethod
    def unpack(cls, packed: bytes) -> Sealed:
        """The inverse of :meth:`pack`."""
        if len(packed) >= 1 + NONCE_BYTES + _TAG_BYTES and packed[0] == _ACCOUNT_FORMAT:
            return cls(ACCOUNT_KEY, packed[1:])
        if len(packed) < 2 or packed[0] != _FORMAT:
            raise DecryptionError("not a sealed field")
        end = 2 + packed[1]
        if len(packed) < end + SALT_BYTES + NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError("sealed field is truncated")
        return cls(packed[2:end].decode(), packed[end:])


@dataclass(frozen=True, slots=True)
class FieldRef:
    """Where a value lives: the associated data that binds its ciphertext there."""

    table: str
    column: str
    row_id: str

    def associated_data(self, key_id: str) -> bytes:
        """Length-prefixed, so no two different places encode alike."""
        return _place_prefix(self.table, self.column) + _framed(self.row_id) + _framed(key_id)


def _framed(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


@functools.lru_cache(maxsize=256)
def _place_prefix(table: str, column: str) -> bytes:
    # Built once per column: this runs for every field of every row read or written.
    return _framed("crible-field-v1") + _framed(table) + _framed(column)


class FieldCipher:
    """Seals and opens fields with a :class:`KeyRing`.

    Each field is sealed under its own AES-256 key, HMAC-SHA-256(ring key, random salt):
    random 96-bit GCM nonces under one key are safe for only 2**32 seals (NIST SP 800-38D),
    which a busy store would reach within weeks; fresh per-field keys lift that bound.
    """

    def __init__(self, ring: KeyRing, *, random: Callable[[int], bytes] = os.urandom) -> None:
        self._ring = ring
        self._random = random

    def _aead(self, key_id: str, salt: bytes) -> AESGCM:
        if key_id == ACCOUNT_KEY:
            raise DecryptionError("sealed with its account's key: open it with that key")
        key = self._ring.keys.get(key_id)
        if key is None:
            raise DecryptionError(f"no key {key_id!r} in the key ring")
        return AESGCM(hmac.digest(key, b"crible-field-key\x00" + salt, "sha256"))

    @property
    def current_key_id(self) -> str:
        """The key new ciphertexts use; rows under any other key are due for rotation."""
        return self._ring.current

    def encrypt(self, plaintext: bytes, where: FieldRef) -> Sealed:
        """Seal ``plaintext`` for one table, column and row, under the current key."""
        key_id = self._ring.current
        salt, nonce = self._random(SALT_BYTES), self._random(NONCE_BYTES)
        aead = self._aead(key_id, salt)
        return Sealed(
            key_id, salt + nonce + aead.encrypt(nonce, plaintext, where.associated_data(key_id))
        )

    def decrypt(self, sealed: Sealed, where: FieldRef) -> bytes:
        """Open a field sealed for exactly this place, with the key its id names."""
        blob = sealed.ciphertext
        salt, nonce = blob[:SALT_BYTES], blob[SALT_BYTES : SALT_BYTES + NONCE_BYTES]
        aead = self._aead(sealed.key_id, salt)
        try:
            return aead.decrypt(
                nonce, blob[SALT_BYTES + NONCE_BYTES :], where.associated_data(sealed.key_id)
            )
        except InvalidTag:
            raise DecryptionError("field does not open here: other row, column or key") from None

    def encrypt_text(self, plaintext: str, where: FieldRef) -> Sealed:
        """:meth:`encrypt` for text."""
        return self.encrypt(plaintext.encode(), where)

    def decrypt_text(self, sealed: Sealed, where: FieldRef) -> str:
        """:meth:`decrypt` for text."""
        return self.decrypt(sealed, where).decode()

    def rotate(self, sealed: Sealed, where: FieldRef) -> Sealed:
        """The field sealed under the current key (unchanged if it already is)."""
        if sealed.key_id == self._ring.current:
            return sealed
        return self.encrypt(self.decrypt(sealed, where), where)


class AccountKey:
    """An account's data key: seals and opens that account's identity fields.

    One AES-256-GCM key per account, random 96-bit nonces: an account never comes near the
    2**32 seals per key NIST SP 800-38D allows. It is stored only wrapped (:meth:`wrap`).
    """

    __slots__ = ("_aead", "_random")

    def __init__(self, key: bytes, *, random: Callable[[int], bytes] = os.urandom) -> None:
        if len(key) != KEY_BYTES:
            raise KeyRingError(f"an account key is {KEY_BYTES} bytes")
        self._aead = AESGCM(key)
        self._random = random

    def __repr__(self) -> str:
        return "AccountKey(<hidden>)"

    @staticmethod
    def wrap(key: bytes, *, cipher: FieldCipher, user: str) -> Sealed:
        """``key`` sealed by the configured keys, for ``legal.account_keys``."""
        return cipher.encrypt(key, FieldRef(ACCOUNT_KEYS, "data_key", user))

    @classmethod
    def unwrap(cls, wrapped: Sealed, *, cipher: FieldCipher, user: str) -> AccountKey:
        """The account key ``wrap`` sealed for ``user``."""
        return cls(cipher.decrypt(wrapped, FieldRef(ACCOUNT_KEYS, "data_key", user)))

    def encrypt(self, plaintext: bytes, where: FieldRef) -> Sealed:
        """Seal ``plaintext`` for one table, column and row of this account."""
        nonce = self._random(NONCE_BYTES)
        ciphertext = self._aead.encrypt(nonce, plaintext, where.associated_data(ACCOUNT_KEY))
        return Sealed(ACCOUNT_KEY, nonce + ciphertext)

    def decrypt(self, sealed: Sealed, where: FieldRef) -> bytes:
        """Open a field this account key sealed for exactly this place."""
        blob = sealed.ciphertext
        try:
            return self._aead.decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], where.associated_data(ACCOUNT_KEY)
            )
        except InvalidTag:
            raise DecryptionError(
                "field does not open here: other account, row or column"
            ) from None


#: The table of wrapped account keys (their sealed values are bound to it).
ACCOUNT_KEYS = "account_keys"


class FieldOpener:
    """Opens an account's fields, whichever key sealed them (its own, or a configured one)."""

    __slots__ = ("_account", "_cipher")

    def __init__(self, cipher: FieldCipher, account: AccountKey | None) -> None:
        self._cipher = cipher
        self._account = account

    def decrypt(self, sealed: Sealed, where: FieldRef) -> bytes:
        """The field's plaintext."""
        if sealed.key_id == ACCOUNT_KEY:
            if self._account is None:
                raise DecryptionError("the account has no data key: its fields cannot open")
            return self._account.decrypt(sealed, where)
        return self._cipher.decrypt(sealed, where)

    def decrypt_text(self, sealed: Sealed, where: FieldRef) -> str:
        """:meth:`decrypt` for text."""
        return self.decrypt(sealed, where).decode()

    def column(self, table: str, column: str) -> Callable[[bytes, str], bytes]:
        """Opens packed fields of one column, by row id: the fast path for many rows.

        The associated data is built from the column's prefix, made once, and the row id
        (what :meth:`FieldRef.associated_data` makes, without an object per row).
        """
        prefix, suffix = _place_prefix(table, column), _framed(ACCOUNT_KEY)
        account = None if self._account is None else self._account._aead
        slow = self.decrypt

        def open_packed(packed: bytes, row_id: str) -> bytes:
            if account is not None and packed[:1] == _ACCOUNT_BYTE:
                rid = row_id.encode()
                aad = prefix + len(rid).to_bytes(2, "big") + rid + suffix
                try:
                    return account.decrypt(packed[1:_ACCOUNT_BODY], packed[_ACCOUNT_BODY:], aad)
                except InvalidTag:
                    raise DecryptionError("field does not open here") from None
            return slow(Sealed.unpack(packed), FieldRef(table, column, row_id))

        return open_packed


_ACCOUNT_BYTE = bytes((_ACCOUNT_FORMAT,))
_ACCOUNT_BODY = 1 + NONCE_BYTES  # where the ciphertext starts in a packed account field


class BlindIndex:
    """A keyed HMAC-SHA-256 of a normalised value: equal values give equal digests.

    Without the key, a digest reveals nothing, and cannot be confirmed by hashing every
    possible phone number (which a plain hash would allow: there are only about 10**10).
    """

    def __init__(self, key: SecretStr | bytes) -> None:
        self._key = _key_bytes("index", key)

    def __repr__(self) -> str:
        return "BlindIndex(<key hidden>)"

    def digest(self, kind: str, normalised: str) -> bytes:
        """The index of ``normalised`` (E.164, lower-case username...), ``kind`` separating."""
        message = kind.encode() + b"\x00" + normalised.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def phone_number(self, e164: str) -> bytes:
        """The index of a phone number already in E.164."""
        return self.digest("phone_number", e164)

    def username(self, username: str) -> bytes:
        """The index of a username (case-insensitive)."""
        return self.digest("username", username.lower())
