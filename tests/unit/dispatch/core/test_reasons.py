"""The policy catalogue and the statements of reasons built from it (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.dispatch.adapters.yaml_files import shipped_catalogue
from services.dispatch.core.reasons import (
    Ground,
    ReasonRefusal,
    ReasonRefusedError,
    parse_catalogue,
)
from services.dispatch.core.statements import (
    EEA_COUNTRIES,
    Restriction,
    statement_of,
    validate_statement,
)
from shared.events.decisions import DecisionOutcome as Outcome
from shared.events.reports import Category, SubjectKind

CATALOGUE = shipped_catalogue()
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
RESTRICTIVE = [o for o in Outcome if o is not Outcome.NO_VIOLATION]


def statement(category: Category, outcome: Outcome, code: str) -> dict[str, object]:
    built = statement_of(
        Restriction(
            decision_id=uuid4(),
            category=category,
            reported_as=category.value,
            subject_kind=SubjectKind.GROUP,
            outcome=outcome,
            reason=CATALOGUE.reason(category, outcome, code),
            opened_at=NOW,
            detected=False,
            automated=False,
        ),
        now=NOW,
    )
    assert built is not None
    return built


@pytest.mark.parametrize(
    "code", ["Jean_Dupont.est.un.menteur", "tos.no_violation", "fr.cp.999-1", "TOS.HATE.2"]
)
def test_a_reason_outside_the_catalogue_is_refused(code: str) -> None:
    with pytest.raises(ReasonRefusedError) as refused:
        CATALOGUE.reason(Category.HATE_SPEECH, Outcome.REMOVE_CONTENT, code)
    assert refused.value.code is ReasonRefusal.UNKNOWN


def test_no_violation_has_reasons_of_its_own_and_they_fit_nothing_else() -> None:
    for category in Category:
        codes = {r.code for r in CATALOGUE.for_outcome(category, Outcome.NO_VIOLATION)}
        assert codes == {r.code for r in CATALOGUE.no_violation}
        assert not codes & {r.code for r in CATALOGUE.for_outcome(category, Outcome.BAN_USER)}
    with pytest.raises(ReasonRefusedError) as refused:
        CATALOGUE.reason(Category.HARASSMENT, Outcome.NO_VIOLATION, "fr.cp.222-33-2-2")
    assert refused.value.code is ReasonRefusal.NOT_FOR_OUTCOME
    with pytest.raises(ReasonRefusedError) as refused:
        CATALOGUE.reason(Category.HARASSMENT, Outcome.REMOVE_CONTENT, "nv.no_breach")
    assert refused.value.code is ReasonRefusal.NOT_FOR_OUTCOME


def test_a_reason_of_another_category_is_refused() -> None:
    with pytest.raises(ReasonRefusedError) as refused:
        CATALOGUE.reason(Category.SPAM, Outcome.REMOVE_CONTENT, "fr.cp.227-23")
    assert refused.value.code is ReasonRefusal.NOT_FOR_CATEGORY


@pytest.mark.parametrize("category", list(Category))
def test_every_reason_of_every_category_makes_a_valid_statement_on_its_ground(
    category: Category,
) -> None:
    for outcome in RESTRICTIVE:
        for reason in CATALOGUE.for_outcome(category, outcome):
            built = statement(category, outcome, reason.code)
            assert validate_statement(built) == [], (category, outcome, reason.code)
            if reason.ground is Ground.LAW:
                assert built["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
                assert built["illegal_content_legal_ground"] == reason.ground_text
                assert built["illegal_content_explanation"] == reason.explanation
                assert "incompatible_content_ground" not in built
            else:
                assert built["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
                assert built["incompatible_content_ground"] == reason.ground_text
                assert "clause" not in str(built["incompatible_content_ground"]).split(",")[0]
                assert "illegal_content_legal_ground" not in built


def test_a_decision_under_french_law_restricts_where_french_law_applies() -> None:
    drugs = statement(Category.ILLEGAL_GOODS, Outcome.REMOVE_CONTENT, "fr.cp.222-37")
    assert drugs["territorial_scope"] == ["FR"]
    assert "222-37" in str(drugs["illegal_content_legal_ground"])
    assert "Penal Code" in str(drugs["illegal_content_legal_ground"])
    terms = statement(Category.ILLEGAL_GOODS, Outcome.REMOVE_CONTENT, "tos.regulated_goods.1")
    assert terms["territorial_scope"] == sorted(EEA_COUNTRIES)
    assert str(terms["incompatible_content_ground"]).startswith("Terms of service, section 5.1")


def test_an_automatic_action_cites_a_clause_of_the_terms_of_its_category() -> None:
    for category in Category:
        reason = CATALOGUE.automatic(category)
        assert reason.ground is Ground.TERMS
        assert reason in CATALOGUE.for_outcome(category, Outcome.REMOVE_CONTENT)


def test_a_catalogue_without_a_clause_for_a_category_or_with_a_wrong_ground_is_refused() -> None:
    base = {
        "jurisdictions": {"fr": {"countries": ["FR"]}},
        "terms": {"countries": ["FR"]},
        "no_violation": [{"code": "nv.x", "en": "a", "fr": "b"}],
    }
    reason = {"en": "a", "fr": "b", "legal_ground": "g", "explanation": "e"}
    law_only = {"spam": [{**reason, "code": "fr.x", "law": "fr"}]}
    with pytest.raises(ValueError, match="needs a clause"):
        parse_catalogue({**base, "categories": law_only})
    mixed = {"spam": [{**reason, "code": "t.x", "clause": "c"}]}
    with pytest.raises(ValueError, match="under the terms"):
        parse_catalogue({**base, "categories": mixed})
