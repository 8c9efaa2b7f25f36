"""Signed checkpoints: what the platform signs opens with its public key, and nothing else does."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.legal.core.checkpoint import (
    Checkpoint,
    CheckpointError,
    key_id,
    open_all,
    open_note,
    sign,
)

KEY = Ed25519PrivateKey.generate()
NAME = "crible.example/legal-audit"
POINT = Checkpoint(NAME, 42, hashlib.sha256(b"head").digest(), datetime(2026, 12, 6, 9, tzinfo=UTC))


def test_a_signed_checkpoint_opens_with_the_platforms_public_key() -> None:
    note = sign(POINT, key=KEY, name=NAME)
    assert open_note(note, public=KEY.public_key(), name=NAME) == POINT
    # The C2SP layout: origin, size, base64 head, an extension line; a blank line; signatures.
    lines = note.split("\n")
    assert lines[:4] == [
        NAME,
        "42",
        base64.b64encode(POINT.head).decode(),
        "time 2026-12-06T09:00:00Z",
    ]
    assert lines[4] == ""
    assert lines[5].startswith(f"\u2014 {NAME} ")


def test_the_key_id_is_the_signed_note_one() -> None:
    raw = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert (
        key_id(NAME, KEY.public_key())
        == hashlib.sha256(NAME.encode() + b"\n\x01" + raw).digest()[:4]
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda n: n.replace("\n42\n", "\n43\n", 1),  # a longer chain claimed
        lambda n: n.replace("\n42\n", "\n41\n", 1),  # a shorter one
        lambda n: n.replace("time 2026", "time 2027", 1),
        lambda n: n.split("\n\n")[0] + "\n\n",  # signature removed
        lambda n: n.replace("\n\n", "\n", 1),  # not a note
    ],
)
def test_a_changed_or_unsigned_checkpoint_is_refused(change: object) -> None:
    note = sign(POINT, key=KEY, name=NAME)
    with pytest.raises(CheckpointError):
        open_note(change(note), public=KEY.public_key(), name=NAME)  # type: ignore[operator]


def test_another_key_or_name_does_not_vouch_for_it() -> None:
    forged = sign(POINT, key=Ed25519PrivateKey.generate(), name=NAME)
    with pytest.raises(CheckpointError):
        open_note(forged, public=KEY.public_key(), name=NAME)
    with pytest.raises(CheckpointError):
        open_note(sign(POINT, key=KEY, name=NAME), public=KEY.public_key(), name="other")


def test_open_all_keeps_what_verifies_and_names_what_does_not() -> None:
    good = sign(POINT, key=KEY, name=NAME)
    later = sign(Checkpoint(NAME, 50, bytes(32), POINT.time), key=KEY, name=NAME)
    forged = sign(
        Checkpoint(NAME, 60, bytes(32), POINT.time), key=Ed25519PrivateKey.generate(), name=NAME
    )
    anchors = open_all([good, forged, later], public=KEY.public_key(), name=NAME)
    assert [c.size for c in anchors.verified] == [42, 50]
    assert anchors.newest is not None
    assert anchors.newest.size == 50
    assert len(anchors.refused) == 1
    assert "checkpoint 2 of 3" in anchors.refused[0]
