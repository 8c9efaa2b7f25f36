"""Statements of reasons: the builder's output and the validator's rules (DSA-SOR.md §2-§6)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any, get_args
from uuid import UUID, uuid4

import pytest

from services.dispatch.core.decisions import OutcomeNotApplicableError
from services.dispatch.core.statements import (
    CATEGORY_MAP,
    EEA_COUNTRIES,
    EU_COUNTRIES,
    KEYWORDS_BY_CATEGORY,
    UNGROUPED_KEYWORDS,
    DecisionFacts,
    IllegalContent,
    IncompatibleContent,
    InvalidStatementError,
    Keyword,
    StatementCategory,
    StatementOfReasons,
    build_statement,
    puid_for,
    server_trim,
    validate_statement,
)
from shared.events.decisions import DecisionOutcome as Outcome
from shared.events.reports import Category, SubjectKind

DROP = object()  # marks a key to remove in ``errors_with``


def facts(**changes: Any) -> DecisionFacts:
    base = DecisionFacts(
        decision_id=UUID("6f1c7e9a-0b4d-4c1e-9a55-3f7d2b8e1c00"),
        category=Category.HATE_SPEECH,
        outcome=Outcome.REMOVE_CONTENT,
        subject_kind=SubjectKind.MESSAGE,
        ground=IncompatibleContent(
            clause="Terms, section 3.2: no attacks on a protected group.",
            explanation="Attacks a protected group.",
        ),
        facts="A message attacking people for their religion was reported and reviewed.",
        content_types=("CONTENT_TYPE_TEXT",),
        content_date=date(2025, 9, 1),
        application_date=date(2025, 9, 3),
        automated_detection=False,
        automated_decision="AUTOMATED_DECISION_NOT_AUTOMATED",
        source_type="SOURCE_ARTICLE_16",
    )
    return replace(base, **changes)


def valid() -> dict[str, Any]:
    """A small valid statement written by hand, not by the builder."""
    return {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "decision_facts": "Removed after review.",
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
        "illegal_content_legal_ground": "Code pénal, art. 222-33-2-2",
        "illegal_content_explanation": "Repeated threats against a person.",
        "content_type": ["CONTENT_TYPE_TEXT"],
        "category": "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        "territorial_scope": ["FR"],
        "content_date": "2025-01-31",
        "application_date": "2025-02-01",
        "source_type": "SOURCE_ARTICLE_16",
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
        "puid": "crible-0001",
    }


def errors_with(**changes: Any) -> list[str]:
    data = valid() | changes
    return validate_statement({k: v for k, v in data.items() if v is not DROP})


def fields_of(errors: list[str]) -> set[str]:
    return {e.split(":", 1)[0] for e in errors}


# --- The builder ------------------------------------------------------------------------------

ENFORCING = [o for o in Outcome if o is not Outcome.NO_VIOLATION]


@pytest.mark.parametrize("outcome", ENFORCING)
@pytest.mark.parametrize("category", list(Category))
def test_every_outcome_and_category_builds_a_valid_statement(
    outcome: Outcome, category: Category
) -> None:
    kind = SubjectKind.GROUP if outcome is Outcome.BAN_GROUP_OR_CHANNEL else SubjectKind.MESSAGE
    statement = build_statement(facts(outcome=outcome, category=category, subject_kind=kind))
    assert statement is not None
    assert validate_statement(statement) == []
    StatementOfReasons.model_validate(statement)
    assert statement["category"] == CATEGORY_MAP[category][0]


@pytest.mark.parametrize("outcome", ENFORCING)
@pytest.mark.parametrize("kind", list(SubjectKind))
def test_every_outcome_on_every_subject_with_an_illegal_ground_is_valid(
    outcome: Outcome, kind: SubjectKind
) -> None:
    ground = IllegalContent(
        legal_ground="Code pénal, art. 421-2-5", explanation="Apology of terror."
    )
    decision = facts(outcome=outcome, subject_kind=kind, ground=ground, category=Category.TERRORISM)
    if outcome is Outcome.BAN_GROUP_OR_CHANNEL and kind in (SubjectKind.MESSAGE, SubjectKind.USER):
        with pytest.raises(OutcomeNotApplicableError):
            build_statement(decision)
        return
    statement = build_statement(decision)
    assert statement is not None
    assert validate_statement(statement) == []
    assert statement["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert "incompatible_content_ground" not in statement


def test_no_violation_makes_no_statement() -> None:
    assert build_statement(facts(outcome=Outcome.NO_VIOLATION)) is None


DECISIONS = ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")


@pytest.mark.parametrize(
    ("outcome", "kind", "expected"),
    [
        (
            Outcome.REMOVE_CONTENT,
            SubjectKind.MESSAGE,
            {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"]},
        ),
        (
            Outcome.RESTRICT_USER,
            SubjectKind.USER,
            {"decision_provision": "DECISION_PROVISION_PARTIAL_SUSPENSION"},
        ),
        (
            Outcome.SUSPEND_USER,
            SubjectKind.MESSAGE,
            {
                "decision_account": "DECISION_ACCOUNT_SUSPENDED",
                "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
            },
        ),
        (Outcome.BAN_USER, SubjectKind.USER, {"decision_account": "DECISION_ACCOUNT_TERMINATED"}),
        (
            Outcome.BAN_GROUP_OR_CHANNEL,
            SubjectKind.CHANNEL,
            {
                "decision_provision": "DECISION_PROVISION_PARTIAL_TERMINATION",
                "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DISABLED"],
            },
        ),
        (
            Outcome.REPORT_TO_AUTHORITIES,
            SubjectKind.USER,
            {"decision_account": "DECISION_ACCOUNT_SUSPENDED"},
        ),
    ],
)
def test_outcomes_map_to_the_decision_fields(
    outcome: Outcome, kind: SubjectKind, expected: dict[str, Any]
) -> None:
    statement = build_statement(facts(outcome=outcome, subject_kind=kind))
    assert statement is not None
    assert {k: statement[k] for k in DECISIONS if k in statement} == expected


def test_a_temporary_measure_gets_its_end_date() -> None:
    suspended = build_statement(
        facts(outcome=Outcome.SUSPEND_USER, restriction_ends=date(2025, 10, 3))
    )
    restricted = build_statement(
        facts(outcome=Outcome.RESTRICT_USER, restriction_ends=date(2025, 10, 3))
    )
    assert suspended is not None
    assert restricted is not None
    assert suspended["end_date_account_restriction"] == "2025-10-03"
    assert "end_date_visibility_restriction" not in suspended  # the removal is for good
    assert restricted["end_date_service_restriction"] == "2025-10-03"


def test_an_end_date_on_a_permanent_measure_or_before_the_decision_is_refused() -> None:
    with pytest.raises(InvalidStatementError, match="not a temporary measure"):
        build_statement(facts(outcome=Outcome.BAN_USER, restriction_ends=date(2026, 1, 1)))
    with pytest.raises(InvalidStatementError, match="end_date_account_restriction"):
        build_statement(facts(outcome=Outcome.SUSPEND_USER, restriction_ends=date(2025, 9, 2)))


def test_facts_that_break_the_format_raise_instead_of_building() -> None:
    with pytest.raises(InvalidStatementError) as caught:
        build_statement(facts(facts="x" * 5001))
    assert fields_of(caught.value.errors) == {"decision_facts"}


def test_the_builder_fills_grounds_flags_dates_and_scope() -> None:
    statement = build_statement(
        facts(
            ground=IncompatibleContent(
                clause="Terms, section 3.2: no attacks on a protected group.",
                explanation="Attacks a group.",
                also_illegal=True,
            ),
            automated_detection=True,
            automated_decision="AUTOMATED_DECISION_PARTIALLY",
            ground_reference_url="https://example.org/terms#hate",
            content_language="FR",
        )
    )
    assert statement is not None
    assert statement["incompatible_content_ground"] == (
        "Terms, section 3.2: no attacks on a protected group."
    )
    assert statement["incompatible_content_illegal"] == "Yes"
    assert statement["automated_detection"] == "Yes"
    assert statement["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"
    assert statement["content_date"] == "2025-09-01"
    assert statement["application_date"] == "2025-09-03"
    assert statement["territorial_scope"] == sorted(EEA_COUNTRIES)
    assert statement["category_specification"] == ["KEYWORD_HATE_SPEECH"]


def test_the_builder_copies_only_the_texts_it_is_given() -> None:
    statement = build_statement(facts(territorial_scope=EU_COUNTRIES))
    assert statement is not None
    assert statement["decision_facts"] == facts().facts
    assert statement["territorial_scope"] == sorted(EU_COUNTRIES)
    assert len(EU_COUNTRIES) == 27
    assert len(EEA_COUNTRIES) == 30
    assert "source_identity" not in statement


def test_a_voluntary_decision_names_no_source() -> None:
    statement = build_statement(
        facts(source_type="SOURCE_VOLUNTARY", source_identity="Internal QA sampling")
    )
    assert statement is not None
    assert "source_identity" not in statement
    flagged = build_statement(
        facts(source_type="SOURCE_TRUSTED_FLAGGER", source_identity="Point de Contact")
    )
    assert flagged is not None
    assert flagged["source_identity"] == "Point de Contact"


def test_spam_is_named_through_keyword_other() -> None:
    statement = build_statement(facts(category=Category.SPAM))
    assert statement is not None
    assert statement["category"] == "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
    assert statement["category_specification"] == ["KEYWORD_OTHER"]
    assert statement["category_specification_other"] == "Spam"


def test_every_crible_category_is_mapped_to_keywords_of_its_group() -> None:
    assert set(CATEGORY_MAP) == set(Category)
    for category, keywords, _ in CATEGORY_MAP.values():
        assert set(keywords) <= KEYWORDS_BY_CATEGORY[category] | UNGROUPED_KEYWORDS


def test_keyword_groups_cover_the_69_keywords_and_16_categories() -> None:
    grouped = set().union(*KEYWORDS_BY_CATEGORY.values())
    assert len(get_args(Keyword)) == 69
    assert grouped | UNGROUPED_KEYWORDS == set(get_args(Keyword))
    assert set(KEYWORDS_BY_CATEGORY) == set(get_args(StatementCategory))
    assert len(get_args(StatementCategory)) == 16


def test_puids_are_stable_per_decision_and_differ_between_decisions() -> None:
    first, second = uuid4(), uuid4()
    a = build_statement(facts(decision_id=first))
    again = build_statement(facts(decision_id=first, facts="Reworded facts."))
    b = build_statement(facts(decision_id=second))
    assert a is not None
    assert again is not None
    assert b is not None
    assert a["puid"] == again["puid"] == puid_for(first)
    assert a["puid"] != b["puid"]
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,500}", a["puid"])


# --- The validator, one test per rule group ----------------------------------------------------


def test_the_hand_written_statement_is_valid() -> None:
    assert validate_statement(valid()) == []


@pytest.mark.parametrize(
    "name",
    [
        "decision_facts",
        "decision_ground",
        "content_type",
        "category",
        "territorial_scope",
        "content_date",
        "application_date",
        "source_type",
        "automated_detection",
        "automated_decision",
        "puid",
    ],
)
def test_required_fields(name: str) -> None:
    assert f"{name}: is required" in errors_with(**{name: DROP})


def test_blank_text_and_empty_lists_count_as_missing() -> None:
    assert fields_of(errors_with(decision_facts="  ")) == {"decision_facts"}
    assert fields_of(errors_with(content_type=[])) == {"content_type"}


@pytest.mark.parametrize("blank", ["\u200b", "\ufeff \u200e", "\u00a0\u2003", "\u3000\x00"])
def test_text_of_whitespace_and_zero_width_characters_counts_as_missing(blank: str) -> None:
    # The server trims Unicode whitespace and zero-width characters, then finds nothing.
    assert fields_of(errors_with(decision_facts=blank)) == {"decision_facts"}
    assert fields_of(errors_with(illegal_content_legal_ground=blank)) == {
        "illegal_content_legal_ground"
    }


def test_lengths_are_counted_as_the_server_counts_them_after_trimming() -> None:
    padded = "\u200b" + "x" * 5000 + "\u00a0\ufeff"
    assert errors_with(decision_facts=padded) == []
    assert server_trim(padded) == "x" * 5000
    assert fields_of(errors_with(decision_facts=padded[:-2] + "x")) == {"decision_facts"}


def test_at_least_one_decision_is_required() -> None:
    errors = errors_with(decision_visibility=DROP)
    assert fields_of(errors) == {"decision"}
    for name, value in [
        ("decision_monetary", "DECISION_MONETARY_SUSPENSION"),
        ("decision_provision", "DECISION_PROVISION_TOTAL_SUSPENSION"),
        ("decision_account", "DECISION_ACCOUNT_TERMINATED"),
    ]:
        assert errors_with(decision_visibility=DROP, **{name: value}) == []


@pytest.mark.parametrize(
    ("choice", "other", "text"),
    [
        ("decision_visibility", ["DECISION_VISIBILITY_OTHER"], "decision_visibility_other"),
        ("decision_monetary", "DECISION_MONETARY_OTHER", "decision_monetary_other"),
        ("content_type", ["CONTENT_TYPE_TEXT", "CONTENT_TYPE_OTHER"], "content_type_other"),
    ],
)
def test_other_values_need_their_text_and_the_text_needs_them(
    choice: str, other: Any, text: str
) -> None:
    assert fields_of(errors_with(**{choice: other})) == {text}
    assert errors_with(**{choice: other, text: "Forwarding disabled"}) == []
    assert fields_of(errors_with(**{text: "Forwarding disabled"})) == {text}
    assert fields_of(errors_with(**{choice: other, text: "x" * 501})) == {text}


def test_the_decision_ground_decides_which_texts_are_required_and_kept() -> None:
    assert fields_of(errors_with(illegal_content_explanation=DROP)) == {
        "illegal_content_explanation"
    }
    assert fields_of(errors_with(incompatible_content_illegal="Yes")) == {
        "incompatible_content_illegal"
    }
    incompatible = {
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "illegal_content_legal_ground": DROP,
        "illegal_content_explanation": DROP,
    }
    assert fields_of(errors_with(**incompatible)) == {
        "incompatible_content_ground",
        "incompatible_content_explanation",
    }
    complete = incompatible | {
        "incompatible_content_ground": "Terms, clause 4",
        "incompatible_content_explanation": "Spam.",
        "incompatible_content_illegal": "No",
    }
    assert errors_with(**complete) == []
    assert fields_of(errors_with(**complete | {"illegal_content_legal_ground": "Law"})) == {
        "illegal_content_legal_ground"
    }
    assert fields_of(errors_with(decision_ground="DECISION_GROUND_OTHER")) == {"decision_ground"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("category", "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"),  # retired in July 2025
        ("category_addition", ["STATEMENT_CATEGORY_PORNOGRAPHY_OR_SEXUALIZED_CONTENT"]),
        ("category_specification", ["KEYWORD_DISINFORMATION"]),  # renamed
        ("category_specification", ["KEYWORD_DANGEROUS_TOYS"]),  # constant, not accepted
        ("decision_visibility", ["DECISION_VISIBILITY_HIDDEN"]),
        ("decision_provision", "DECISION_PROVISION_SUSPENSION"),
        ("decision_account", "DECISION_ACCOUNT_BANNED"),
        ("account_type", "ACCOUNT_TYPE_PERSONAL"),
        ("source_type", "SOURCE_TYPE_VOLUNTARY"),
        ("automated_decision", "Yes"),
        ("automated_detection", True),  # booleans are not accepted, only "Yes"/"No"
        ("incompatible_content_illegal", False),
        ("content_type", ["CONTENT_TYPE_STICKER"]),
    ],
)
def test_enum_fields_take_only_the_exact_constants(name: str, value: Any) -> None:
    assert name in fields_of(errors_with(**{name: value}))


@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("decision_facts", 5000),
        ("illegal_content_legal_ground", 500),
        ("illegal_content_explanation", 2000),
        ("source_identity", 500),
    ],
)
def test_length_limits(name: str, limit: int) -> None:
    assert errors_with(**{name: "x" * limit}) == []
    assert fields_of(errors_with(**{name: "x" * (limit + 1)})) == {name}


def test_incompatible_texts_and_reference_url_limits() -> None:
    incompatible = {
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "illegal_content_legal_ground": DROP,
        "illegal_content_explanation": DROP,
        "incompatible_content_ground": "g" * 501,
        "incompatible_content_explanation": "e" * 2001,
    }
    assert fields_of(errors_with(**incompatible)) == {
        "incompatible_content_ground",
        "incompatible_content_explanation",
    }
    url = "https://example.org/" + "a" * 480
    assert errors_with(decision_ground_reference_url=url) == []
    assert fields_of(errors_with(decision_ground_reference_url=url + "b")) == {
        "decision_ground_reference_url"
    }
    assert fields_of(errors_with(decision_ground_reference_url="example.org/terms")) == {
        "decision_ground_reference_url"
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"content_date": "2025-1-31"}, "content_date"),  # not zero-padded
        ({"content_date": "31/01/2025"}, "content_date"),
        ({"content_date": "2025-02-30"}, "content_date"),  # no such day
        ({"content_date": "1999-12-31"}, "content_date"),
        ({"content_date": "2038-01-02"}, "content_date"),
        ({"application_date": "2019-12-31"}, "application_date"),
        ({"application_date": "2038-01-02"}, "application_date"),
        ({"end_date_account_restriction": "2038-01-02"}, "end_date_account_restriction"),
        ({"end_date_visibility_restriction": "2025-01-31"}, "end_date_visibility_restriction"),
        ({"end_date_service_restriction": "2025-13-01"}, "end_date_service_restriction"),
    ],
)
def test_date_rules(changes: dict[str, Any], field: str) -> None:
    assert fields_of(errors_with(**changes)) == {field}


def test_date_bounds_are_inclusive_and_blank_end_dates_mean_indefinite() -> None:
    assert errors_with(content_date="2000-01-01", application_date="2038-01-01") == []
    assert errors_with(application_date="2020-01-01", content_date="2020-01-01") == []
    assert errors_with(end_date_monetary_restriction="", end_date_account_restriction=None) == []
    assert errors_with(end_date_account_restriction="2025-02-01") == []


@pytest.mark.parametrize(
    "puid", ["123.STATE sor/category", "", "with space", "line\n", "x" * 501, "é"]
)
def test_puid_format(puid: str) -> None:
    assert fields_of(errors_with(puid=puid)) == {"puid"}


def test_puid_examples_from_the_docs() -> None:
    assert errors_with(puid="344ndbd_3338383-11aST") == []
    assert errors_with(puid="x" * 500) == []


def test_territorial_scope_and_language_codes() -> None:
    assert errors_with(territorial_scope=list(EEA_COUNTRIES)) == []
    assert errors_with(territorial_scope=["FR", "GB"]) == [
        "territorial_scope: item 1: 'GB' is not an allowed value"
    ]
    assert fields_of(errors_with(territorial_scope=["EL"])) == {"territorial_scope"}
    assert errors_with(content_language="EL") == []
    assert errors_with(content_language="ZU") == []
    assert fields_of(errors_with(content_language="el")) == {"content_language"}
    assert fields_of(errors_with(content_language="GR")) == {"content_language"}


def test_content_id_takes_only_an_ean_13() -> None:
    assert errors_with(content_id={"EAN-13": "4006381333931"}) == []
    assert errors_with(content_id={"EAN-13": "400638133393"}) == [
        "content_id: 'EAN-13': must be exactly 13 digits"
    ]
    assert errors_with(content_id={"ISBN": "4006381333931"}) == [
        "content_id: 'ISBN': 'ISBN' is not an allowed value"
    ]


def test_keywords_belong_to_the_statement_categories() -> None:
    assert errors_with(category_specification=["KEYWORD_CYBER_HARASSMENT"]) == []
    off_topic = errors_with(category_specification=["KEYWORD_PHISHING"])
    assert fields_of(off_topic) == {"category_specification"}
    assert (
        errors_with(
            category_specification=["KEYWORD_PHISHING"],
            category_addition=["STATEMENT_CATEGORY_SCAMS_AND_FRAUD"],
        )
        == []
    )
    assert errors_with(category_specification=["KEYWORD_STALKING"]) == []


def test_category_specification_other_needs_keyword_other() -> None:
    assert fields_of(errors_with(category_specification_other="Spam")) == {
        "category_specification_other"
    }
    assert (
        errors_with(category_specification=["KEYWORD_OTHER"], category_specification_other="Spam")
        == []
    )


def test_a_voluntary_action_has_no_source_identity() -> None:
    assert fields_of(
        errors_with(source_type="SOURCE_VOLUNTARY", source_identity="Trusted flagger X")
    ) == {"source_identity"}
    assert errors_with(source_type="SOURCE_VOLUNTARY") == []
    assert errors_with(source_type="SOURCE_TRUSTED_FLAGGER", source_identity="Flagger X") == []


def test_a_statement_must_be_an_object() -> None:
    assert validate_statement(["not", "an", "object"]) == [  # type: ignore[arg-type]
        "statement: must be a JSON object"
    ]


def test_unknown_fields_are_refused() -> None:
    assert errors_with(platform_name="Crible") == [
        "platform_name: is not a field of the statement format"
    ]
