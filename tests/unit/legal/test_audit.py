"""The audit chain detects a modified, a deleted and a reordered entry, and names it."""

from __future__ import annotations

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
    append,
    hash_entry,
    verify_chain,
)

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
                recorded_at=T0 + timedelta(minutes=minute),
                request_id="6a8d7c1e-3b2f-4e55-9a41-0c2d9e8f7b10",
                step=step,
                actor=actor,
                details=details,
            )
        )
    return entries


def rehash(entry: AuditEntry, **changes: object) -> AuditEntry:
    """What an attacker who knows the scheme writes: a changed entry with a matching hash."""
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
        ),
    )


def test_an_untouched_chain_verifies() -> None:
    entries = chain()
    verdict = verify_chain(entries, expected_head=(6, entries[-1].entry_hash))
    assert verdict.intact
    assert verdict.entries_checked == 6
    assert entries[0].previous_hash == GENESIS
    assert [e.sequence for e in entries] == [1, 2, 3, 4, 5, 6]


def test_the_hash_does_not_depend_on_the_time_zone_it_was_read_in() -> None:
    entries = chain()
    paris = timezone(timedelta(hours=1))
    read_back = [replace(e, recorded_at=e.recorded_at.astimezone(paris)) for e in entries]
    assert verify_chain(read_back).intact


def test_a_modified_entry_is_named() -> None:
    entries = chain()
    entries[4] = replace(entries[4], actor="alice")  # self-approval hidden after the fact
    verdict = verify_chain(entries)
    assert (verdict.broken_at, verdict.kind) == (5, BreakKind.MODIFIED)


def test_a_modified_entry_with_a_recomputed_hash_is_caught_by_its_successor() -> None:
    entries = chain()
    entries[4] = rehash(entries[4], actor="alice")
    verdict = verify_chain(entries)
    assert (verdict.broken_at, verdict.kind) == (5, BreakKind.MODIFIED)


def test_a_deleted_entry_is_named() -> None:
    entries = chain()
    del entries[3]  # the narrowing disappears
    verdict = verify_chain(entries)
    assert (verdict.broken_at, verdict.kind) == (4, BreakKind.DELETED)


def test_deleted_newest_entries_are_caught_with_the_recorded_head() -> None:
    entries = chain()
    head = (6, entries[-1].entry_hash)
    verdict = verify_chain(entries[:4], expected_head=head)
    assert (verdict.broken_at, verdict.kind) == (5, BreakKind.DELETED)
    assert verify_chain(entries[:4]).intact  # without the head it cannot be told


def test_reordered_entries_are_named() -> None:
    entries = chain()
    entries[2], entries[3] = entries[3], entries[2]
    verdict = verify_chain(entries)
    assert (verdict.broken_at, verdict.kind) == (4, BreakKind.REORDERED)


def test_reordered_entries_with_swapped_sequence_numbers_are_caught() -> None:
    entries = chain()
    third, fourth = entries[2], entries[3]
    entries[2] = rehash(fourth, sequence=3)
    entries[3] = rehash(third, sequence=4)
    verdict = verify_chain(entries)
    assert verdict.broken_at == 3
    assert verdict.kind is BreakKind.REORDERED


def test_a_chain_verifies_from_a_checkpoint() -> None:
    entries = chain()
    assert verify_chain(entries[3:], after=(3, entries[2].entry_hash)).intact
    assert not verify_chain(entries[3:], after=(3, b"\x01" * 32)).intact


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
