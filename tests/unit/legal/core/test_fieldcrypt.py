"""Personal data at rest: sealed per field, bound to its row, rotated, indexed blindly."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import SecretStr

from services.legal.core.fieldcrypt import (
    BlindIndex,
    DecryptionError,
    FieldCipher,
    FieldRef,
    KeyRing,
    KeyRingError,
    Sealed,
)

OLD, NEW = os.urandom(32), os.urandom(32)
PHONE = "+33612345678"
ROW_1 = FieldRef("accounts", "phone_number", "u1")
ROW_2 = FieldRef("accounts", "phone_number", "u2")


def secret(key: bytes) -> SecretStr:
    return SecretStr(base64.b64encode(key).decode())


def cipher(current: str = "k1") -> FieldCipher:
    return FieldCipher(KeyRing.from_config({"k1": secret(OLD), "k2": secret(NEW)}, current=current))


def test_a_field_round_trips_and_its_ciphertext_hides_it() -> None:
    sealed = cipher().encrypt_text(PHONE, ROW_1)
    assert sealed.key_id == "k1"
    assert PHONE.encode() not in sealed.ciphertext
    assert cipher().decrypt_text(sealed, ROW_1) == PHONE
    assert cipher().encrypt_text(PHONE, ROW_1) != sealed  # fresh nonce every time


def test_a_ciphertext_moved_to_another_row_or_column_does_not_open() -> None:
    sealed = cipher().encrypt_text(PHONE, ROW_1)
    with pytest.raises(DecryptionError):
        cipher().decrypt(sealed, ROW_2)
    with pytest.raises(DecryptionError):
        cipher().decrypt(sealed, FieldRef("accounts", "username", "u1"))


def test_a_tampered_ciphertext_or_relabelled_key_id_does_not_open() -> None:
    sealed = cipher().encrypt_text(PHONE, ROW_1)
    flipped = bytearray(sealed.ciphertext)
    flipped[-1] ^= 1
    with pytest.raises(DecryptionError):
        cipher().decrypt(Sealed("k1", bytes(flipped)), ROW_1)
    with pytest.raises(DecryptionError):
        cipher().decrypt(Sealed("k2", sealed.ciphertext), ROW_1)


def test_rotation_reseals_old_rows_under_the_current_key() -> None:
    old = cipher("k1").encrypt_text(PHONE, ROW_1)
    after = cipher("k2")
    assert after.decrypt_text(old, ROW_1) == PHONE  # old rows still readable
    rotated = after.rotate(old, ROW_1)
    assert rotated.key_id == "k2"
    assert after.rotate(rotated, ROW_1) is rotated  # nothing to do twice
    retired = FieldCipher(KeyRing.from_config({"k2": secret(NEW)}, current="k2"))
    assert retired.decrypt_text(rotated, ROW_1) == PHONE
    with pytest.raises(DecryptionError, match="no key 'k1'"):
        retired.decrypt(old, ROW_1)


def test_packing_keeps_the_key_id_with_the_ciphertext() -> None:
    sealed = cipher().encrypt_text(PHONE, ROW_1)
    assert Sealed.unpack(sealed.pack()) == sealed
    with pytest.raises(DecryptionError):
        Sealed.unpack(sealed.pack()[:20])


def test_bad_keys_are_refused_without_showing_them() -> None:
    short = base64.b64encode(b"x" * 16).decode()
    with pytest.raises(KeyRingError) as caught:
        KeyRing.from_config({"k1": SecretStr(short)}, current="k1")
    assert short not in str(caught.value)
    with pytest.raises(KeyRingError, match="not in the key ring"):
        KeyRing.from_config({"k1": secret(OLD)}, current="k9")
    assert OLD.hex() not in repr(KeyRing.from_config({"k1": secret(OLD)}, current="k1"))


def test_the_blind_index_finds_equal_numbers_and_depends_on_its_key() -> None:
    index = BlindIndex(secret(OLD))
    assert index.phone_number(PHONE) == BlindIndex(OLD).phone_number(PHONE)
    assert index.phone_number(PHONE) != index.phone_number("+33612345679")
    assert index.phone_number(PHONE) != BlindIndex(NEW).phone_number(PHONE)
    assert index.username("Jean") == index.username("jean")
    assert index.digest("username", PHONE) != index.phone_number(PHONE)  # kinds kept apart
    assert PHONE.encode() not in index.phone_number(PHONE)
