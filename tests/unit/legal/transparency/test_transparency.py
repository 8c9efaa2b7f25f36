"""The transparency report's pure core: periods, the audit trail read as facts, figures."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.legal.core.audit import AuditEntry, AuditStep, DetailValue, append, verify_chain
from services.legal.core.fieldcrypt import KeyRing
from services.legal.transparency.figures import (
    legal_section,
    median,
    outcome,
    reconcile,
    request_figures,
    share,
)
from services.legal.transparency.moderation import ModerationCounts, moderation_section
from services.legal.transparency.page import duration, percent, render_html
from services.legal.transparency.periods import PeriodError, parse_period
from services.legal.transparency.records import (
    Outcome,
    PackageFacts,
    PortalRefusal,
    RequestRecord,
    TrailFacts,
)
from services.legal.transparency.report import build_report
from services.legal.transparency.tables import long_form, tables
from services.legal.transparency.trail import portal_refusals, trail_facts
from shared.events.legal import DataCategory, Instrument

T0 = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)
SUB, IP = DataCategory.SUBSCRIBER, DataCategory.IDENTIFICATION
HOUR = timedelta(hours=1)


def record(
    state: str = "accepted",
    *,
    country: str = "FR",
    instrument: Instrument = Instrument.FR_CPP_60_1,
    target: bytes = b"t1",
    checked: timedelta | None = HOUR,
    categories: frozenset[DataCategory] = frozenset({SUB, IP}),
    codes: tuple[str, ...] = (),
    trail: TrailFacts | None = None,
    **changes: Any,
) -> RequestRecord:
    base = RequestRecord(
        request_id=f"r-{target.decode()}-{state}",
        country=country,
        instrument=instrument,
        emergency=False,
        state=state,
        received_at=T0,
        checked_at=None if checked is None else T0 + checked,
        target=target,
        non_disclosure=False,
        refusal_codes=codes,
        approved_categories=categories,
        trail=trail or TrailFacts(received=True, refused_codes=codes if codes else None),
    )
    return replace(base, **changes)


def packaged(phones: int, sessions: int, *, after: timedelta) -> TrailFacts:
    return TrailFacts(
        received=True,
        package=PackageFacts(no_data=False, phone_numbers=phones, sessions=sessions),
        package_at=T0 + after,
    )


# Periods


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-H2", datetime(2026, 7, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        ("2026-h1", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)),
        ("2026-Q4", datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),
        ("2026-Q2", datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)),
        ("2025", datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
def test_a_period_is_a_half_open_utc_interval(text: str, start: datetime, end: datetime) -> None:
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)
    assert period.label == text.upper()
    assert start in period
    assert end not in period
    assert end - timedelta(microseconds=1) in period


@pytest.mark.parametrize("text", ["2026-H3", "2026-Q5", "2026-Q0", "26", "2026-", "H2-2026", ""])
def test_a_period_the_report_does_not_know_is_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


# Medians and shares


def test_medians_and_shares() -> None:
    assert median([]) is None
    assert median([5.0]) == 5.0
    assert median([30.0, 10.0, 20.0]) == 20.0
    assert median([40.0, 10.0, 20.0, 30.0]) == 25.0  # the mean of the middle two
    assert share(1, 3) == 0.3333
    assert share(2, 2) == 1.0
    assert share(0, 0) is None


# The audit trail

RING = KeyRing({"a1": bytes(range(32))}, "a1")


def chain(*steps: tuple[AuditStep, str | None, str, dict[str, DetailValue]]) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for n, (step, request_id, actor, details) in enumerate(steps):
        entries.append(
            append(
                entries[-1] if entries else None,
                ring=RING,
                recorded_at=T0 + n * HOUR,
                request_id=request_id,
                step=step,
                actor=actor,
                details=details,
            )
        )
    assert verify_chain(entries, keys=RING.keys).intact
    return entries


def test_the_trail_gives_each_request_its_checks_package_and_preservation() -> None:
    entries = chain(
        (AuditStep.SIGNATURE_VERIFIED, "a", "fr-paris", {}),
        (AuditStep.RECEIVED, "a", "portal", {"instrument": "fr_cpp_60_1"}),
        (AuditStep.CHECKS_PASSED, "a", "legal", {}),
        (AuditStep.PACKAGE_BUILT, "a", "portal", {"phone_numbers": 2, "sessions": 5}),
        (AuditStep.RECEIVED, "b", "portal", {}),
        (AuditStep.CHECKS_REFUSED, "b", "legal", {"codes": "wrong_jurisdiction over_x"}),
        (AuditStep.RECEIVED, "c", "portal", {}),
        (AuditStep.PACKAGE_BUILT, "c", "portal", {"no_data": True}),
        (AuditStep.PRESERVATION_STARTED, "d", "legal", {}),
        (AuditStep.SIGNATURE_REFUSED, None, "unknown", {"code": "authority_unknown"}),
    )
    facts = trail_facts(entries)
    assert facts["a"] == TrailFacts(
        received=True,
        verified_by="fr-paris",
        package=PackageFacts(no_data=False, phone_numbers=2, sessions=5),
        package_at=T0 + 3 * HOUR,
    )
    assert facts["b"].refused_codes == ("wrong_jurisdiction", "over_x")
    assert facts["c"].package == PackageFacts(no_data=True)
    assert facts["d"].preserved_at == T0 + 8 * HOUR
    assert set(facts) == {"a", "b", "c", "d"}


def test_submissions_refused_at_the_portal_count_by_country_within_the_period() -> None:
    entries = chain(
        (AuditStep.SIGNATURE_REFUSED, None, "fr-paris", {"code": "signature_invalid"}),
        (AuditStep.SIGNATURE_REFUSED, None, "unknown", {"code": "authority_unknown"}),
        (AuditStep.SIGNATURE_VERIFIED, "x", "de-berlin", {}),
        (AuditStep.CHECKS_REFUSED, "x", "portal", {"invalid_fields": "target.value"}),
    )
    late = append(
        entries[-1],
        ring=RING,
        recorded_at=datetime(2027, 1, 1, tzinfo=UTC),
        request_id=None,
        step=AuditStep.SIGNATURE_REFUSED,
        actor="fr-paris",
        details={"code": "nonce_replayed"},
    )
    entries.append(late)
    refused = portal_refusals(
        entries,
        trail_facts(entries),
        period=parse_period("2026-H2"),
        countries={"fr-paris": "FR", "de-berlin": "DE"},
    )
    assert sorted(refused, key=lambda p: p.code) == [
        PortalRefusal("unknown", "authority_unknown"),
        PortalRefusal("DE", "invalid_request"),
        PortalRefusal("FR", "signature_invalid"),
    ]


# Figures


def test_outcomes_follow_the_state_and_the_package() -> None:
    assert outcome(record("refused", codes=("wrong_jurisdiction",))) is Outcome.REFUSED
    assert (
        outcome(record("package_ready", trail=packaged(1, 0, after=HOUR))) is Outcome.DATA_DISCLOSED
    )
    assert outcome(record("downloaded", trail=packaged(0, 0, after=HOUR))) is Outcome.DATA_DISCLOSED
    # Identification only, and no session in the period: nothing went out.
    empty = record("package_ready", categories=frozenset({IP}), trail=packaged(0, 0, after=HOUR))
    assert outcome(empty) is Outcome.NO_DATA
    no_data = TrailFacts(received=True, package=PackageFacts(no_data=True), package_at=T0)
    assert outcome(record("no_data", trail=no_data)) is Outcome.NO_DATA
    preserved = TrailFacts(received=True, preserved_at=T0 + HOUR)
    assert outcome(record(instrument=Instrument.EU_EPOC_PR, trail=preserved)) is Outcome.PRESERVED
    assert outcome(record("received", checked=None)) is Outcome.PENDING
    assert outcome(record("accepted")) is Outcome.PENDING


def test_figures_of_a_group_of_requests() -> None:
    records = [
        record("downloaded", target=b"a", trail=packaged(1, 4, after=24 * HOUR), emergency=True),
        record(
            "package_ready",
            target=b"a",  # the same account again: specified once
            categories=frozenset({SUB}),
            checked=2 * HOUR,
            trail=packaged(2, 0, after=48 * HOUR),
            non_disclosure=True,
        ),
        record(
            "refused",
            target=b"b",
            checked=3 * HOUR,
            codes=("wrong_jurisdiction", "category_not_allowed_for_offence", "issuer_not_allowed"),
        ),
        record("received", target=b"c", checked=None),
    ]
    figures = request_figures(records)
    assert figures.requests_received == 4
    assert figures.accounts_specified == 3
    assert figures.emergency_requests == 1
    assert figures.non_disclosure_orders == 1
    assert figures.outcomes == {
        "data_disclosed": 2,
        "no_data": 0,
        "refused": 1,
        "preserved": 0,
        "pending": 1,
    }
    assert figures.share_with_data_disclosed == 0.5
    assert figures.refusals_by_code == {
        "category_not_allowed_for_offence": 1,
        "issuer_not_allowed": 1,
        "wrong_jurisdiction": 1,
    }
    # Two codes of one ground count once for the request.
    assert figures.refusals_by_ground == {
        "no_legal_basis": 1,
        "over_broad": 0,
        "unverified_authority": 0,
        "wrong_jurisdiction": 1,
    }
    assert figures.data_types_disclosed == {"subscriber": 2, "identification": 1, "traffic": 0}
    assert figures.records_disclosed == {"phone_numbers": 3, "sessions": 4}
    assert figures.median_seconds_to_acknowledge == 7200.0  # 1 h, 2 h, 3 h
    assert figures.median_seconds_to_comply == 36 * 3600.0  # 24 h and 48 h


def test_preservation_orders_are_counted_apart_and_countries_split_by_instrument() -> None:
    preserved = TrailFacts(received=True, preserved_at=T0 + HOUR / 4)
    records = [
        record("downloaded", target=b"a", trail=packaged(1, 1, after=HOUR)),
        record("accepted", target=b"a", instrument=Instrument.FR_CPP_60_2, trail=preserved),
        record("refused", target=b"z", country="DE", instrument=Instrument.EU_EPOC,
               codes=("date_range_not_held",)),
    ]  # fmt: skip
    legal = legal_section(records, [PortalRefusal("unknown", "authority_unknown")])
    assert legal["total"]["requests"]["requests_received"] == 2
    assert legal["total"]["preservation"]["requests_received"] == 1
    assert legal["total"]["preservation"]["outcomes"]["preserved"] == 1
    assert legal["total"]["preservation"]["median_seconds_to_comply"] == 900.0
    assert list(legal["by_country"]) == ["DE", "FR"]
    france = legal["by_country"]["FR"]
    assert france["requests"]["requests_received"] == 1
    assert france["preservation"]["accounts_specified"] == 1
    assert list(france["by_instrument"]) == ["fr_cpp_60_1", "fr_cpp_60_2"]
    assert legal["by_country"]["DE"]["requests"]["refusals_by_ground"]["over_broad"] == 1
    assert list(legal["by_instrument"]) == ["eu_epoc", "fr_cpp_60_1", "fr_cpp_60_2"]
    assert legal["refused_at_portal"] == {
        "total": 1,
        "by_code": {"authority_unknown": 1},
        "by_ground": {"unverified_authority": 1},
        "by_country": {"unknown": 1},
    }


def test_reconciliation_names_requests_whose_row_and_trail_disagree() -> None:
    sound = [
        record("downloaded", target=b"a", trail=packaged(1, 1, after=HOUR)),
        record("refused", target=b"b", codes=("wrong_jurisdiction",)),
    ]
    assert reconcile(sound) == []
    unsound = [
        record("package_ready", target=b"c"),
        record("refused", target=b"d", codes=("issuer_not_allowed",),
               trail=TrailFacts(received=True, refused_codes=("wrong_jurisdiction",))),
        record("accepted", target=b"e", trail=replace(packaged(1, 0, after=HOUR), received=False)),
    ]  # fmt: skip
    assert [p["problem"] for p in reconcile(unsound)] == [
        "state package_ready without a package_built entry",
        "refusal codes differ from the audit chain's refusal entry",
        "no received entry on the audit chain",
        "a package_built entry but state accepted",
    ]


# Moderation


def counts(**changes: Any) -> ModerationCounts:
    base = ModerationCounts(
        reports_by_category={"spam": 3, "hate_speech": 1},
        human_decisions_by_outcome={"remove_content": 2, "ban_user": 1},
        automatic_actions=4,
        screening_dismissals=5,
        median_seconds_to_decision=600.0,
        appeals_filed=3,
        appeals_decided=2,
        appeals_overturned=1,
        median_seconds_to_decide_appeal=None,
        reversals=2,
        reversals_of_automatic_actions=1,
        reversals_on_appeal=1,
        statements_by_automation={"AUTOMATED_DECISION_FULLY": 4},
    )
    return replace(base, **changes)


def test_moderation_figures_have_every_key_and_add_up() -> None:
    section = moderation_section(counts())
    reports = section["reports_received"]
    assert reports["total"] == 4
    assert len(reports["by_category"]) == 11  # every DSA category, zeros included
    assert reports["by_category"]["spam"] == 3
    assert reports["by_category"]["terrorism_violent_extremism"] == 0
    decisions = section["decisions"]
    assert (decisions["total"], decisions["automated"], decisions["human"]) == (12, 9, 3)
    assert decisions["by_outcome"]["remove_content"] == {"automated": 4, "human": 2, "total": 6}
    assert decisions["by_outcome"]["no_violation"] == {"automated": 5, "human": 0, "total": 5}
    assert decisions["by_outcome"]["ban_user"] == {"automated": 0, "human": 1, "total": 1}
    assert section["appeals"] == {
        "filed": 3,
        "decided": 2,
        "upheld": 1,
        "overturned": 1,
        "pending": 1,
        "median_seconds_to_decide": None,
    }
    assert section["reversals"] == {
        "total": 2,
        "of_automatic_actions": 1,
        "of_decisions": 1,
        "on_appeal": 1,
    }
    assert section["statements_of_reasons"] == {
        "total": 4,
        "by_automated_decision": {
            "AUTOMATED_DECISION_FULLY": 4,
            "AUTOMATED_DECISION_PARTIALLY": 0,
            "AUTOMATED_DECISION_NOT_AUTOMATED": 0,
        },
    }


# Rendering


def report() -> dict[str, Any]:
    entries = chain((AuditStep.RECEIVED, "r", "portal", {}))
    records = [
        record("downloaded", target=b"a", trail=packaged(1, 2, after=30 * HOUR)),
        record("refused", country="DE", target=b"b", codes=("wrong_jurisdiction",)),
    ]
    return build_report(
        period=parse_period("2026-H2"),
        generated_at=T0 + 1000 * HOUR,
        verdict=verify_chain(entries, keys=RING.keys),
        head=entries[-1],
        records=records,
        portal=[PortalRefusal("FR", "signature_invalid")],
        moderation=counts(),
    )


def test_the_report_says_what_it_was_read_from() -> None:
    document = report()
    assert document["period"] == {
        "label": "2026-H2",
        "start": "2026-07-01T00:00:00+00:00",
        "end": "2027-01-01T00:00:00+00:00",
    }
    chain_read = document["source"]["audit_chain"]
    assert chain_read["intact"] is True
    assert chain_read["last_sequence"] == 1
    assert re.fullmatch(r"[0-9a-f]{64}", chain_read["last_hash"])
    assert document["source"]["requests_read"] == 2


def test_the_long_form_csv_holds_every_table_figure() -> None:
    document = report()
    rows = list(csv.DictReader(io.StringIO(long_form(document))))
    expected = sum(len(t.rows) * len(t.values) for t in tables(document))
    assert len(rows) == expected
    found = {
        (r["table"], r["country"], r["instrument"], r["kind"], r["figure"]): r["value"]
        for r in rows
    }
    assert found["legal_requests", "all", "all", "requests", "requests_received"] == "2"
    assert found["legal_requests", "DE", "all", "requests", "refused"] == "1"
    assert found["legal_requests", "FR", "all", "requests", "median_seconds_to_comply"] == (
        "108000.0"
    )
    assert found["legal_requests", "FR", "all", "requests", "median_seconds_to_acknowledge"] == (
        "3600.0"
    )
    assert found["legal_requests", "all", "all", "preservation", "share_with_data_disclosed"] == ""


def test_the_html_page_is_self_contained_with_its_charts() -> None:
    page = render_html(report())
    assert page.count("<svg") == 6
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "Transparency report 2026-H2" in page
    assert "wrong_jurisdiction" in page
    # Six SVGs in one document: their ids stay unique, and every reference finds its id.
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert set(re.findall(r'(?:url\(#|href="#)([^)"]+)', page)) <= set(ids)


def test_durations_and_percentages_for_people() -> None:
    assert duration(None) == "—"
    assert duration(900) == "15 min"
    assert duration(5.5 * 3600) == "5.5 h"
    assert duration(3 * 86400) == "3.0 days"
    assert percent(0.3333) == "33.3 %"
    assert percent(None) == "—"
