"""The checkpoint job: signs only a chain that verifies, and only when it grew."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.legal.core.audit import AuditStep
from services.legal.core.checkpoint import open_note
from services.legal.handlers import checkpoints
from services.legal.ports import Legal
from tests.unit.legal.fakes import FakeAudit
from tests.unit.legal.handlers.conftest import NOW


async def test_the_head_is_signed_when_it_moved_and_never_when_it_does_not_verify(
    legal: Legal,
) -> None:
    assert await checkpoints.anchor(legal, now=NOW) is None  # an empty chain
    for _ in range(3):
        await legal.audit.record(AuditStep.RETENTION_RUN, actor="legal")
    signed = await checkpoints.anchor(legal, now=NOW)
    assert signed is not None
    assert signed.size == 3
    assert [e.topic for e in legal.events] == ["legal.audit.checkpoints"]
    assert isinstance(legal.audit, FakeAudit)
    note = legal.audit.checkpoints[-1][1]
    public = legal.keys.platform_key().public_key()
    assert open_note(note, public=public, name=legal.keys.audit_origin) == signed
    assert await checkpoints.anchor(legal, now=NOW) is None  # nothing new
    await legal.audit.record(AuditStep.RETENTION_RUN, actor="legal")
    legal.audit.chain[-1] = replace(legal.audit.chain[-1], actor="someone else")
    with pytest.raises(checkpoints.ChainTamperedError, match="entry 4"):
        await checkpoints.anchor(legal, now=NOW)
    assert len(legal.audit.checkpoints) == 1
