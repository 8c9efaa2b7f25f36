"""Signed checkpoints of the audit chain: its size and head, anchored outside the database.

The format is the C2SP ``tlog-checkpoint`` body in a ``signed-note`` (the signed tree heads
of Certificate Transparency, RFC 9162, are the model): an origin line naming the log, the
number of entries, the head's hash in base64 (here the hash of the last entry of the chain,
not a Merkle root), an extension line with the time, then a blank line and one signature
line per signer: an em dash, the key's name, and base64 of the key's 4-byte id followed by
the Ed25519 signature of the body. Checkpoints go to a retained topic and to files an
auditor keeps: a chain that was cut short, or rewritten and recomputed by someone holding
the audit key, no longer matches a checkpoint signed before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

_DASH = "\u2014"
_ED25519 = b"\x01"  # the signed-note algorithm byte for Ed25519
#: What an origin or a key name may hold (no spaces, no plus: the note's grammar).
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:")


class CheckpointError(ValueError):
    """A note that is no checkpoint, or whose signature does not verify."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain as it stood: ``size`` entries, the last one's hash ``head``, at ``time``."""

    origin: str
    size: int
    head: bytes
    time: datetime

    def body(self) -> str:
        """The note's text that the signature covers."""
        moment = self.time.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        head = base64.b64encode(self.head).decode()
        return f"{self.origin}\n{self.size}\n{head}\ntime {moment}\n"


def key_id(name: str, public: Ed25519PublicKey) -> bytes:
    """The signed-note key id: the first 4 bytes of SHA-256(name, newline, 0x01, key)."""
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + raw).digest()[:4]


def _valid_name(name: str) -> str:
    if not name or not set(name) <= _NAME_CHARS:
        raise CheckpointError("an origin or key name is letters, digits and . _ - / : only")
    return name


def sign(checkpoint: Checkpoint, *, key: Ed25519PrivateKey, name: str) -> str:
    """The checkpoint as a signed note, by ``key`` under the key name ``name``."""
    _valid_name(checkpoint.origin)
    body = checkpoint.body()
    signature = key.sign(body.encode())
    blob = base64.b64encode(key_id(_valid_name(name), key.public_key()) + signature).decode()
    return f"{body}\n{_DASH} {name} {blob}\n"


def open_note(note: str, *, public: Ed25519PublicKey, name: str) -> Checkpoint:
    """The checkpoint a signed note holds, once ``public`` (named ``name``) verified it."""
    body, separator, signatures = note.partition("\n\n")
    if not separator:
        raise CheckpointError("a signed note has a blank line before its signatures")
    body += "\n"
    wanted = key_id(name, public)
    for line in signatures.splitlines():
        dash, _, rest = line.partition(" ")
        signer, _, encoded = rest.partition(" ")
        if dash != _DASH or signer != name:
            continue
        try:
            blob = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise CheckpointError("a signature line is not base64") from None
        if blob[:4] != wanted:
            continue
        try:
            public.verify(blob[4:], body.encode())
        except InvalidSignature:
            raise CheckpointError("the checkpoint's signature does not verify") from None
        return _parse(body)
    raise CheckpointError(f"the checkpoint has no signature by {name}")


def _parse(body: str) -> Checkpoint:
    lines = body.removesuffix("\n").split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint has an origin, a size and a head")
    origin, size, head = lines[:3]
    try:
        count = int(size)
        digest = base64.b64decode(head, validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError("a checkpoint's size or head is malformed") from None
    if count < 0 or str(count) != size or len(digest) != hashlib.sha256().digest_size:
        raise CheckpointError("a checkpoint's size or head is malformed")
    times = [line.removeprefix("time ") for line in lines[3:] if line.startswith("time ")]
    if len(times) != 1:
        raise CheckpointError("a checkpoint carries one time")
    try:
        moment = datetime.fromisoformat(times[0].replace("Z", "+00:00"))
    except ValueError:
        raise CheckpointError("a checkpoint's time is malformed") from None
    return Checkpoint(_valid_name(origin), count, digest, moment)


@dataclass(frozen=True, slots=True)
class Anchors:
    """The checkpoints read from outside: those that verified, and why others did not."""

    verified: tuple[Checkpoint, ...]
    refused: tuple[str, ...]

    @property
    def newest(self) -> Checkpoint | None:
        """The checkpoint of the longest chain."""
        return max(self.verified, key=lambda c: c.size, default=None)

    def pairs(self) -> list[tuple[int, bytes]]:
        """(size, head) of every verified checkpoint, for ``verify_chain``'s anchors."""
        return [(c.size, c.head) for c in self.verified]


def open_all(notes: list[str], *, public: Ed25519PublicKey, name: str) -> Anchors:
    """Every note opened; one whose signature or form fails is named, never trusted."""
    verified: list[Checkpoint] = []
    refused: list[str] = []
    for number, note in enumerate(notes, start=1):
        try:
            verified.append(open_note(note, public=public, name=name))
        except CheckpointError as error:
            refused.append(f"checkpoint {number} of {len(notes)}: {error}")
    return Anchors(tuple(verified), tuple(refused))
