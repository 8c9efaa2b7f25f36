"""``crible audit verify``'s check: the keyed chain against every signed checkpoint read.

It fails, naming the first bad entry, on a chain cut short, rewritten (with or without the
key), renumbered or reordered, on any checkpoint whose signature does not verify, and on
an officer's or an authority's credentials changed without a registration on the chain; it
reports the entries newer than the newest checkpoint as not yet anchored, and whether the
schema guard is installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.legal.adapters.postgres.audit_log import entries, registrations
from services.legal.core.audit import ChainVerdict, verify_chain
from services.legal.core.checkpoint import Anchors, open_all
from services.legal.core.registrations import Finding, findings
from shared import db_guard
from shared.db import Connection


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What the check found, as lines to print, and whether everything verified."""

    ok: bool
    verdict: ChainVerdict
    anchors: Anchors
    lines: tuple[str, ...]


async def check(
    conn: Connection,
    *,
    keys: Mapping[str, bytes],
    notes: list[str],
    public: Ed25519PublicKey,
    origin: str,
) -> AuditReport:
    """Verify the chain ``conn`` reads against the signed ``notes``."""
    anchors = open_all(notes, public=public, name=origin)
    chain = await entries(conn)
    guarded = await db_guard.installed(conn)
    verdict = verify_chain(chain, keys=keys, anchors=anchors.pairs())
    lines = [f"checkpoint REFUSED: {problem}" for problem in anchors.refused]
    # Only a chain that verifies vouches for registrations.
    found = findings(await registrations(conn), chain) if verdict.intact else []
    strays = [f for f in found if f.incident is None]
    lines += [_finding(f) for f in found]
    newest = anchors.newest
    if newest is None:
        lines.append("no signed checkpoint read: nothing anchors the chain outside the database")
    else:
        stamp, read = newest.time.isoformat(), len(anchors.verified)
        lines.append(f"newest checkpoint: {newest.size} entries, signed {stamp} ({read} read)")
        last = chain[-1].sequence if chain else 0
        if last > newest.size:
            lines.append(f"not yet anchored: entries {newest.size + 1} to {last}")
    lines.append("schema guard installed" if guarded else "schema guard NOT installed")
    ok = verdict.intact and not anchors.refused and not strays
    if verdict.intact:
        lines.append(f"audit chain intact: {verdict.entries_checked} entries")
    else:
        lines.append(
            f"audit chain BROKEN at entry {verdict.broken_at} ({verdict.kind}): {verdict.detail}"
        )
    return AuditReport(ok, verdict, anchors, tuple(lines))


def _finding(finding: Finding) -> str:
    c = finding.change
    what = (
        f"{c.kind} {c.principal_id}'s credentials changed at {c.changed_at.isoformat()} by "
        f"{c.changed_by} (change {c.change_id}) with no registration on the chain"
    )
    if finding.incident is None:
        return f"registration REFUSED: {what}"
    return f"registration acknowledged ({finding.incident}): {what}"
