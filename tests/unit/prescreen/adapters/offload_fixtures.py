"""Screeners built in a child process by the offload tests (module level: picklable)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from services.prescreen.core.model import CaseInput, Finding, ScreenerResult, Usability
from shared.events import Category


class PidScreener:
    """Says which process screened each case (and which case); a text ``die`` kills it."""

    name = "pid"
    version = "1"

    def screen(self, cases: Sequence[CaseInput]) -> list[ScreenerResult]:
        if any(t.text == "die" for c in cases for t in c.texts):
            os._exit(3)
        return [
            ScreenerResult(
                self.name,
                self.version,
                Usability.USED,
                {Category.SPAM: 0.25},
                (Finding("rule", Category.SPAM, f"pid-{os.getpid()}", detail=case.case_id),),
                ("note",),
            )
            for case in cases
        ]


def make() -> PidScreener:
    return PidScreener()
