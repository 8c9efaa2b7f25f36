"""Moderation figures (DSA art. 15(1)(b)-(d)): notices, decisions, appeals, reversals (pure).

The database groups and counts (moderation volumes are large, see ``source``); this module
gives every figure its place and its stable keys, zeros included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.events.decisions import DecisionOutcome
from shared.events.reports import Category

#: What an act_now verdict does at once, before any person (dispatch's intake): the content
#: is removed. A verdict dismissed by screening is an automated decision that nothing breaks
#: the rules, counted as ``no_violation``.
AUTOMATIC_ACTION = DecisionOutcome.REMOVE_CONTENT
SCREENING_DISMISSAL = DecisionOutcome.NO_VIOLATION
#: The statement-of-reasons format's values of ``automated_decision``.
AUTOMATION = (
    "AUTOMATED_DECISION_FULLY",
    "AUTOMATED_DECISION_PARTIALLY",
    "AUTOMATED_DECISION_NOT_AUTOMATED",
)


@dataclass(frozen=True, slots=True)
class ModerationCounts:
    """What the database counted for the period."""

    reports_by_category: Mapping[str, int]
    human_decisions_by_outcome: Mapping[str, int]
    automatic_actions: int
    screening_dismissals: int
    median_seconds_to_decision: float | None
    appeals_filed: int
    appeals_decided: int
    appeals_overturned: int
    median_seconds_to_decide_appeal: float | None
    reversals: int
    reversals_of_automatic_actions: int
    reversals_on_appeal: int
    statements_by_automation: Mapping[str, int]


def _all_keys(counts: Mapping[str, int], keys: tuple[str, ...]) -> dict[str, int]:
    # Every known key, zeros included, then anything else the data holds.
    return {**dict.fromkeys(keys, 0), **dict(sorted(counts.items()))}


def moderation_section(counts: ModerationCounts) -> dict[str, Any]:
    """The moderation part of the report."""
    human = _all_keys(counts.human_decisions_by_outcome, tuple(o.value for o in DecisionOutcome))
    automated = dict.fromkeys(human, 0)
    automated[AUTOMATIC_ACTION.value] += counts.automatic_actions
    automated[SCREENING_DISMISSAL.value] += counts.screening_dismissals
    by_outcome = {
        o: {"automated": automated[o], "human": human[o], "total": automated[o] + human[o]}
        for o in human
    }
    reports = _all_keys(counts.reports_by_category, tuple(c.value for c in Category))
    return {
        "reports_received": {"total": sum(reports.values()), "by_category": reports},
        "decisions": {
            "total": sum(automated.values()) + sum(human.values()),
            "automated": sum(automated.values()),
            "human": sum(human.values()),
            "by_outcome": by_outcome,
            "median_seconds_to_decision": counts.median_seconds_to_decision,
        },
        "appeals": {
            "filed": counts.appeals_filed,
            "decided": counts.appeals_decided,
            "upheld": counts.appeals_decided - counts.appeals_overturned,
            "overturned": counts.appeals_overturned,
            "pending": counts.appeals_filed - counts.appeals_decided,
            "median_seconds_to_decide": counts.median_seconds_to_decide_appeal,
        },
        "reversals": {
            "total": counts.reversals,
            "of_automatic_actions": counts.reversals_of_automatic_actions,
            "of_decisions": counts.reversals - counts.reversals_of_automatic_actions,
            "on_appeal": counts.reversals_on_appeal,
        },
        "statements_of_reasons": {
            "total": sum(counts.statements_by_automation.values()),
            "by_automated_decision": _all_keys(counts.statements_by_automation, AUTOMATION),
        },
    }
