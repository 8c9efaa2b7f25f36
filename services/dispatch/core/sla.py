"""Review deadlines: how long a case may wait for a decision, by category and severity.

The figures are configuration (``deploy/dispatch/sla.yaml``, read by
``adapters/yaml_files.py``): a case is due its category's hours (or the default) after it was
opened, earlier when its severity has a shorter cap.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from shared.events.reports import Category
from shared.events.screening import Severity

#: Hours to a decision: positive, at most a year (a larger figure is a typo).
Hours = Annotated[float, Field(gt=0, le=24 * 366)]


class SlaConfig(BaseModel):
    """Review deadlines in hours."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_hours: Hours = Field(description="For a category not listed.")
    categories: dict[Category, Hours] = Field(default_factory=dict)
    severity_caps: dict[Severity, Hours] = Field(
        default_factory=dict, description="The latest a case of this severity may be due."
    )

    def allowed(self, category: Category, severity: Severity) -> timedelta:
        """How long a case of this category and severity may wait."""
        hours = self.categories.get(category, self.default_hours)
        cap = self.severity_caps.get(severity)
        if cap is not None:
            hours = min(hours, cap)
        return timedelta(hours=hours)

    def deadline(self, category: Category, severity: Severity, opened_at: datetime) -> datetime:
        """When a case opened at ``opened_at`` must be decided."""
        if opened_at.utcoffset() is None:
            # A naive time would be compared with aware ones later and fail far from here.
            raise ValueError("opened_at must carry a time zone")
        return opened_at + self.allowed(category, severity)


class SlaConfigError(ValueError):
    """The SLA file cannot be read or is invalid."""


def parse_sla(document: object, *, source: str = "<sla>") -> SlaConfig:
    """Validate the parsed document of an SLA file; ``source`` names it in errors."""
    try:
        return SlaConfig.model_validate(document)
    except ValueError as error:
        raise SlaConfigError(f"{source}: {error}") from error


def breached(deadline: datetime, now: datetime) -> bool:
    """Whether the deadline has passed (a decision exactly at the deadline is on time)."""
    return now > deadline
