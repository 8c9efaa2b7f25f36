"""The audit chain detects a modified, a deleted and a reordered entry, and names it.

Keyed: a writer without the audit key cannot recompute it. Anchored: a writer who holds the
key, or who cuts the newest entries, is caught by the signed checkpoints kept outside.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.legal.core.audit import (
    GENESIS,
    AuditDetailError,
    AuditEntry,
    AuditStep,
    BreakKind,
    DetailValue,
    MissingAuditKeyError,
    append,
    hash_entry,
    verify_chain,
)
from services.legal.core.fieldcrypt import KeyRing

RING = KeyRing({"a1": b"k" * 32}, "a1")
KEYS = RING.keys
#: What someone who can write the table but not read the configuration would guess.
GUESSED = {"a1": b"g" * 32}
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
STEPS: list[tuple[AuditStep, str, dict[str, DetailValue]]] = [
    (AuditStep.RECEIVED, "portal", {"instrument": "eu_epoc"}),
    (AuditStep.SIGNATURE_VERIFIED, "portal", {"authority_id": "fr-parquet-paris"}),
    (AuditStep.CHECKS_PASSED, "legal", {"categories": "identification subscriber"}),
    (AuditStep.NARROWED, "alice", {"removed": "traffic", "date_from": "2026-06-01"}),
    (AuditStep.APPROVED, "bob", {"prepared_by": "alice"}),
    (AuditStep.PACKAGE_BUILT, "legal", {"sessions": 100000, "bytes": 2811402}),
]


def chain() -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for minute, (step, actor, details) in enumerate(STEPS):
        entries.append(
            append(
                entries[-1] if entries else None,
                ring=RING,
                recorded_at=T0 + timedelta(minutes=minute),
                request_id="6a8d7c1e-3b2f-4e55-9a41-0c2d9e8f7b10",
                step=step,
                actor=actor,
                details=details,
            )
        )
    return entries


def rehash(entry: AuditEntry, keys: Mapping[str, bytes] = KEYS, **changes: object) -> AuditEntry:
    """What an attacker who knows the scheme writes: a changed entry with a hash made with
    ``keys`` (the real ones if they stole them)."""
    changed = replace(entry, **changes)  # type: ignore[arg-type]
    return replace(
        changed,
        entry_hash=hash_entry(
            sequence=changed.sequence,
            recorded_at=changed.recorded_at,
            request_id=changed.request_id,
            step=changed.step,
            actor=changed.actor,
            details=changed.details,
            previous_hash=changed.previous_hash,
            key_id=changed.key_id,
            keys=keys,
        ),
    )


def recomputed(entries: list[AuditEntry], keys: Mapping[str, bytes]) -> list[AuditEntry]:
    """The chain renumbered and every hash recomputed from the first entry on, with ``keys``."""
    out: list[AuditEntry] = []
    for number, entry in enumerate(entries, start=1):
        previous = out[-1].entry_hash if out else GENESIS
        out.append(rehash(entry, keys, sequence=number, previous_hash=previous))
    return out


def test_an_untouched_chain_verifies() -> None:
    entries = chain()
    verdict = verify_chain(entries, keys=KEYS, anchors=[(6, entries[-1].entry_hash)])
    assert verdict.intact
    assert verdict.entries_checked == 6
    assert entries[0].previous_hash == GENESIS
    assert [e.sequence for e in entries] == [1, 2, 3, 4, 5, 6]


def test_the_hash_does_not_depend_on_the_time_zone_it_was_read_in() -> None:
    entries = chain()
    paris = timezone(timedelta(hours=1))
    read_back = [replace(e, recorded_at=e.recorded_at.astimezone(paris)) for e in entries]
    assert verify_chain(read_back, keys=KEYS).intact


def test_a_modified_entry_is_named() -> None:
    entries = chain()
    entries[4] = replace(entries[4], actor="alice")  # self-approval hidden after the fact
    verdict = verify_chain(entries, keys=KEYS)
    assert (verdict.broken_at, verdict.kind) == (5, BreakKind.MODIFIED)


def test_a_modified_entry_with_a_recomputed_hash_is_caught_by_its_successor() -> None:
    entries = chain()
    entries[4] = rehash(entries[4], actor="alice")
    verdict = verify_chain(entries, keys=KEYS)
    assert (verdict.broken_at, verdict.kind) == (5, BreakKind.MODIFIED)


def test_a_deleted_entry_is_named() -> None:
    entries = chain()
    del entries[3]  # the narrowing disappears
    verdict = verify_chain(entries, keys=KEYS)
    assert (verdict.broken_at, verdict.kind) == (4, BreakKind.DELETED)


def test_deleted_newest_entries_are_caught_with_a_checkpoint() -> None:
    entries = chain()
    head = (6, entries[-1].entry_hash)
    verdict = verify_chain(entries[:4], keys=KEYS, anchors=[head])
    assert (verdict.broken_at, verdict.kind) == (5, BreakKind.DELETED)
    assert verify_chain(entries[:4], keys=KEYS).intact  # without a checkpoint it cannot be told


def test_a_rewrite_with_every_later_hash_recomputed_needs_the_key() -> None:
    entries = chain()
    entries[2] = replace(entries[2], actor="someone else")
    # Without the key: the first rewritten entry is named.
    verdict = verify_chain(recomputed(entries, GUESSED), keys=KEYS)
    assert (verdict.broken_at, verdict.kind) == (1, BreakKind.MODIFIED)
    forged = recomputed(entries[:2], KEYS)[:2] + recomputed(entries, GUESSED)[2:]
    verdict = verify_chain(forged, keys=KEYS)
    assert (verdict.broken_at, verdict.kind) == (3, BreakKind.MODIFIED)


def test_a_rewrite_by_a_key_holder_is_caught_by_the_checkpoint_it_no_longer_matches() -> None:
    entries = chain()
    signed = [(2, entries[1].entry_hash), (6, entries[-1].entry_hash)]
    rewritten = list(entries)
    rewritten[2] = replace(rewritten[2], actor="someone else")
    verdict = verify_chain(recomputed(rewritten, KEYS), keys=KEYS, anchors=signed)
    assert verdict.kind is BreakKind.MODIFIED
    assert verdict.broken_at == 3  # between the checkpoint that still agrees (2) and 6
    assert "3 to 6" in verdict.detail


def test_a_deletion_renumbered_and_rehashed_is_caught() -> None:
    entries = chain()
    signed = [(6, entries[-1].entry_hash)]
    shorter = recomputed(entries[:3] + entries[4:], KEYS)
    assert verify_chain(shorter, keys=KEYS).intact  # consistent in itself, with the key
    verdict = verify_chain(shorter, keys=KEYS, anchors=signed)
    assert (verdict.broken_at, verdict.kind) == (6, BreakKind.DELETED)
    verdict = verify_chain(recomputed(entries[:3] + entries[4:], GUESSED), keys=KEYS)
    assert (verdict.broken_at, verdict.kind) == (1, BreakKind.MODIFIED)


def test_an_entry_keyed_with_an_unknown_key_cannot_be_vouched_for() -> None:
    entries = chain()
    verdict = verify_chain(entries, keys={"other": b"o" * 32})
    assert (verdict.broken_at, verdict.kind) == (1, BreakKind.UNVERIFIABLE)
    with pytest.raises(MissingAuditKeyError):
        entries[0].computed_hash({})


def test_an_unkeyed_entry_cannot_follow_keyed_ones() -> None:
    entries = chain()
    entries[3] = rehash(entries[3], key_id=None)  # a plain SHA-256, which anyone can make
    verdict = verify_chain(entries, keys=KEYS)
    assert (verdict.broken_at, verdict.kind) == (4, BreakKind.MODIFIED)


def test_reordered_entries_are_named() -> None:
    entries = chain()
    entries[2], entries[3] = entries[3], entries[2]
    verdict = verify_chain(entries, keys=KEYS)
    assert (verdict.broken_at, verdict.kind) == (4, BreakKind.REORDERED)


def test_reordered_entries_with_swapped_sequence_numbers_are_caught() -> None:
    entries = chain()
    third, fourth = entries[2], entries[3]
    entries[2] = rehash(fourth, sequence=3)
    entries[3] = rehash(third, sequence=4)  # even with the key
    verdict = verify_chain(entries, keys=KEYS)
    assert verdict.broken_at == 3
    assert verdict.kind is BreakKind.REORDERED


def test_a_chain_verifies_from_a_checkpoint() -> None:
    entries = chain()
    assert verify_chain(entries[3:], keys=KEYS, after=(3, entries[2].entry_hash)).intact
    assert not verify_chain(entries[3:], keys=KEYS, after=(3, b"\x01" * 32)).intact


@pytest.mark.parametrize(
    "value",
    [
        "+33612345678",
        "06 12 34 56 78",
        "0612345678",
        "192.0.2.10",
        "seen from 192.0.2.10",
        "2001:db8::1",
        "call +33 6 12 34 56 78",
        "Jean <jean@example.org>",
    ],
)
def test_personal_data_is_refused_in_details_without_being_echoed(value: str) -> None:
    with pytest.raises(AuditDetailError) as caught:
        append(
            None,
            ring=RING,
            recorded_at=T0,
            request_id=None,
            step=AuditStep.RECEIVED,
            actor="x",
            details={"note": value},
        )
    assert value not in str(caught.value)


def test_codes_ids_and_dates_are_accepted_in_details() -> None:
    entry = append(
        None,
        ring=RING,
        recorded_at=T0,
        request_id=None,
        step=AuditStep.CHECKS_REFUSED,
        actor="legal",
        details={
            "code": "category_not_allowed_for_offence",
            "article": "CPP art. 60-1-2",
            "request_id": "6a8d7c1e-3b2f-4e55-9a41-0c2d9e8f7b10",
            "date_to": "2026-11-01",
            "at": "2026-11-28T09:00:00+00:00",
            "rows": 12,
        },
    )
    assert dict(entry.details)["rows"] == 12
