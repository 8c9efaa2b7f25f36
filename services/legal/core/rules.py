"""Legal-basis checks: whether a request may be answered, and for which scope.

:func:`check_request` applies every rule and returns :class:`Accepted` with the approved
scope, or :class:`Refused` with every refusal found (each with its reason code and the
article it comes from). The same function checks a scope a legal officer has narrowed
(:mod:`services.legal.core.narrowing`), so a narrowed request is held to the same law.

Not modelled (no field in the request says so): the other grounds of CPP art. 60-1-2
(3°: the victim's own equipment at their request; 4°: finding a missing person) and the
offences listed in Regulation 2023/1543 art. 5(4), allowed below three years. A request
relying on them is refused and goes to a legal officer's judgement outside this check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.legal.core.model import Authority, AuthorityKind, Refusal, RefusalCode, Scope
from shared.events.legal import AuthorisationKind, DataCategory, Instrument, LegalRequest

FRENCH_INSTRUMENTS = frozenset(
    {
        Instrument.FR_CPP_60_1,
        Instrument.FR_CPP_60_2,
        Instrument.FR_CPP_77_1_1,
        Instrument.FR_CPP_99_3,
    }
)
EU_ORDERS = frozenset({Instrument.EU_EPOC, Instrument.EU_EPOC_PR})
PRESERVATION_INSTRUMENTS = frozenset({Instrument.FR_CPP_60_2, Instrument.EU_EPOC_PR})

#: Member states bound by Regulation (EU) 2023/1543. Denmark takes no part in it and is not
#: bound (Protocol No 22 to the Treaties; recitals of the Regulation).
EU_ORDER_STATES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
#: Member states of the EU, for emergency disclosure requests (platform policy).
EU_MEMBER_STATES = EU_ORDER_STATES | {"DK"}

_POLICE = frozenset({AuthorityKind.POLICE, AuthorityKind.GENDARMERIE})
_JUDGES = frozenset({AuthorityKind.INVESTIGATING_JUDGE, AuthorityKind.COURT})
_JUDICIAL_VALIDATION = frozenset(
    {AuthorisationKind.INVESTIGATING_JUDGE, AuthorisationKind.LIBERTIES_JUDGE}
)
_ANY_VALIDATION = _JUDICIAL_VALIDATION | {AuthorisationKind.PROSECUTOR}
_CONNECTION_DATA = frozenset({DataCategory.IDENTIFICATION, DataCategory.TRAFFIC})


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long the platform holds each kind of data: the law's periods unless configured.

    Décret n° 2021-1362: civil identity (phone numbers among it) 5 years after the account
    ends; connection data 1 year.
    """

    civil_identity_after_account_end: timedelta = timedelta(days=5 * 365 + 1)
    connection_data: timedelta = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class IssuerRule:
    """Who may issue an instrument: some kinds on their own, others with an authorisation."""

    article: str
    direct: frozenset[AuthorityKind]
    authorised: frozenset[AuthorityKind] = frozenset()
    authorisers: frozenset[AuthorisationKind] = frozenset()

    def allows(self, kind: AuthorityKind, authorised_by: AuthorisationKind | None) -> bool:
        """Whether an authority of ``kind``, with ``authorised_by``, may issue it."""
        return kind in self.direct or (
            kind in self.authorised and authorised_by in self.authorisers
        )


ISSUERS: dict[Instrument, IssuerRule] = {
    # The prosecutor or a judicial police officer (OPJ), in a flagrant-offence inquiry.
    Instrument.FR_CPP_60_1: IssuerRule("CPP art. 60-1", _POLICE | {AuthorityKind.PROSECUTOR}),
    # Preservation for up to a year: the OPJ or prosecutor, authorised by a judge.
    Instrument.FR_CPP_60_2: IssuerRule(
        "CPP art. 60-2",
        frozenset(),
        _POLICE | {AuthorityKind.PROSECUTOR},
        frozenset({AuthorisationKind.LIBERTIES_JUDGE}),
    ),
    # Preliminary inquiry: the prosecutor, or police with the prosecutor's authorisation.
    Instrument.FR_CPP_77_1_1: IssuerRule(
        "CPP art. 77-1-1",
        frozenset({AuthorityKind.PROSECUTOR}),
        _POLICE,
        frozenset({AuthorisationKind.PROSECUTOR}),
    ),
    # Judicial investigation: the investigating judge, or an OPJ on the judge's commission.
    Instrument.FR_CPP_99_3: IssuerRule(
        "CPP art. 99-3",
        frozenset({AuthorityKind.INVESTIGATING_JUDGE}),
        _POLICE,
        frozenset({AuthorisationKind.INVESTIGATING_JUDGE}),
    ),
    # Subscriber and identification data: a judge, court or prosecutor, or another
    # competent authority with their validation. (Other traffic data: TRAFFIC_ISSUERS.)
    Instrument.EU_EPOC: IssuerRule(
        "Regulation (EU) 2023/1543 art. 4(1)",
        _JUDGES | {AuthorityKind.PROSECUTOR},
        _POLICE,
        _ANY_VALIDATION,
    ),
    Instrument.EU_EPOC_PR: IssuerRule(
        "Regulation (EU) 2023/1543 art. 4(3)",
        _JUDGES | {AuthorityKind.PROSECUTOR},
        _POLICE,
        _ANY_VALIDATION,
    ),
    # Any registered authority; the emergency itself is checked apart.
    Instrument.EMERGENCY_DISCLOSURE: IssuerRule(
        "GDPR art. 6(1)(d) (vital interests); platform policy", frozenset(AuthorityKind)
    ),
}

