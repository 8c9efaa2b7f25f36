"""What approving a request would disclose, counted per category: never a value.

The officers see it before they prepare and approve: the account the target names (or that
it names none, or several), and how many phone numbers and sessions the approved scope
holds. Nothing is opened: rows are counted where they lie, sealed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.legal.core.errors import StepConflictError
from services.legal.core.model import Scope
from services.legal.handlers.targets import resolve_target
from services.legal.ports import Legal
from shared.events.legal import DataCategory, LegalRequest


@dataclass(frozen=True, slots=True)
class Preview:
    """Counts by category of what approval would put in the package."""

    #: found, none (the platform knows no such account: the answer is "no data"), several.
    target: str
    counts: dict[DataCategory, dict[str, int]] = field(default_factory=dict)


async def preview(legal: Legal, request: LegalRequest, scope: Scope) -> Preview:
    """What an approval of ``scope`` would disclose, counted."""
    try:
        user = await resolve_target(legal, request)
    except StepConflictError:
        return Preview("several")
    if user is None:
        return Preview("none")
    rows = await legal.identity.counts_in_scope(user, scope)
    counts: dict[DataCategory, dict[str, int]] = {}
    if DataCategory.SUBSCRIBER in scope.categories:
        counts[DataCategory.SUBSCRIBER] = {
            "accounts": 1,
            "phone_numbers": rows.get("phone_numbers", 0),
        }
    if DataCategory.IDENTIFICATION in scope.categories:
        counts[DataCategory.IDENTIFICATION] = {"sessions": rows.get("sessions", 0)}
    if DataCategory.TRAFFIC in scope.categories:
        # The identity store holds no other traffic data: nothing would go out for it.
        counts[DataCategory.TRAFFIC] = {}
    return Preview("found", counts)
