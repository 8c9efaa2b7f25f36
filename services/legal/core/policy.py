"""What legal's configuration decides, as plain values the handlers are given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.legal.core.deadlines import DeadlinePolicy
from services.legal.core.rules import RetentionPolicy


@dataclass(frozen=True, slots=True)
class Policy:
    """Retention periods, deadlines, link lifetime and notice delays."""

    retention: RetentionPolicy
    deadlines: DeadlinePolicy
    #: How long an approved package's one-time link works.
    package_link: timedelta
    #: After an emergency disclosure, the user is told once this has passed.
    emergency_notice_delay: timedelta
