"""The service binds what prescreen's core takes: the rule file, its stemmers, the model."""

from __future__ import annotations

from pathlib import Path

from services.prescreen.core.model import CaseInput, TextItem
from services.prescreen.service import text_screener
from shared.events import Category

DEPLOY_RULES = Path(__file__).parents[3] / "deploy" / "prescreen" / "rules.yaml"


def test_the_text_screener_reads_the_rule_file_with_the_snowball_stemmers() -> None:
    screener = text_screener(DEPLOY_RULES, 500, 0.6, ())
    assert screener.max_chars == 500
    text = TextItem("excerpt", "i'll be stabbing you", "en")
    [result] = screener.screen([CaseInput("c1", 1, Category.HARASSMENT, texts=(text,))])
    # "stabbing" is the concept's "stab" only once stemmed: the stemmers are bound
    assert "any.harassment.threat" in {f.ref for f in result.findings}
