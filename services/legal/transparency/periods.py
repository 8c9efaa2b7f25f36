"""Report periods: a year, a half-year or a quarter, as half-open UTC intervals."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

_PERIOD = re.compile(r"(?P<year>[0-9]{4})(?:-(?P<part>H[12]|Q[1-4]))?")


class PeriodError(ValueError):
    """Text that names no period this report knows."""


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)`` in UTC, with the label it was asked by (``2026-H2``)."""

    label: str
    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def parse_period(text: str) -> Period:
    """``YYYY``, ``YYYY-H1``/``H2`` or ``YYYY-Q1``..``Q4`` (upper or lower case)."""
    label = text.strip().upper()
    found = _PERIOD.fullmatch(label)
    if found is None:
        raise PeriodError(f"{text!r} is not a period: use YYYY, YYYY-H1, YYYY-H2 or YYYY-Q1..Q4")
    year = int(found["year"])
    if year < 1970:
        raise PeriodError(f"{text!r} is before any data this platform holds")
    part = found["part"]
    if part is None:
        first, months = 1, 12
    elif part[0] == "H":
        first, months = 1 + 6 * (int(part[1]) - 1), 6
    else:
        first, months = 1 + 3 * (int(part[1]) - 1), 3
    return Period(label, _month(year, first), _month(year, first + months))


def _month(year: int, month: int) -> datetime:
    # Month 13 is January of the next year: the end of a period closing in December.
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=UTC)
