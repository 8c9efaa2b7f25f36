"""The tamper-evident audit chain of legal requests: each entry carries its predecessor's hash.

An entry's hash is an HMAC-SHA-256, under an audit key that configuration holds and the
database never sees, of a label and the canonical JSON of its fields (sorted keys, no spaces,
ASCII, times in UTC to the microsecond), its key's id and its predecessor's hash among them:
changing, removing or moving any entry breaks the chain from there on, and whoever can write
the table but lacks the key cannot recompute it. (Entries written before the chain was keyed
carry no key id and a plain SHA-256; the first keyed entry seals them.) :func:`verify_chain`
recomputes it and names the first broken entry and how it broke. Removing the newest entries
leaves a valid shorter chain, and a writer who holds the key can recompute everything: signed
checkpoints kept outside the database catch both (``core/checkpoint.py``).

Details hold codes, ids, counts and dates, never personal data: :func:`append` refuses
values that look like a phone number or an IP address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from services.legal.core.fieldcrypt import KeyRing

GENESIS = bytes(32)  # the "previous hash" of the first entry
_LABEL = b"crible-audit-v1\n"  # entries written before the chain was keyed
_KEYED_LABEL = b"crible-audit-v2\n"
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TEXT = re.compile(r"^[A-Za-z0-9_.:/()+\- ]{0,200}$")
_PHONE_LIKE = re.compile(r"\+?[0-9 ().\-]*")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INTERNATIONAL_INSIDE = re.compile(r"\+[0-9][0-9 ().\-]{5,}")
_IPV4_INSIDE = re.compile(r"(?<![0-9.])[0-9]{1,3}(\.[0-9]{1,3}){3}(?![0-9.])")

DetailValue = str | int | bool | None


class AuditStep(StrEnum):
    """What happened to a request (or, without one, to the store)."""

    RECEIVED = "received"
    DOCUMENT_READ = "document_read"
    SIGNATURE_VERIFIED = "signature_verified"
    SIGNATURE_REFUSED = "signature_refused"
    CHECKS_PASSED = "checks_passed"
    CHECKS_REFUSED = "checks_refused"
    NARROWED = "narrowed"
    REVIEWED = "reviewed"
    APPROVED = "approved"
    APPROVAL_REFUSED = "approval_refused"
    #: An officer refused an open request (its code; the explanation's hash, never its text).
    REFUSED = "refused"
    PACKAGE_BUILT = "package_built"
    DOWNLOADED = "downloaded"
    DOWNLOAD_REFUSED = "download_refused"
    LINK_EXPIRED = "link_expired"
    # Part 2: preservation, notification, retention.
    PRESERVATION_STARTED = "preservation_started"
    PRESERVATION_EXTENDED = "preservation_extended"
    PRESERVATION_ENDED = "preservation_ended"
    USER_NOTIFIED = "user_notified"
    NOTICE_DELAYED = "notice_delayed"
    RETENTION_RUN = "retention_run"
    CHAIN_VERIFIED = "chain_verified"
    OFFICER_REGISTERED = "officer_registered"
    AUTHORITY_REGISTERED = "authority_registered"
    REGISTRATION_ACKNOWLEDGED = "registration_acknowledged"
    AUTHORITY_DEACTIVATED = "authority_deactivated"
    #: An officer opened a console session with their token (the session's fingerprint).
    OFFICER_SIGNED_IN = "officer_signed_in"


class AuditDetailError(ValueError):
    """A detail the audit chain must not hold (the message never quotes the value)."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One link of the chain, as stored."""

    sequence: int
    recorded_at: datetime
    request_id: str | None
    step: AuditStep
    actor: str
    details: tuple[tuple[str, DetailValue], ...]  # sorted by key
    previous_hash: bytes
    entry_hash: bytes
    #: The audit key the entry's hash is keyed with (None: written before keying).
    key_id: str | None = None

    def computed_hash(self, keys: Mapping[str, bytes]) -> bytes:
        """The hash the entry's content gives under ``keys``, to compare with ``entry_hash``.

        Raises :class:`MissingAuditKeyError` if the entry's key is not among them.
        """
        return hash_entry(
            sequence=self.sequence,
            recorded_at=self.recorded_at,
            request_id=self.request_id,
            step=self.step,
            actor=self.actor,
            details=self.details,
            previous_hash=self.previous_hash,
            key_id=self.key_id,
            keys=keys,
        )


class MissingAuditKeyError(LookupError):
    """An entry keyed with an audit key the verifier was not given."""