#: An EPOC for other traffic data: only a judge or court, or with a judge's validation.
TRAFFIC_ISSUERS = IssuerRule(
    "Regulation (EU) 2023/1543 art. 4(2)",
    _JUDGES,
    _POLICE | {AuthorityKind.PROSECUTOR},
    _JUDICIAL_VALIDATION,
)


@dataclass(frozen=True, slots=True)
class Accepted:
    """The request has a legal basis for ``scope``."""

    scope: Scope


@dataclass(frozen=True, slots=True)
class Refused:
    """The request cannot be answered as it stands."""

    refusals: tuple[Refusal, ...] = field(default_factory=tuple)

    @property
    def codes(self) -> set[RefusalCode]:
        """The reason codes, for tests and counting."""
        return {r.code for r in self.refusals}


def requested_scope(request: LegalRequest) -> Scope:
    """The scope exactly as the authority asked for it."""
    return Scope(frozenset(request.categories), request.date_from, request.date_to)


def check_request(
    request: LegalRequest,
    *,
    authority: Authority | None,
    submitted_by: str,
    retention: RetentionPolicy,
    scope: Scope | None = None,
    preserved_since: datetime | None = None,
) -> Accepted | Refused:
    """Every legal-basis rule applied to ``request`` (or to a narrowed ``scope`` of it).

    ``authority`` is the registered authority the request names (``None`` if unknown);
    ``submitted_by`` the one whose credentials and signature the portal verified;
    ``preserved_since``: the target's data is held from then by a running preservation order.
    """
    asked = requested_scope(request)
    if scope is None:
        scope = asked
    elif not (
        scope.categories <= asked.categories
        and scope.date_from >= asked.date_from
        and scope.date_to <= asked.date_to
    ):
        raise ValueError("a checked scope must lie within what the request asked for")
    if authority is None:
        return Refused((_refuse(RefusalCode.AUTHORITY_UNKNOWN, "the authority is not registered"),))
    refusals = [
        *_authority_rules(request, authority, submitted_by),
        *_jurisdiction_rules(request, authority),
        *_issuer_rules(request, authority, scope),
        *_category_rules(request, scope),
        *_emergency_rules(request),
        *_date_rules(request, scope, held_since(request, retention, preserved_since)),
    ]
    return Refused(tuple(refusals)) if refusals else Accepted(scope)


_REGISTRATION = "DSA art. 10 (the order identifies its issuer); portal registration"


def _refuse(code: RefusalCode, detail: str, article: str = _REGISTRATION) -> Refusal:
    return Refusal(code, article, detail)


def _authority_rules(
    request: LegalRequest, authority: Authority, submitted_by: str
) -> Iterator[Refusal]:
    """The order must identify its issuing authority (DSA art. 10), and we verify who it is."""
    if not authority.active:
        yield _refuse(RefusalCode.AUTHORITY_INACTIVE, "the authority's registration is suspended")
    if submitted_by != request.authority_id:
        yield _refuse(
            RefusalCode.AUTHORITY_NOT_SUBMITTER,
            "the request names another authority than its sender",
        )


