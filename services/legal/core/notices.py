"""When a user whose data was disclosed may be told: at once, or when the law lets us.

A notice waits for a non-disclosure order to end (end of its last day, UTC) and, after an
emergency, for the emergency to have passed; the later of the two wins.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from shared.events.legal import LegalRequest


def notify_after(
    request: LegalRequest, *, disclosed_at: datetime, emergency_delay: timedelta
) -> tuple[datetime, str | None]:
    """When the user may be told, and what delays it (None: nothing)."""
    when, why = disclosed_at, None
    if request.emergency:
        when, why = disclosed_at + emergency_delay, "emergency"
    if request.non_disclosure_until is not None:
        # The order runs to the end of its last day (UTC).
        order_ends = datetime.combine(request.non_disclosure_until, time.max, tzinfo=UTC)
        if order_ends > when:
            when, why = order_ends, "non_disclosure_order"
    return when, why
