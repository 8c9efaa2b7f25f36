"""Who may act, checked against the audit chain: no credential changed around the commands.

``legal.registrations`` logs every change of an officer's or an authority's credentials (a
trigger, for every writer, numbered by ``change_id``). ``crible legal officers add`` and
``authorities add`` put an entry on the keyed chain naming the change they made and the
credentials it set; nobody writes such an entry without the audit key. A change that lets
someone act and that no entry names (a token or a key swapped by an ``UPDATE``, a disabled
officer switched back on, an old token put back) is a finding, for good: putting the right
credentials back later does not undo the window. After an investigation, ``crible audit
acknowledge`` puts the incident's reference on the chain, and the finding is shown as
acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.legal.core.audit import AuditEntry, AuditStep

_STEPS = {AuditStep.OFFICER_REGISTERED: "officer", AuditStep.AUTHORITY_REGISTERED: "authority"}
_FIELDS = {
    "officer": ("token", "roles"),
    "authority": ("token", "signing_key", "encryption_key", "country", "kind"),
}
#: The audit steps ``findings`` reads (a tripwire may read only these).
STEPS = (*_STEPS, AuditStep.REGISTRATION_ACKNOWLEDGED)
#: Who the log names for the rows a migration wrote for registrations older than the log.
BASELINE = "baseline"


@dataclass(frozen=True, slots=True)
class Registration:
    """One logged change of who may act."""

    change_id: int
    kind: str  # "officer" or "authority"
    principal_id: str
    active: bool
    credentials: str  # "token=sha256:... roles=..." as the database logged it
    changed_at: datetime
    changed_by: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A change no registration names, and the incident that acknowledged it, if any."""

    change: Registration
    incident: str | None = None


def credentials(kind: str, details: Mapping[str, object]) -> str:
    """The credentials an audit entry registered, written as the database logs them."""
    return " ".join(f"{name}={details.get(name)}" for name in _FIELDS[kind])


def findings(changes: Sequence[Registration], entries: Iterable[AuditEntry]) -> list[Finding]:
    """Every change that let someone act without a registration naming it, oldest first."""
    named: dict[int, tuple[str, str, str]] = {}
    registered: set[tuple[str, str, str]] = set()
    acknowledged: dict[int, str] = {}
    for entry in entries:
        details = dict(entry.details)
        if entry.step is AuditStep.REGISTRATION_ACKNOWLEDGED:
            acknowledged[int(str(details.get("change")))] = str(details.get("incident"))
            continue
        kind = _STEPS.get(entry.step)
        if kind is None:
            continue
        said = (kind, str(details.get(kind)), credentials(kind, details))
        registered.add(said)
        if isinstance(details.get("change"), int):
            named[int(str(details["change"]))] = said
    out: list[Finding] = []
    for change in changes:
        said = (change.kind, change.principal_id, change.credentials)
        if not change.active or named.get(change.change_id) == said:
            continue
        # Rows older than the log can only be matched by what they hold.
        if change.changed_by == BASELINE and said in registered:
            continue
        out.append(Finding(change, acknowledged.get(change.change_id)))
    return out
