"""Every legal-basis rule, one test each, named after the article it encodes."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.legal.core.deadlines import (
    DeadlinePolicy,
    deadline_for,
    is_emergency,
    preservation_ends,
)
from services.legal.core.model import Authority, AuthorityKind, RefusalCode, RefusalGround, Scope
from services.legal.core.narrowing import NarrowingError, narrow
from services.legal.core.rules import (
    Accepted,
    Refused,
    RetentionPolicy,
    check_request,
    law_checks,
    requested_scope,
)
from shared.events.legal import (
    AuthorisationKind,
    DataCategory,
    Instrument,
    LegalRequest,
    Official,
    Target,
    TargetKind,
)

RECEIVED = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SUB, IP, TRAFFIC = DataCategory.SUBSCRIBER, DataCategory.IDENTIFICATION, DataCategory.TRAFFIC
RETENTION = RetentionPolicy()


def authority(kind: AuthorityKind = AuthorityKind.PROSECUTOR, country: str = "FR") -> Authority:
    return Authority(
        authority_id="auth-1",
        country=country,
        kind=kind,
        active=True,
        signing_key=b"s" * 32,
        encryption_key=b"e" * 32,
    )


def request(
    instrument: Instrument = Instrument.FR_CPP_60_1,
    *categories: DataCategory,
    years: float = 5,
    online: bool = False,
    emergency: bool = False,
    authorised_by: AuthorisationKind | None = None,
    days: tuple[int, int] = (90, 10),
) -> LegalRequest:
    return LegalRequest(
        schema_version=1,
        request_id=uuid.uuid4(),
        instrument=instrument,
        authority_id="auth-1",
        official=Official(name="Claire Martin"),
        authorised_by=authorised_by,
        case_reference="2026/123",
        offence="escroquerie",
        max_penalty_years=years,
        committed_online=online,
        emergency=emergency,
        target=Target(kind=TargetKind.PLATFORM_USER_ID, value="u1"),
        categories=categories or (SUB, IP),
        date_from=RECEIVED - timedelta(days=days[0]),
        date_to=RECEIVED - timedelta(days=days[1]),
        document_sha256="0" * 64,
        received_at=RECEIVED,
    )


def check(
    req: LegalRequest, by: Authority | None = None, *, scope: Scope | None = None
) -> Accepted | Refused:
    return check_request(
        req,
        authority=authority() if by is None else by,
        submitted_by="auth-1",
        retention=RETENTION,
        scope=scope,
    )


def codes(outcome: Accepted | Refused) -> set[RefusalCode]:
    return outcome.codes if isinstance(outcome, Refused) else set()


def articles(outcome: Accepted | Refused) -> set[str]:
    return {r.article for r in outcome.refusals} if isinstance(outcome, Refused) else set()


def test_a_lawful_requisition_is_accepted_with_its_requested_scope() -> None:
    outcome = check(request())
    assert isinstance(outcome, Accepted)
    assert outcome.scope.categories == {SUB, IP}


# Authority registered and active (DSA art. 10: the order identifies its issuing authority).


def test_an_unregistered_authority_is_refused() -> None:
    outcome = check_request(request(), authority=None, submitted_by="auth-1", retention=RETENTION)
    assert codes(outcome) == {RefusalCode.AUTHORITY_UNKNOWN}
    assert isinstance(outcome, Refused)
    assert outcome.refusals[0].ground is RefusalGround.UNVERIFIED_AUTHORITY


def test_a_suspended_authority_is_refused() -> None:
    suspended = replace(authority(), active=False)
    assert codes(check(request(), suspended)) == {RefusalCode.AUTHORITY_INACTIVE}


def test_an_authority_cannot_submit_in_another_ones_name() -> None:
    outcome = check_request(
        request(), authority=authority(), submitted_by="auth-2", retention=RETENTION
    )
    assert codes(outcome) == {RefusalCode.AUTHORITY_NOT_SUBMITTER}


# Issuer kinds per instrument.


@pytest.mark.parametrize(
    "kind", [AuthorityKind.POLICE, AuthorityKind.GENDARMERIE, AuthorityKind.PROSECUTOR]
)
def test_cpp_60_1_opj_or_prosecutor_may_issue(kind: AuthorityKind) -> None:
    assert isinstance(check(request(), authority(kind)), Accepted)


def test_cpp_60_1_a_court_may_not_issue() -> None:
    outcome = check(request(), authority(AuthorityKind.COURT))
    assert codes(outcome) == {RefusalCode.ISSUER_NOT_ALLOWED}
    assert articles(outcome) == {"CPP art. 60-1"}


def test_cpp_77_1_1_police_need_the_prosecutors_authorisation() -> None:
    police = authority(AuthorityKind.POLICE)
    outcome = check(request(Instrument.FR_CPP_77_1_1), police)
    assert codes(outcome) == {RefusalCode.AUTHORISATION_MISSING}
    assert articles(outcome) == {"CPP art. 77-1-1"}
    authorised = request(Instrument.FR_CPP_77_1_1, authorised_by=AuthorisationKind.PROSECUTOR)
    assert isinstance(check(authorised, police), Accepted)
    assert isinstance(check(request(Instrument.FR_CPP_77_1_1)), Accepted)  # the prosecutor


def test_cpp_99_3_investigating_judge_or_police_on_commission() -> None:
    judge = authority(AuthorityKind.INVESTIGATING_JUDGE)
    assert isinstance(check(request(Instrument.FR_CPP_99_3), judge), Accepted)
    outcome = check(request(Instrument.FR_CPP_99_3))  # a prosecutor
    assert codes(outcome) == {RefusalCode.ISSUER_NOT_ALLOWED}
    assert articles(outcome) == {"CPP art. 99-3"}
    commissioned = request(
        Instrument.FR_CPP_99_3, authorised_by=AuthorisationKind.INVESTIGATING_JUDGE
    )
    assert isinstance(check(commissioned, authority(AuthorityKind.POLICE)), Accepted)


def test_cpp_60_2_preservation_needs_a_judges_authorisation() -> None:
    outcome = check(request(Instrument.FR_CPP_60_2))
    assert codes(outcome) == {RefusalCode.AUTHORISATION_MISSING}
    assert articles(outcome) == {"CPP art. 60-2"}
    authorised = request(Instrument.FR_CPP_60_2, authorised_by=AuthorisationKind.LIBERTIES_JUDGE)
    assert isinstance(check(authorised), Accepted)


@pytest.mark.parametrize(
    "kind", [AuthorityKind.PROSECUTOR, AuthorityKind.INVESTIGATING_JUDGE, AuthorityKind.COURT]
)
def test_epoc_art_4_1_subscriber_and_identification_from_judge_court_or_prosecutor(
    kind: AuthorityKind,
) -> None:
    assert isinstance(check(request(Instrument.EU_EPOC, years=0.5), authority(kind)), Accepted)


def test_epoc_art_4_1_police_need_validation() -> None:
    police = authority(AuthorityKind.POLICE, "DE")
    outcome = check(request(Instrument.EU_EPOC), police)
    assert codes(outcome) == {RefusalCode.AUTHORISATION_MISSING}
    assert articles(outcome) == {"Regulation (EU) 2023/1543 art. 4(1)"}
    validated = request(Instrument.EU_EPOC, authorised_by=AuthorisationKind.PROSECUTOR)
    assert isinstance(check(validated, police), Accepted)


def test_epoc_art_4_2_other_traffic_data_only_from_a_judge_or_court() -> None:
    outcome = check(request(Instrument.EU_EPOC, SUB, TRAFFIC))  # a prosecutor
    assert codes(outcome) == {RefusalCode.CATEGORY_NOT_ALLOWED_FOR_ISSUER}
    assert articles(outcome) == {"Regulation (EU) 2023/1543 art. 4(2)"}
    judge = authority(AuthorityKind.INVESTIGATING_JUDGE)
    assert isinstance(check(request(Instrument.EU_EPOC, SUB, TRAFFIC), judge), Accepted)


def test_epoc_pr_art_4_3_a_prosecutor_may_order_preservation_of_any_category() -> None:
    preserve = request(Instrument.EU_EPOC_PR, SUB, IP, TRAFFIC, years=0.5)
    assert isinstance(check(preserve), Accepted)  # art. 6(2): any criminal offence


# Categories allowed for the offence.


def test_cpp_60_1_2_ip_data_for_an_offence_of_at_least_3_years() -> None:
    assert isinstance(check(request(years=3)), Accepted)
    outcome = check(request(years=2))
    assert codes(outcome) == {RefusalCode.CATEGORY_NOT_ALLOWED_FOR_OFFENCE}
    assert articles(outcome) == {"CPP art. 60-1-2"}


def test_cpp_60_1_2_ip_data_for_1_year_online_only_to_identify_the_author() -> None:
    assert isinstance(check(request(years=1, online=True)), Accepted)
    assert codes(check(request(years=1, online=False))) == {
        RefusalCode.CATEGORY_NOT_ALLOWED_FOR_OFFENCE
    }
    assert codes(check(request(years=0.5, online=True))) == {
        RefusalCode.CATEGORY_NOT_ALLOWED_FOR_OFFENCE
    }
    # Asking for other traffic data too: the aim is no longer only identification.
    both = check(request(Instrument.FR_CPP_60_1, SUB, IP, TRAFFIC, years=2, online=True))
    assert isinstance(both, Refused)
    assert len(both.refusals) == 2  # traffic (3 years) and identification (sole aim)


def test_cpp_60_1_2_subscriber_data_for_any_offence() -> None:
    assert isinstance(check(request(Instrument.FR_CPP_60_1, SUB, years=0)), Accepted)


def test_cpp_60_1_2_applies_to_77_1_1_and_99_3_too() -> None:
    assert codes(check(request(Instrument.FR_CPP_77_1_1, IP, years=2))) == {
        RefusalCode.CATEGORY_NOT_ALLOWED_FOR_OFFENCE
    }
    judge = authority(AuthorityKind.INVESTIGATING_JUDGE)
    assert codes(check(request(Instrument.FR_CPP_99_3, TRAFFIC, years=2), judge)) == {
        RefusalCode.CATEGORY_NOT_ALLOWED_FOR_OFFENCE
    }


def test_epoc_art_5_3_subscriber_and_identification_for_any_offence() -> None:
    assert isinstance(check(request(Instrument.EU_EPOC, SUB, IP, years=0)), Accepted)


def test_epoc_art_5_4_traffic_data_for_offences_of_at_least_3_years() -> None:
    judge = authority(AuthorityKind.COURT, "IT")
    outcome = check(request(Instrument.EU_EPOC, TRAFFIC, years=2), judge)
    assert codes(outcome) == {RefusalCode.CATEGORY_NOT_ALLOWED_FOR_OFFENCE}
    assert articles(outcome) == {"Regulation (EU) 2023/1543 art. 5(4)"}


def test_emergency_disclosure_needs_an_emergency_and_no_traffic_data() -> None:
    police = authority(AuthorityKind.POLICE)
    ok = request(Instrument.EMERGENCY_DISCLOSURE, SUB, IP, years=0, emergency=True)
    assert isinstance(check(ok, police), Accepted)
    not_urgent = request(Instrument.EMERGENCY_DISCLOSURE, SUB, emergency=False)
    assert codes(check(not_urgent, police)) == {RefusalCode.NOT_AN_EMERGENCY}
    too_much = request(Instrument.EMERGENCY_DISCLOSURE, SUB, TRAFFIC, emergency=True)
    assert codes(check(too_much, police)) == {RefusalCode.CATEGORY_NOT_ALLOWED_FOR_INSTRUMENT}


# Jurisdiction.


def test_a_french_requisition_only_from_a_french_authority() -> None:
    outcome = check(request(), authority(AuthorityKind.POLICE, "BE"))
    assert codes(outcome) == {RefusalCode.WRONG_JURISDICTION}
    assert outcome.refusals[0].ground is RefusalGround.WRONG_JURISDICTION  # type: ignore[union-attr]


@pytest.mark.parametrize(("country", "accepted"), [("DE", True), ("DK", False), ("US", False)])
def test_an_eu_order_only_from_a_member_state_bound_by_regulation_2023_1543(
    country: str, *, accepted: bool
) -> None:
    outcome = check(request(Instrument.EU_EPOC), authority(AuthorityKind.PROSECUTOR, country))
    assert isinstance(outcome, Accepted) is accepted
    if not accepted:
        assert codes(outcome) == {RefusalCode.WRONG_JURISDICTION}


# Dates: only data the platform holds (DSA art. 10; décret 2021-1362).


def test_a_period_ending_after_receipt_is_refused() -> None:
    assert codes(check(request(days=(30, -1)))) == {RefusalCode.DATE_RANGE_IN_FUTURE}


def test_decret_2021_1362_connection_data_older_than_a_year_is_not_held() -> None:
    old = request(Instrument.FR_CPP_60_1, SUB, IP, days=(800, 400))
    outcome = check(old)
    assert codes(outcome) == {RefusalCode.DATE_RANGE_NOT_HELD}
    assert any("2021-1362" in a for a in articles(outcome))
    # Civil identity is held for 5 years after the account ends: still answerable.
    assert isinstance(check(request(Instrument.FR_CPP_60_1, SUB, days=(800, 400))), Accepted)
    # A period overlapping the year held is answered for the part held.
    assert isinstance(check(request(days=(500, 100))), Accepted)


def test_every_refusal_is_reported_at_once() -> None:
    outcome = check(request(Instrument.FR_CPP_99_3, TRAFFIC, years=1, days=(30, -1)))
    assert codes(outcome) == {
        RefusalCode.ISSUER_NOT_ALLOWED,
        RefusalCode.CATEGORY_NOT_ALLOWED_FOR_OFFENCE,
        RefusalCode.DATE_RANGE_IN_FUTURE,
    }


# Narrowing.


def test_a_narrowed_request_is_checked_again_and_passes() -> None:
    over_broad = request(Instrument.FR_CPP_60_1, SUB, IP, TRAFFIC, years=2, online=True)
    assert isinstance(check(over_broad), Refused)
    narrowed = narrow(
        Scope(frozenset(over_broad.categories), over_broad.date_from, over_broad.date_to),
        officer_id="officer-a",
        reason="CPP 60-1-2: traffic data needs 3 years; identification only",
        categories={SUB, IP},
        date_from=over_broad.date_from + timedelta(days=30),
    )
    assert narrowed.removed_categories == {TRAFFIC}
    outcome = check(over_broad, scope=narrowed.after)
    assert isinstance(outcome, Accepted)
    assert outcome.scope == narrowed.after
    assert outcome.scope.date_from == over_broad.date_from + timedelta(days=30)


def test_narrowing_never_widens_and_always_says_why() -> None:
    scope = Scope(frozenset({SUB}), RECEIVED - timedelta(days=10), RECEIVED)
    with pytest.raises(NarrowingError, match="add a category"):
        narrow(scope, officer_id="o", reason="r", categories={SUB, IP})
    with pytest.raises(NarrowingError, match="lengthen"):
        narrow(scope, officer_id="o", reason="r", date_from=scope.date_from - timedelta(days=1))
    with pytest.raises(NarrowingError, match="reason"):
        narrow(scope, officer_id="o", reason="  ", date_to=scope.date_to - timedelta(days=1))
    with pytest.raises(NarrowingError, match="at least one"):
        narrow(scope, officer_id="o", reason="r", categories=set())
    with pytest.raises(NarrowingError, match="changes nothing"):
        narrow(scope, officer_id="o", reason="r", categories={SUB})


# Deadlines (for part 2).

POLICY = DeadlinePolicy(fr_requisition=timedelta(days=5), emergency_disclosure=timedelta(hours=4))


@pytest.mark.parametrize(
    ("req", "after", "article"),
    [
        (request(Instrument.EU_EPOC), timedelta(days=10), "art. 10(2)"),
        (request(Instrument.EU_EPOC, emergency=True), timedelta(hours=8), "art. 10(4)"),
        (request(Instrument.EU_EPOC_PR), timedelta(0), "art. 11(1)"),
        (request(Instrument.FR_CPP_60_2), timedelta(0), "CPP art. 60-2"),
        (request(Instrument.FR_CPP_60_1), timedelta(days=5), "CPP art. 60-1"),
        (request(Instrument.EMERGENCY_DISCLOSURE, emergency=True), timedelta(hours=4), "policy"),
        # No emergency form in CPP art. 60-1 or 60-2, nor for a preservation order: an
        # "emergency" there changes neither the deadline nor the queue.
        (request(Instrument.FR_CPP_77_1_1, emergency=True), timedelta(days=5), "CPP art. 60-1"),
        (request(Instrument.FR_CPP_60_1, emergency=True), timedelta(days=5), "CPP art. 60-1"),
        (request(Instrument.EU_EPOC_PR, emergency=True), timedelta(0), "art. 11(1)"),
    ],
)
def test_each_instrument_has_its_deadline(
    req: LegalRequest, after: timedelta, article: str
) -> None:
    deadline = deadline_for(req, POLICY)
    assert deadline.due_at == RECEIVED + after
    assert article in deadline.article


@pytest.mark.parametrize(
    ("instrument", "counts"),
    [
        (Instrument.EU_EPOC, True),
        (Instrument.EMERGENCY_DISCLOSURE, True),
        (Instrument.FR_CPP_60_1, False),
        (Instrument.FR_CPP_77_1_1, False),
        (Instrument.FR_CPP_99_3, False),
        (Instrument.EU_EPOC_PR, False),
    ],
)
def test_only_instruments_that_provide_for_an_emergency_treat_it_as_one(
    instrument: Instrument, counts: bool
) -> None:
    assert is_emergency(request(instrument, emergency=True)) is counts
    assert not is_emergency(request(instrument, emergency=False))


def test_preservation_periods() -> None:
    assert preservation_ends(Instrument.EU_EPOC_PR, starts_at=RECEIVED) == RECEIVED + timedelta(
        days=60
    )
    assert preservation_ends(
        Instrument.EU_EPOC_PR, starts_at=RECEIVED, extended=True
    ) == RECEIVED + timedelta(days=90)
    assert preservation_ends(Instrument.FR_CPP_60_2, starts_at=RECEIVED) == RECEIVED + timedelta(
        days=365
    )
    assert preservation_ends(Instrument.EU_EPOC, starts_at=RECEIVED) is None


def test_a_scope_wider_than_the_request_is_never_checked() -> None:
    req = request(Instrument.FR_CPP_60_1, SUB)
    wider = Scope(frozenset({SUB, TRAFFIC}), req.date_from, req.date_to)
    with pytest.raises(ValueError, match="within"):
        check(req, scope=wider)


def test_the_checks_line_by_line_agree_with_the_verdict() -> None:
    """What the console shows, one check at a time, with the article of each."""
    asked = request(Instrument.EU_EPOC, emergency=True)
    danish = authority(country="DK")  # Denmark takes no part in Regulation 2023/1543
    lines = law_checks(asked, authority=danish, retention=RETENTION, scope=requested_scope(asked))
    assert [line.name for line in lines] == [
        "authority", "jurisdiction", "issuer", "categories", "emergency", "period",
    ]  # fmt: skip
    assert all(line.article for line in lines)
    failed = {line.name: {r.code for r in line.refusals} for line in lines if not line.passed}
    assert failed == {"jurisdiction": {RefusalCode.WRONG_JURISDICTION}}
    assert set().union(*failed.values()) == codes(check(asked, danish))
    french = law_checks(
        asked, authority=authority(), retention=RETENTION, scope=requested_scope(asked)
    )
    assert all(line.passed for line in french)
    assert isinstance(check(asked), Accepted)
    unknown = law_checks(asked, authority=None, retention=RETENTION, scope=requested_scope(asked))
    assert [(line.name, line.passed) for line in unknown] == [("authority", False)]