def _jurisdiction_rules(request: LegalRequest, authority: Authority) -> Iterator[Refusal]:
    if request.instrument in FRENCH_INSTRUMENTS and authority.country != "FR":
        yield _refuse(
            RefusalCode.WRONG_JURISDICTION,
            "a French réquisition comes only from a French authority",
            "Code de procédure pénale (French authorities only)",
        )
    elif request.instrument in EU_ORDERS and authority.country not in EU_ORDER_STATES:
        yield _refuse(
            RefusalCode.WRONG_JURISDICTION,
            "an EU order comes only from a member state bound by the Regulation",
            "Regulation (EU) 2023/1543 art. 1; Protocol No 22 (Denmark)",
        )
    elif (
        request.instrument is Instrument.EMERGENCY_DISCLOSURE
        and authority.country not in EU_MEMBER_STATES
    ):
        yield _refuse(
            RefusalCode.WRONG_JURISDICTION,
            "emergency disclosures go only to authorities of EU member states",
            "platform policy",
        )


def _issuer_rules(request: LegalRequest, authority: Authority, scope: Scope) -> Iterator[Refusal]:
    rule = ISSUERS[request.instrument]
    if not rule.allows(authority.kind, request.authorised_by):
        code = RefusalCode.ISSUER_NOT_ALLOWED
        if authority.kind in rule.authorised:
            code = RefusalCode.AUTHORISATION_MISSING
        yield _refuse(
            code, f"a {authority.kind.value} cannot issue this instrument so", rule.article
        )
    elif (
        request.instrument is Instrument.EU_EPOC
        and DataCategory.TRAFFIC in scope.categories
        and not TRAFFIC_ISSUERS.allows(authority.kind, request.authorised_by)
    ):
        yield _refuse(
            RefusalCode.CATEGORY_NOT_ALLOWED_FOR_ISSUER,
            "other traffic data is ordered only by a judge or court",
            TRAFFIC_ISSUERS.article,
        )


def _category_rules(request: LegalRequest, scope: Scope) -> Iterator[Refusal]:
    years = request.max_penalty_years
    categories = scope.categories
    if request.instrument in FRENCH_INSTRUMENTS:
        # CPP art. 60-1-2 (for réquisitions under 60-1, 60-2, 77-1-1 and 99-3): connection
        # and traffic data only for an offence punishable by at least 3 years, or by at least
        # 1 year when committed online and the request's sole aim is identifying the author.
        article = "CPP art. 60-1-2"
        sole_aim_identification = DataCategory.TRAFFIC not in categories
        if DataCategory.TRAFFIC in categories and years < 3:
            yield _refuse(
                RefusalCode.CATEGORY_NOT_ALLOWED_FOR_OFFENCE,
                "traffic data needs an offence punishable by at least 3 years",
                article,
            )
        if DataCategory.IDENTIFICATION in categories and not (
            years >= 3 or (years >= 1 and request.committed_online and sole_aim_identification)
        ):
            yield _refuse(
                RefusalCode.CATEGORY_NOT_ALLOWED_FOR_OFFENCE,
                "IP data needs at least 3 years, or at least 1 year for an online offence "
                "when the sole aim is identifying its author",
                article,
            )
    elif request.instrument is Instrument.EU_EPOC:
        # Subscriber and identification data for any criminal offence (art. 5(3)); other
        # traffic data for offences punishable by at least 3 years (art. 5(4)(a)).
        if DataCategory.TRAFFIC in categories and years < 3:
            yield _refuse(
                RefusalCode.CATEGORY_NOT_ALLOWED_FOR_OFFENCE,
                "traffic data needs an offence punishable by at least 3 years",
                "Regulation (EU) 2023/1543 art. 5(4)",
            )
    elif request.instrument is Instrument.EMERGENCY_DISCLOSURE and DataCategory.TRAFFIC in (
        categories
    ):
        # No court order: only what identifies and locates the person (data minimisation).
        yield _refuse(
            RefusalCode.CATEGORY_NOT_ALLOWED_FOR_INSTRUMENT,
            "an emergency disclosure covers subscriber and identification data only",
            "GDPR art. 5(1)(c) and 6(1)(d); platform policy",
        )
    # EU_EPOC_PR: preservation of any category for any criminal offence (art. 6(2)).


def _emergency_rules(request: LegalRequest) -> Iterator[Refusal]:
    if request.instrument is Instrument.EMERGENCY_DISCLOSURE and not request.emergency:
        yield _refuse(
            RefusalCode.NOT_AN_EMERGENCY,
            "an emergency disclosure needs an imminent threat to life or safety",
            "GDPR art. 6(1)(d); platform policy",
        )


def held_since(
    request: LegalRequest, retention: RetentionPolicy, preserved_since: datetime | None = None
) -> datetime:
    """The oldest connection data the platform still holds for the request's target.

    One year before the request (décret n° 2021-1362 art. 1), or earlier where a running
    preservation order kept the account's data from retention: data a preservation order
    kept counts as held for the production order that follows it (Regulation (EU)
    2023/1543 art. 11(1); CPP art. 60-2).
    """
    held = request.received_at - retention.connection_data
    if preserved_since is not None:
        held = min(held, preserved_since)
    return held


