"""The text screener's child process: results cross intact, a dead child is replaced."""

from __future__ import annotations

import os

from services.prescreen.adapters.offloaded_screener import OffloadedScreener
from services.prescreen.adapters.yaml_files import load_policy
from services.prescreen.config import DEPLOY
from services.prescreen.core.model import BackgroundScreener, CaseInput, TextItem, Usability
from services.prescreen.handlers.screening import ScreeningEngine
from shared.events import Category
from tests.unit.prescreen.adapters import offload_fixtures


def case(text: str) -> CaseInput:
    return CaseInput("c", 1, Category.OTHER, texts=(TextItem("report", text, "en"),))


def test_a_batch_is_screened_in_another_process_and_a_dead_child_is_replaced() -> None:
    offloaded = OffloadedScreener(offload_fixtures.make, name="pid", version="1")
    # the engine starts a background screener's batch before running the others
    assert isinstance(offloaded, BackgroundScreener)
    engine = ScreeningEngine([offloaded], load_policy(DEPLOY / "policy.yaml"))
    try:
        [first] = engine.screen([case("hello")])
        [result] = first.results
        assert result.usability is Usability.USED
        assert result.scores == {Category.SPAM: 0.25}
        assert result.notes == ("note",)
        [finding] = result.findings
        assert finding.ref != f"pid-{os.getpid()}"  # not this process

        [dead] = engine.screen([case("die")])
        assert dead.results[0].usability is Usability.UNAVAILABLE
        assert "screener failed" in dead.results[0].notes[0]

        [after] = engine.screen([case("hello again")])
        assert after.results[0].usability is Usability.USED
        assert after.results[0].findings[0].ref != finding.ref  # a new child
    finally:
        offloaded.close()


def test_children_sharing_a_batch_give_its_results_in_order() -> None:
    offloaded = OffloadedScreener(offload_fixtures.make, name="pid", version="1", processes=2)
    cases = [
        CaseInput(f"c{n}", 1, Category.OTHER, texts=(TextItem("report", "hi"),)) for n in range(7)
    ]
    try:
        results = offloaded.screen(cases)
        assert [r.findings[0].detail for r in results] == [c.case_id for c in cases]
        assert all(r.findings[0].ref != f"pid-{os.getpid()}" for r in results)
        assert offloaded.screen([]) == []

        dying = [*cases[:5], case("die"), cases[6]]  # in the second child's run
        engine = ScreeningEngine([offloaded], load_policy(DEPLOY / "policy.yaml"))
        assert {s.results[0].usability for s in engine.screen(dying)} == {Usability.UNAVAILABLE}
        assert [r.findings[0].detail for r in offloaded.screen(cases)] == [c.case_id for c in cases]
    finally:
        offloaded.close()
