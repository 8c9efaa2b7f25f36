"""Review deadlines from the shipped configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.dispatch.adapters.yaml_files import load_sla
from services.dispatch.core.sla import SlaConfig, SlaConfigError, breached, parse_sla
from shared.events.reports import Category
from shared.events.screening import Severity

OPENED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SLA = load_sla()


@pytest.mark.parametrize(
    ("category", "hours"),
    [
        (Category.CHILD_SEXUAL_ABUSE, 1),
        (Category.TERRORISM, 1),
        (Category.ILLEGAL_GOODS, 24),
        (Category.IP_INFRINGEMENT, 24),
        (Category.FRAUD, 24),
        (Category.NON_CONSENSUAL_IMAGERY, 24),
        (Category.HATE_SPEECH, 24),
        (Category.HARASSMENT, 24),
        (Category.SELF_HARM, 72),
        (Category.SPAM, 72),
        (Category.OTHER, 72),
    ],
)
def test_shipped_deadlines_per_category(category: Category, hours: int) -> None:
    assert SLA.deadline(category, Severity.MEDIUM, OPENED) == OPENED + timedelta(hours=hours)


@pytest.mark.parametrize("category", list(Category))
def test_a_critical_case_is_never_due_later_than_an_hour(category: Category) -> None:
    assert SLA.deadline(category, Severity.CRITICAL, OPENED) <= OPENED + timedelta(hours=1)


def test_a_cap_never_lengthens_a_deadline() -> None:
    sla = SlaConfig(
        default_hours=72,
        categories={Category.SPAM: 0.5},
        severity_caps={Severity.CRITICAL: 1},
    )
    assert sla.allowed(Category.SPAM, Severity.CRITICAL) == timedelta(minutes=30)


def test_breached_only_after_the_deadline() -> None:
    due = OPENED + timedelta(hours=1)
    assert not breached(due, due - timedelta(seconds=1))
    assert not breached(due, due)
    assert breached(due, due + timedelta(seconds=1))


def test_a_naive_opening_time_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        SLA.deadline(Category.SPAM, Severity.LOW, datetime(2026, 3, 1))  # noqa: DTZ001


@pytest.mark.parametrize(
    "document",
    [
        {"default_hours": 0},
        {"default_hours": 72, "categories": {"not_a_category": 1}},
        {"default_hours": 72, "surprise": 1},
        ["default_hours", 72],
    ],
)
def test_invalid_documents_are_refused(document: object) -> None:
    with pytest.raises(SlaConfigError, match="<sla>"):
        parse_sla(document)