def held_scope(
    request: LegalRequest,
    scope: Scope,
    retention: RetentionPolicy,
    preserved_since: datetime | None = None,
) -> Scope | None:
    """``scope`` narrowed to what is still held, when it asks for older connection data.

    A scope of connection data (identification, traffic) that starts before the retention
    limit and ends after it is narrowed to start at the limit: the rest no longer exists
    (décret n° 2021-1362 art. 1). A scope with subscriber data is not narrowed: an account's
    civil identity is held for 5 years after it ends, so the older period still holds it.
    None when nothing needs narrowing (or nothing at all is held: the checks refuse it).
    """
    if DataCategory.SUBSCRIBER in scope.categories or not scope.categories & _CONNECTION_DATA:
        return None
    limit = held_since(request, retention, preserved_since)
    if not scope.date_from < limit <= scope.date_to:
        return None
    return Scope(scope.categories, limit, scope.date_to)


def _date_rules(request: LegalRequest, scope: Scope, held: datetime) -> Iterator[Refusal]:
    # An order can only ask for data the provider already holds (DSA art. 10).
    if scope.date_to > request.received_at:
        yield _refuse(
            RefusalCode.DATE_RANGE_IN_FUTURE,
            "the period ends after the request was received",
            "DSA art. 10 (data already held)",
        )
    if scope.categories & _CONNECTION_DATA and scope.date_to < held:
        yield _refuse(
            RefusalCode.DATE_RANGE_NOT_HELD,
            "connection data of that period is past its retention and no longer held",
            "décret n° 2021-1362 (connection data: 1 year); DSA art. 10",
        )


@dataclass(frozen=True, slots=True)
class CheckLine:
    """One family of the law's checks as an officer reads it: passed, or why not."""

    name: str  # authority, jurisdiction, issuer, categories, emergency, period
    article: str
    refusals: tuple[Refusal, ...] = ()

    @property
    def passed(self) -> bool:
        """Whether the request passes this check."""
        return not self.refusals


_CATEGORY_ARTICLES = {
    Instrument.EU_EPOC: "Regulation (EU) 2023/1543 art. 5",
    Instrument.EU_EPOC_PR: "Regulation (EU) 2023/1543 art. 6(2)",
    Instrument.EMERGENCY_DISCLOSURE: "GDPR art. 5(1)(c) and 6(1)(d); platform policy",
}
_JURISDICTION_ARTICLES = {
    **dict.fromkeys(FRENCH_INSTRUMENTS, "Code de procédure pénale (French authorities only)"),
    **dict.fromkeys(EU_ORDERS, "Regulation (EU) 2023/1543 art. 1; Protocol No 22 (Denmark)"),
    Instrument.EMERGENCY_DISCLOSURE: "platform policy (EU member states)",
}


def law_checks(
    request: LegalRequest,
    *,
    authority: Authority | None,
    retention: RetentionPolicy,
    scope: Scope,
    preserved_since: datetime | None = None,
) -> list[CheckLine]:
    """Each check :func:`check_request` applies, with its article and what it found.

    The same rules, shown one family at a time (an officer's page); ``check_request``
    remains what decides.
    """
    if authority is None:
        unknown = _refuse(RefusalCode.AUTHORITY_UNKNOWN, "the authority is not registered")
        return [CheckLine("authority", _REGISTRATION, (unknown,))]
    instrument = request.instrument
    held = held_since(request, retention, preserved_since)
    jurisdiction = _JURISDICTION_ARTICLES[instrument]
    categories = _CATEGORY_ARTICLES.get(instrument, "CPP art. 60-1-2")
    period = "DSA art. 10 (data already held); décret n° 2021-1362"
    lines = [
        ("authority", _REGISTRATION, _authority_rules(request, authority, request.authority_id)),
        ("jurisdiction", jurisdiction, _jurisdiction_rules(request, authority)),
        ("issuer", ISSUERS[instrument].article, _issuer_rules(request, authority, scope)),
        ("categories", categories, _category_rules(request, scope)),
        ("period", period, _date_rules(request, scope, held)),
    ]
    if instrument is Instrument.EMERGENCY_DISCLOSURE or request.emergency:
        lines.insert(
            4, ("emergency", "Regulation (EU) 2023/1543 art. 3(18)", _emergency_rules(request))
        )
    return [CheckLine(name, article, tuple(found)) for name, article, found in lines]