def canonical(
    *,
    sequence: int,
    recorded_at: datetime,
    request_id: str | None,
    step: AuditStep,
    actor: str,
    details: Sequence[tuple[str, DetailValue]],
    previous_hash: bytes,
    key_id: str | None = None,
) -> bytes:
    """The exact bytes an entry's hash covers."""
    if recorded_at.utcoffset() is None:
        raise ValueError("audit times need a time zone")
    document: dict[str, object] = {
        "sequence": sequence,
        "recorded_at": recorded_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "request_id": request_id,
        "step": step.value,
        "actor": actor,
        "details": dict(details),
        "previous_hash": previous_hash.hex(),
    }
    if key_id is not None:
        document["key_id"] = key_id
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def hash_entry(
    *,
    sequence: int,
    recorded_at: datetime,
    request_id: str | None,
    step: AuditStep,
    actor: str,
    details: Sequence[tuple[str, DetailValue]],
    previous_hash: bytes,
    key_id: str | None,
    keys: Mapping[str, bytes],
) -> bytes:
    """HMAC-SHA-256 under the key ``key_id`` names (SHA-256 for an entry with no key)."""
    encoded = canonical(
        sequence=sequence,
        recorded_at=recorded_at,
        request_id=request_id,
        step=step,
        actor=actor,
        details=details,
        previous_hash=previous_hash,
        key_id=key_id,
    )
    if key_id is None:
        return hashlib.sha256(_LABEL + encoded).digest()
    key = keys.get(key_id)
    if key is None:
        raise MissingAuditKeyError(f"no audit key {key_id!r} was given to check entry {sequence}")
    return hmac.digest(key, _KEYED_LABEL + encoded, "sha256")


def append(
    previous: AuditEntry | None,
    *,
    ring: KeyRing,
    recorded_at: datetime,
    request_id: str | None,
    step: AuditStep,
    actor: str,
    details: Mapping[str, DetailValue] | None = None,
) -> AuditEntry:
    """The entry that follows ``previous`` (``None``: the first), keyed with ``ring``'s key."""
    checked = tuple(sorted(_checked(details or {}).items()))
    sequence = 1 if previous is None else previous.sequence + 1
    previous_hash = GENESIS if previous is None else previous.entry_hash
    return AuditEntry(
        sequence=sequence,
        recorded_at=recorded_at,
        request_id=request_id,
        step=step,
        actor=actor,
        details=checked,
        previous_hash=previous_hash,
        entry_hash=hash_entry(
            sequence=sequence,
            recorded_at=recorded_at,
            request_id=request_id,
            step=step,
            actor=actor,
            details=checked,
            previous_hash=previous_hash,
            key_id=ring.current,
            keys=ring.keys,
        ),
        key_id=ring.current,
    )


def _checked(details: Mapping[str, DetailValue]) -> dict[str, DetailValue]:
    for key, value in details.items():
        if _KEY.fullmatch(key) is None:
            raise AuditDetailError("detail keys are lower-case identifiers")
        if value is None or isinstance(value, bool | int):
            continue
        if _TEXT.fullmatch(value) is None:
            raise AuditDetailError(f"detail {key!r} holds characters codes and ids never have")
        if _looks_personal(value):
            raise AuditDetailError(f"detail {key!r} looks like a phone number or an IP address")
    return dict(details)


def _looks_personal(value: str) -> bool:
    digits = sum(c.isdigit() for c in value)
    if _PHONE_LIKE.fullmatch(value) and digits >= 7 and not _DATE.fullmatch(value):
        return True
    if _IPV4_INSIDE.search(value) or _INTERNATIONAL_INSIDE.search(value):
        return True
    for word in value.split():
        try:
            ipaddress.ip_address(word.strip("()"))
        except ValueError:
            continue
        return True
    return False


class BreakKind(StrEnum):
    """How the chain was broken."""

    MODIFIED = "modified"
    """The entry's content no longer gives its hash, or it was rewritten with a new hash
    while its successor still links to the original."""
    DELETED = "deleted"
    """An entry is missing (a gap in sequence, or fewer entries than the recorded head)."""
    REORDERED = "reordered"
    """Entries are out of their order."""
    UNVERIFIABLE = "unverifiable"
    """An entry is keyed with an audit key the verifier does not hold."""


@dataclass(frozen=True, slots=True)
class ChainVerdict:
    """The outcome of a verification: intact, or the first broken entry and how."""

    entries_checked: int
    broken_at: int | None = None  # the sequence number of the first broken entry
    kind: BreakKind | None = None
    detail: str = ""

    @property
    def intact(self) -> bool:
        """Whether the whole chain verified."""
        return self.broken_at is None


