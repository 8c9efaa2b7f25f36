"""Surge signals, published by the surge detector on ``surge.signals`` (key: the subject).

A signal names one burst of reports on one subject in one window. Its id is stable for the
subject, kind and window, and its figures only grow as the window fills, so a consumer keeps
the largest figures per id and a duplicate after a rebalance changes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from shared.events.base import Event
from shared.events.reports import Category, Subject


class SurgeKind(StrEnum):
    """What the detector saw in a subject's reports."""

    #: Many independent people reporting fast: the content is spreading; raise it.
    VIRAL = "viral"
    #: Reports in lockstep from fresh or linked accounts: likely a campaign; discount it.
    COORDINATED = "coordinated"


class SurgeSignal(Event):
    """One burst of reports on a subject within a window."""

    schema_version: Literal[1]
    signal_id: UUID = Field(description="Stable for the subject, kind and window.")
    subject: Subject
    category: Category = Field(description="The category most of the burst's reports chose.")
    kind: SurgeKind
    window_start: AwareDatetime
    window_end: AwareDatetime
    count: int = Field(ge=1, description="Accepted reports in the window (only grows).")
    distinct_reporters: int = Field(ge=1, description="Reporters among them (only grows).")
    new_reporter_share: float | None = Field(
        default=None, ge=0, le=1, description="Share of reporters first seen recently."
    )
    emitted_at: AwareDatetime

    @model_validator(mode="after")
    def _window_in_order(self) -> Self:
        if self.window_end <= self.window_start:
            raise ValueError("a window ends after it starts")
        if self.distinct_reporters > self.count:
            raise ValueError("more reporters than reports")
        return self
