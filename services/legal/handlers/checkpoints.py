"""Anchoring the audit chain outside the database: its head signed and published every minute.

Before signing, the entries since the last checkpoint are verified (keys, links, the last
checkpoint's head): a chain that was tampered with is never blessed with a fresh signature.
The signed note goes to ``legal.audit.checkpoints`` (kept for good) with the same commit
that keeps it beside the chain; ``crible audit checkpoints export`` hands copies to auditors.
"""

from __future__ import annotations

import base64
from datetime import datetime

from services.legal.core.audit import ChainVerdict, verify_chain
from services.legal.core.checkpoint import Checkpoint, sign
from services.legal.ports import Legal
from shared.events.legal import AuditCheckpoint
from shared.runtime.contract import Outbound
from shared.topics import LEGAL_AUDIT_CHECKPOINTS


class ChainTamperedError(RuntimeError):
    """The entries since the last checkpoint do not verify: nothing is signed."""

    def __init__(self, verdict: ChainVerdict) -> None:
        super().__init__(f"the audit chain does not verify at entry {verdict.broken_at}: "
                         f"{verdict.kind} ({verdict.detail})")  # fmt: skip
        self.verdict = verdict


async def anchor(legal: Legal, *, now: datetime) -> Checkpoint | None:
    """Sign and publish the chain's head if it moved since the last checkpoint; the new one."""
    head = await legal.audit.head()
    last = await legal.audit.latest_checkpoint()
    if head is None or (last is not None and last.size >= head.sequence):
        return None
    after = None if last is None or last.size == 0 else (last.size, last.head)
    segment = await legal.audit.entries_after(0 if after is None else after[0])
    verdict = verify_chain(segment, keys=legal.keys.audit_ring().keys, after=after)
    if not verdict.intact:
        raise ChainTamperedError(verdict)
    origin = legal.keys.audit_origin
    checkpoint = Checkpoint(origin, head.sequence, head.entry_hash, now)
    note = sign(checkpoint, key=legal.keys.platform_key(), name=origin)
    await legal.audit.keep_checkpoint(checkpoint, note=note)
    event = AuditCheckpoint(
        schema_version=1,
        origin=origin,
        size=checkpoint.size,
        head=base64.b64encode(checkpoint.head).decode(),
        signed_at=now,
        note=note,
    )
    legal.emit(
        Outbound(LEGAL_AUDIT_CHECKPOINTS.name, b"checkpoint", event.model_dump_json().encode())
    )
    return checkpoint