def verify_chain(
    entries: Sequence[AuditEntry],
    *,
    keys: Mapping[str, bytes],
    after: tuple[int, bytes] | None = None,
    anchors: Sequence[tuple[int, bytes]] = (),
) -> ChainVerdict:
    """Recompute the chain over ``entries`` in the order they were read, with the audit keys.

    ``after`` is the (sequence, hash) of the entry just before the first one given, when
    verifying a segment (default: the chain's start). ``anchors`` are (size, head) pairs held
    outside the database (verified checkpoints): the entry at each size must still have that
    hash, which catches the newest entries removed and a chain recomputed with the key.
    """
    expected_sequence, previous_hash = (1, GENESIS) if after is None else (after[0] + 1, after[1])
    keyed = False
    for position, entry in enumerate(entries):
        broken = _broken(entries, position, expected_sequence, previous_hash, keys, keyed=keyed)
        if broken is not None:
            return broken
        keyed = keyed or entry.key_id is not None
        previous_hash = entry.entry_hash
        expected_sequence += 1
    return _unanchored(entries, anchors) or ChainVerdict(len(entries))


def _broken(
    entries: Sequence[AuditEntry],
    position: int,
    expected_sequence: int,
    previous_hash: bytes,
    keys: Mapping[str, bytes],
    *,
    keyed: bool,
) -> ChainVerdict | None:
    """What is wrong with the entry at ``position``, if anything."""
    entry = entries[position]
    if entry.sequence != expected_sequence:
        return _out_of_sequence(entries, position, expected_sequence)
    if keyed and entry.key_id is None:
        # Once keyed, always keyed: an unkeyed entry after a keyed one was forged.
        return ChainVerdict(
            position, entry.sequence, BreakKind.MODIFIED, "an unkeyed entry after keyed ones"
        )
    try:
        computed = entry.computed_hash(keys)
    except MissingAuditKeyError as error:
        return ChainVerdict(position, entry.sequence, BreakKind.UNVERIFIABLE, str(error))
    if not hmac.compare_digest(computed, entry.entry_hash):
        return ChainVerdict(
            position, entry.sequence, BreakKind.MODIFIED, "content does not match its hash"
        )
    if entry.previous_hash != previous_hash:
        return _unlinked(entries, position, previous_hash)
    return None


def _unanchored(
    entries: Sequence[AuditEntry], anchors: Sequence[tuple[int, bytes]]
) -> ChainVerdict | None:
    """The first anchor the (otherwise sound) chain no longer agrees with."""
    by_sequence = {e.sequence: e.entry_hash for e in entries}
    last = entries[-1].sequence if entries else 0
    agreed = 0
    for size, head in sorted(anchors):
        if size > last:
            return ChainVerdict(
                len(entries),
                last + 1,
                BreakKind.DELETED,
                f"entries {last + 1} to {size} are missing: a checkpoint counted {size}",
            )
        if size and not hmac.compare_digest(by_sequence.get(size, b""), head):
            return ChainVerdict(
                len(entries),
                agreed + 1,
                BreakKind.MODIFIED,
                f"an entry from {agreed + 1} to {size} was rewritten and the chain recomputed: "
                f"entry {size} is not the one a checkpoint signed",
            )
        agreed = size
    return None


def _out_of_sequence(
    entries: Sequence[AuditEntry], position: int, expected_sequence: int
) -> ChainVerdict:
    entry = entries[position]
    later = {e.sequence for e in entries[position + 1 :]}
    if entry.sequence < expected_sequence or expected_sequence in later:
        return ChainVerdict(
            position,
            entry.sequence,
            BreakKind.REORDERED,
            f"entry {entry.sequence} found where entry {expected_sequence} belongs",
        )
    return ChainVerdict(
        position,
        expected_sequence,
        BreakKind.DELETED,
        f"entry {expected_sequence} is missing (next found: {entry.sequence})",
    )


def _unlinked(entries: Sequence[AuditEntry], position: int, previous_hash: bytes) -> ChainVerdict:
    """An entry whose own hash holds but that does not link to the one read before it."""
    entry = entries[position]
    # If a later entry links to the entry read before this one, entries were moved;
    # if none does, that entry was rewritten with a recomputed hash.
    moved = any(e.previous_hash == previous_hash for e in entries[position + 1 :])
    moved = moved or any(e.entry_hash == entry.previous_hash for e in entries)
    if moved:
        return ChainVerdict(
            position,
            entry.sequence,
            BreakKind.REORDERED,
            f"entry {entry.sequence} is not the one that followed entry {entry.sequence - 1}",
        )
    return ChainVerdict(
        position,
        entry.sequence - 1,
        BreakKind.MODIFIED,
        f"entry {entry.sequence - 1} was rewritten: entry {entry.sequence} links to "
        "another version of it",
    )
