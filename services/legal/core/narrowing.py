"""A legal officer narrows an over-broad request: fewer categories, a shorter period, a reason.

Narrowing only ever removes: a scope can never grow past what the authority asked for. The
narrowed scope is then checked again by :func:`services.legal.core.rules.check_request`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from services.legal.core.model import Scope
from shared.events.legal import DataCategory


class NarrowingError(ValueError):
    """A narrowing that would widen the scope, empty it, or has no reason."""


@dataclass(frozen=True, slots=True)
class Narrowing:
    """What an officer removed from a scope, and why (recorded in the audit chain)."""

    before: Scope
    after: Scope
    reason: str
    officer_id: str

    @property
    def removed_categories(self) -> frozenset[DataCategory]:
        """The categories no longer disclosed."""
        return self.before.categories - self.after.categories


def narrow(
    scope: Scope,
    *,
    officer_id: str,
    reason: str,
    categories: Iterable[DataCategory] | None = None,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> Narrowing:
    """``scope`` with only ``categories`` and within ``date_from``-``date_to`` (each optional)."""
    if not reason.strip():
        raise NarrowingError("a narrowing needs a reason")
    kept = scope.categories if categories is None else frozenset(categories)
    if not kept <= scope.categories:
        raise NarrowingError("narrowing cannot add a category")
    start = scope.date_from if date_from is None else date_from
    end = scope.date_to if date_to is None else date_to
    if start < scope.date_from or end > scope.date_to:
        raise NarrowingError("narrowing cannot lengthen the period")
    try:
        after = Scope(kept, start, end)
    except ValueError as error:
        raise NarrowingError(str(error)) from None
    if after == scope:
        raise NarrowingError("the narrowing changes nothing")
    return Narrowing(scope, after, reason.strip(), officer_id)
