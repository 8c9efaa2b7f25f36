"""Statements of reasons (DSA art. 17 and 24(5)) in the EU Transparency Database format.

The format, its enums and its rules follow ``/work/shared/DSA-SOR.md`` (API "v2" schema, in
force since 1 July 2025). ``validate_statement`` is stricter than the server in a few places,
on purpose: whatever the server would silently drop or only the docs require is reported,
so that a statement we send always says what we meant.

How Crible's categories map to the DSA taxonomy (``category`` is ``STATEMENT_CATEGORY_`` +
the second column; the keywords go to ``category_specification`` as ``KEYWORD_`` + the third):

=============================== ===================================== ==========================
Crible ``Category``             DSA category                          keywords
=============================== ===================================== ==========================
child_sexual_abuse              PROTECTION_OF_MINORS                  CHILD_SEXUAL_ABUSE_MATERIAL
terrorism_violent_extremism     RISK_FOR_PUBLIC_SECURITY              TERRORIST_CONTENT
illegal_goods_drugs             UNSAFE_AND_PROHIBITED_PRODUCTS        PROHIBITED_PRODUCTS
ip_infringement                 INTELLECTUAL_PROPERTY_INFRINGEMENTS   COPYRIGHT_INFRINGEMENT
fraud_scam                      SCAMS_AND_FRAUD                       none (subtype unknown)
non_consensual_intimate_imagery CYBER_VIOLENCE                        NON_CONSENSUAL_IMAGE_SHARING
hate_speech                     ILLEGAL_OR_HARMFUL_SPEECH             HATE_SPEECH
harassment_threats              CYBER_VIOLENCE                        CYBER_HARASSMENT
self_harm                       SELF_HARM                             none (subtype unknown)
spam                            OTHER_VIOLATION_TC                    OTHER, with other = "Spam"
other                           OTHER_VIOLATION_TC                    none
=============================== ===================================== ==========================

How outcomes map to the decision fields (through ``decisions.enforcement``, so a user measure
on a message also reports the message's removal):

- a removed message, profile or chat profile: ``DECISION_VISIBILITY_CONTENT_REMOVED``;
- restrict_user: ``DECISION_PROVISION_PARTIAL_SUSPENSION``;
- suspend_user: ``DECISION_ACCOUNT_SUSPENDED``; ban_user: ``DECISION_ACCOUNT_TERMINATED``;
- ban_group_or_channel: ``DECISION_PROVISION_PARTIAL_TERMINATION`` and
  ``DECISION_VISIBILITY_CONTENT_DISABLED`` (the chat's content becomes unreachable);
- report_to_authorities: the takedown it implies (preserving and referring are no restriction);
- no_violation: no statement. Crible takes no monetary decisions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Final, Literal, get_args
from urllib.parse import urlsplit
from uuid import UUID

from annotated_types import MinLen
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationError
from pydantic_core import ErrorDetails

from services.dispatch.decisions import enforcement
from shared.events.decisions import DecisionOutcome as Outcome
from shared.events.enforcement import Action
from shared.events.reports import Category, SubjectKind

# --- Enums of the format (exact constant strings) ---------------------------------------------

DecisionVisibility = Literal[
    "DECISION_VISIBILITY_CONTENT_REMOVED",
    "DECISION_VISIBILITY_CONTENT_DISABLED",
    "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    "DECISION_VISIBILITY_CONTENT_LABELLED",
    "DECISION_VISIBILITY_OTHER",
]
DecisionMonetary = Literal[
    "DECISION_MONETARY_SUSPENSION", "DECISION_MONETARY_TERMINATION", "DECISION_MONETARY_OTHER"
]
DecisionProvision = Literal[
    "DECISION_PROVISION_PARTIAL_SUSPENSION",
    "DECISION_PROVISION_TOTAL_SUSPENSION",
    "DECISION_PROVISION_PARTIAL_TERMINATION",
    "DECISION_PROVISION_TOTAL_TERMINATION",
]
DecisionAccount = Literal["DECISION_ACCOUNT_SUSPENDED", "DECISION_ACCOUNT_TERMINATED"]
AccountType = Literal["ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"]
DecisionGround = Literal["DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"]
YesNo = Literal["Yes", "No"]
ContentType = Literal[
    "CONTENT_TYPE_APP",
    "CONTENT_TYPE_AUDIO",
    "CONTENT_TYPE_IMAGE",
    "CONTENT_TYPE_PRODUCT",
    "CONTENT_TYPE_SYNTHETIC_MEDIA",
    "CONTENT_TYPE_TEXT",
    "CONTENT_TYPE_VIDEO",
    "CONTENT_TYPE_OTHER",
]
StatementCategory = Literal[
    "STATEMENT_CATEGORY_ANIMAL_WELFARE",
    "STATEMENT_CATEGORY_CONSUMER_INFORMATION",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE",
    "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS",
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE",
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    "STATEMENT_CATEGORY_SELF_HARM",
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
    "STATEMENT_CATEGORY_VIOLENCE",
]
Keyword = Literal[
    "KEYWORD_ANIMAL_HARM",
    "KEYWORD_UNLAWFUL_SALE_ANIMALS",
    "KEYWORD_HIDDEN_ADVERTISEMENT",
    "KEYWORD_INSUFFICIENT_INFORMATION_ON_TRADERS",
    "KEYWORD_MISLEADING_INFO_GOODS_SERVICES",
    "KEYWORD_MISLEADING_INFO_CONSUMER_RIGHTS",
    "KEYWORD_NONCOMPLIANCE_PRICING",
    "KEYWORD_CYBER_BULLYING_INTIMIDATION",
    "KEYWORD_CYBER_HARASSMENT",
    "KEYWORD_CYBER_INCITEMENT",
    "KEYWORD_CYBER_STALKING",
    "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING",
    "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE",
    "KEYWORD_BULLYING_AGAINST_GIRLS",
    "KEYWORD_CYBER_HARASSMENT_AGAINST_WOMEN",
    "KEYWORD_CYBER_STALKING_AGAINST_WOMEN",
    "KEYWORD_FEMALE_GENDERED_DISINFORMATION",
    "KEYWORD_INCITEMENT_AGAINST_WOMEN",
    "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN",
    "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN",
    "KEYWORD_BIOMETRIC_DATA_BREACH",
    "KEYWORD_DATA_FALSIFICATION",
    "KEYWORD_MISSING_PROCESSING_GROUND",
    "KEYWORD_RIGHT_TO_BE_FORGOTTEN",
    "KEYWORD_DEFAMATION",
    "KEYWORD_DISCRIMINATION",
    "KEYWORD_HATE_SPEECH",
    "KEYWORD_COPYRIGHT_INFRINGEMENT",
    "KEYWORD_DESIGN_INFRINGEMENT",
    "KEYWORD_GEOGRAPHIC_INDICATIONS_INFRINGEMENT",
    "KEYWORD_PATENT_INFRINGEMENT",
    "KEYWORD_TRADE_SECRET_INFRINGEMENT",
    "KEYWORD_TRADEMARK_INFRINGEMENT",
    "KEYWORD_MISINFORMATION_DISINFORMATION",
    "KEYWORD_VIOLATION_EU_LAW",
    "KEYWORD_VIOLATION_NATIONAL_LAW",
    "KEYWORD_ADULT_SEXUAL_MATERIAL",
    "KEYWORD_AGE_SPECIFIC_RESTRICTIONS",
    "KEYWORD_GEOGRAPHICAL_REQUIREMENTS",
    "KEYWORD_GOODS_SERVICES_NOT_PERMITTED",
    "KEYWORD_LANGUAGE_REQUIREMENTS",
    "KEYWORD_NUDITY",
    "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS",
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
    "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE",
    "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS",
    "KEYWORD_UNSAFE_CHALLENGES",
    "KEYWORD_ILLEGAL_ORGANIZATIONS",
    "KEYWORD_RISK_ENVIRONMENTAL_DAMAGE",
    "KEYWORD_RISK_PUBLIC_HEALTH",
    "KEYWORD_TERRORIST_CONTENT",
    "KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING",
    "KEYWORD_INAUTHENTIC_ACCOUNTS",
    "KEYWORD_INAUTHENTIC_LISTINGS",
    "KEYWORD_INAUTHENTIC_USER_REVIEWS",
    "KEYWORD_PHISHING",
    "KEYWORD_PYRAMID_SCHEMES",
    "KEYWORD_CONTENT_PROMOTING_EATING_DISORDERS",
    "KEYWORD_SELF_MUTILATION",
    "KEYWORD_SUICIDE",
    "KEYWORD_PROHIBITED_PRODUCTS",
    "KEYWORD_UNSAFE_PRODUCTS",
    "KEYWORD_COORDINATED_HARM",
    "KEYWORD_INCITEMENT_VIOLENCE_HATRED",
    "KEYWORD_HUMAN_EXPLOITATION",
    "KEYWORD_HUMAN_TRAFFICKING",
    "KEYWORD_TRAFFICKING_WOMEN_GIRLS",
    "KEYWORD_OTHER",
    "KEYWORD_STALKING",
]
SourceType = Literal[
    "SOURCE_ARTICLE_16",
    "SOURCE_TRUSTED_FLAGGER",
    "SOURCE_TYPE_OTHER_NOTIFICATION",
    "SOURCE_VOLUNTARY",
]
AutomatedDecision = Literal[
    "AUTOMATED_DECISION_FULLY", "AUTOMATED_DECISION_PARTIALLY", "AUTOMATED_DECISION_NOT_AUTOMATED"
]
CountryCode = Literal[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
]  # fmt: skip

#: Every accepted ``territorial_scope`` code: the European Economic Area, sorted.
EEA_COUNTRIES: Final[tuple[CountryCode, ...]] = get_args(CountryCode)
#: The 27 EU member states (the EEA without Iceland, Liechtenstein and Norway).
EU_COUNTRIES: Final[tuple[CountryCode, ...]] = tuple(
    c for c in EEA_COUNTRIES if c not in ("IS", "LI", "NO")
)

#: ISO 639-1 codes the server accepts for ``content_language`` (uppercase; Greek is EL).
LANGUAGES: Final[frozenset[str]] = frozenset((
    "AB", "AA", "AF", "AK", "SQ", "AM", "AR", "AN", "HY", "AS", "AV", "AE", "AY", "AZ", "BM",
    "BA", "EU", "BE", "BN", "BH", "BI", "BS", "BR", "BG", "MY", "CA", "KM", "CH", "CE", "NY",
    "ZH", "CU", "CV", "KW", "CO", "CR", "HR", "CS", "DA", "DV", "NL", "DZ", "EN", "EO", "ET",
    "EE", "FO", "FJ", "FI", "FR", "FF", "GD", "GL", "LG", "KA", "DE", "KI", "EL", "KL", "GN",
    "GU", "HT", "HA", "HE", "HZ", "HI", "HO", "HU", "IS", "IO", "IG", "ID", "IA", "IE", "IU",
    "IK", "GA", "IT", "JA", "JV", "KN", "KR", "KS", "KK", "RW", "KV", "KG", "KO", "KJ", "KU",
    "KY", "LO", "LA", "LV", "LB", "LI", "LN", "LT", "LU", "MK", "MG", "MS", "ML", "MT", "GV",
    "MI", "MR", "MH", "RO", "MN", "NA", "NV", "ND", "NG", "NE", "SE", "NO", "NB", "NN", "II",
    "OC", "OJ", "OR", "OM", "OS", "PI", "PA", "PS", "FA", "PL", "PT", "QU", "RM", "RN", "RU",
    "SM", "SG", "SA", "SC", "SR", "SN", "SD", "SI", "SK", "SL", "SO", "ST", "NR", "ES", "SU",
    "SW", "SS", "SV", "TL", "TY", "TG", "TA", "TT", "TE", "TH", "BO", "TI", "TO", "TS", "TN",
    "TR", "TK", "TW", "UG", "UK", "UR", "UZ", "VE", "VI", "VO", "WA", "CY", "FY", "WO", "XH",
    "YI", "YO", "ZA", "ZU",
))  # fmt: skip

#: The keyword groups of the explanation page. Guidance only on the server's side; here a
#: keyword must belong to ``category`` or a ``category_addition`` (see ``UNGROUPED_KEYWORDS``).
KEYWORDS_BY_CATEGORY: Final[Mapping[StatementCategory, frozenset[Keyword]]] = {
    "STATEMENT_CATEGORY_ANIMAL_WELFARE": frozenset(
        {"KEYWORD_ANIMAL_HARM", "KEYWORD_UNLAWFUL_SALE_ANIMALS"}
    ),
    "STATEMENT_CATEGORY_CONSUMER_INFORMATION": frozenset(
        {
            "KEYWORD_HIDDEN_ADVERTISEMENT",
            "KEYWORD_INSUFFICIENT_INFORMATION_ON_TRADERS",
            "KEYWORD_MISLEADING_INFO_GOODS_SERVICES",
            "KEYWORD_MISLEADING_INFO_CONSUMER_RIGHTS",
            "KEYWORD_NONCOMPLIANCE_PRICING",
        }
    ),
    "STATEMENT_CATEGORY_CYBER_VIOLENCE": frozenset(
        {
            "KEYWORD_CYBER_BULLYING_INTIMIDATION",
            "KEYWORD_CYBER_HARASSMENT",
            "KEYWORD_CYBER_INCITEMENT",
            "KEYWORD_CYBER_STALKING",
            "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING",
            "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE",
        }
    ),
    "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN": frozenset(
        {
            "KEYWORD_BULLYING_AGAINST_GIRLS",
            "KEYWORD_CYBER_HARASSMENT_AGAINST_WOMEN",
            "KEYWORD_CYBER_STALKING_AGAINST_WOMEN",
            "KEYWORD_FEMALE_GENDERED_DISINFORMATION",
            "KEYWORD_INCITEMENT_AGAINST_WOMEN",
            "KEYWORD_NON_CONSENSUAL_IMAGE_SHARING_AGAINST_WOMEN",
            "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE_AGAINST_WOMEN",
        }
    ),
    "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS": frozenset(
        {
            "KEYWORD_BIOMETRIC_DATA_BREACH",
            "KEYWORD_DATA_FALSIFICATION",
            "KEYWORD_MISSING_PROCESSING_GROUND",
            "KEYWORD_RIGHT_TO_BE_FORGOTTEN",
        }
    ),
    "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH": frozenset(
        {"KEYWORD_DEFAMATION", "KEYWORD_DISCRIMINATION", "KEYWORD_HATE_SPEECH"}
    ),
    "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS": frozenset(
        {
            "KEYWORD_COPYRIGHT_INFRINGEMENT",
            "KEYWORD_DESIGN_INFRINGEMENT",
            "KEYWORD_GEOGRAPHIC_INDICATIONS_INFRINGEMENT",
            "KEYWORD_PATENT_INFRINGEMENT",
            "KEYWORD_TRADE_SECRET_INFRINGEMENT",
            "KEYWORD_TRADEMARK_INFRINGEMENT",
        }
    ),
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS": frozenset(
        {
            "KEYWORD_MISINFORMATION_DISINFORMATION",
            "KEYWORD_VIOLATION_EU_LAW",
            "KEYWORD_VIOLATION_NATIONAL_LAW",
        }
    ),
    "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE": frozenset(),
    "STATEMENT_CATEGORY_OTHER_VIOLATION_TC": frozenset(
        {
            "KEYWORD_ADULT_SEXUAL_MATERIAL",
            "KEYWORD_AGE_SPECIFIC_RESTRICTIONS",
            "KEYWORD_GEOGRAPHICAL_REQUIREMENTS",
            "KEYWORD_GOODS_SERVICES_NOT_PERMITTED",
            "KEYWORD_LANGUAGE_REQUIREMENTS",
            "KEYWORD_NUDITY",
        }
    ),
    "STATEMENT_CATEGORY_PROTECTION_OF_MINORS": frozenset(
        {
            "KEYWORD_AGE_SPECIFIC_RESTRICTIONS_MINORS",
            "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
            "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL_DEEPFAKE",
            "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS",
            "KEYWORD_UNSAFE_CHALLENGES",
        }
    ),
    "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY": frozenset(
        {
            "KEYWORD_ILLEGAL_ORGANIZATIONS",
            "KEYWORD_RISK_ENVIRONMENTAL_DAMAGE",
            "KEYWORD_RISK_PUBLIC_HEALTH",
            "KEYWORD_TERRORIST_CONTENT",
        }
    ),
    "STATEMENT_CATEGORY_SCAMS_AND_FRAUD": frozenset(
        {
            "KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING",
            "KEYWORD_INAUTHENTIC_ACCOUNTS",
            "KEYWORD_INAUTHENTIC_LISTINGS",
            "KEYWORD_INAUTHENTIC_USER_REVIEWS",
            "KEYWORD_PHISHING",
            "KEYWORD_PYRAMID_SCHEMES",
        }
    ),
    "STATEMENT_CATEGORY_SELF_HARM": frozenset(
        {
            "KEYWORD_CONTENT_PROMOTING_EATING_DISORDERS",
            "KEYWORD_SELF_MUTILATION",
            "KEYWORD_SUICIDE",
        }
    ),
    "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS": frozenset(
        {"KEYWORD_PROHIBITED_PRODUCTS", "KEYWORD_UNSAFE_PRODUCTS"}
    ),
    "STATEMENT_CATEGORY_VIOLENCE": frozenset(
        {
            "KEYWORD_COORDINATED_HARM",
            "KEYWORD_INCITEMENT_VIOLENCE_HATRED",
            "KEYWORD_HUMAN_EXPLOITATION",
            "KEYWORD_HUMAN_TRAFFICKING",
            "KEYWORD_TRAFFICKING_WOMEN_GIRLS",
        }
    ),
}
#: Keywords in no group: allowed with any category.
UNGROUPED_KEYWORDS: Final[frozenset[Keyword]] = frozenset({"KEYWORD_OTHER", "KEYWORD_STALKING"})

# --- Field types -------------------------------------------------------------------------------

_LAST_DATE: Final = date(2038, 1, 1)
_YMD = re.compile(r"\d{4}-\d{2}-\d{2}")


#: What the server trims from both ends of every string before validating it (Laravel's
#: ``TrimStrings``, ``Str::trim``: PCRE's ``\s`` in Unicode mode, NUL, and the zero-width no-break
#: space, zero-width space and left-to-right mark), then turning "" into null.
_SERVER_TRIMMED: Final = (
    "\x00\t\n\x0b\x0c\r \x85\xa0\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\u200b\u200e"
)


def server_trim(value: str) -> str:
    """``value`` as the server validates it: trimmed of whitespace and zero-width characters."""
    return value.strip(_SERVER_TRIMMED)


def _not_blank(value: str) -> str:
    # The server trims input and turns "" into null, so blank text counts as absent.
    if not server_trim(value):
        raise ValueError("must not be blank")
    return value


def _within(limit: int) -> Callable[[str], str]:
    # The server counts characters after trimming.
    def check(value: str) -> str:
        if len(server_trim(value)) > limit:
            raise ValueError(f"must be at most {limit} characters once trimmed")
        return _not_blank(value)

    return check


def _parse_ymd(value: str) -> date:
    # PHP's date_format:Y-m-d wants exactly four-two-two digits, zero-padded, and a real day.
    if not _YMD.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a real calendar date (YYYY-MM-DD)") from None


def _date_between(first: date, last: date) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not first <= _parse_ymd(value) <= last:
            raise ValueError(f"must be from {first} to {last}")
        return value

    return check


def _end_date(value: str) -> str:
    # Blank means an indefinite restriction.
    if server_trim(value) and _parse_ymd(value) > _LAST_DATE:
        raise ValueError(f"must be no later than {_LAST_DATE}")
    return value


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", value):
        raise ValueError("must be a valid http(s) URL")
    return value


def _language(value: str) -> str:
    if value not in LANGUAGES:
        raise ValueError("must be an uppercase ISO 639-1 language code")
    return value


Text500 = Annotated[str, AfterValidator(_within(500))]
Text2000 = Annotated[str, AfterValidator(_within(2000))]
Text5000 = Annotated[str, AfterValidator(_within(5000))]
Url500 = Annotated[str, StringConstraints(max_length=500), AfterValidator(_url)]
Puid = Annotated[str, StringConstraints(max_length=500, pattern=r"^[a-zA-Z0-9_-]+$")]
Ean13 = Annotated[str, StringConstraints(pattern=r"^[0-9]{13}$")]
Language = Annotated[str, AfterValidator(_language)]
ContentDate = Annotated[str, AfterValidator(_date_between(date(2000, 1, 1), _LAST_DATE))]
ApplicationDate = Annotated[str, AfterValidator(_date_between(date(2020, 1, 1), _LAST_DATE))]
EndDate = Annotated[str, AfterValidator(_end_date)]


class StatementOfReasons(BaseModel):
    """One statement, field for field as the Transparency Database API takes it.

    Types, enums and lengths only; the rules between fields live in ``validate_statement``.
    ``territorial_scope`` is required as the docs say, though the server accepts it missing.
    """

    # Strict: the server takes enum values and "Yes"/"No" as strings, never booleans.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    decision_visibility: Annotated[list[DecisionVisibility], MinLen(1)] | None = None
    decision_visibility_other: Text500 | None = None
    decision_monetary: DecisionMonetary | None = None
    decision_monetary_other: Text500 | None = None
    decision_provision: DecisionProvision | None = None
    decision_account: DecisionAccount | None = None
    account_type: AccountType | None = None
    decision_facts: Text5000
    decision_ground: DecisionGround
    decision_ground_reference_url: Url500 | None = None
    illegal_content_legal_ground: Text500 | None = None
    illegal_content_explanation: Text2000 | None = None
    incompatible_content_ground: Text500 | None = None
    incompatible_content_explanation: Text2000 | None = None
    incompatible_content_illegal: YesNo | None = None
    content_type: Annotated[list[ContentType], MinLen(1)]
    content_type_other: Text500 | None = None
    category: StatementCategory
    category_addition: list[StatementCategory] | None = None
    category_specification: list[Keyword] | None = None
    category_specification_other: Text500 | None = None
    content_id: dict[Literal["EAN-13"], Ean13] | None = None
    territorial_scope: list[CountryCode]
    content_language: Language | None = None
    content_date: ContentDate
    application_date: ApplicationDate
    end_date_account_restriction: EndDate | None = None
    end_date_monetary_restriction: EndDate | None = None
    end_date_service_restriction: EndDate | None = None
    end_date_visibility_restriction: EndDate | None = None
    source_type: SourceType
    source_identity: Text500 | None = None
    automated_detection: YesNo
    automated_decision: AutomatedDecision
    puid: Puid


# --- Validation --------------------------------------------------------------------------------

_DECISIONS = ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")
_END_DATES = (
    "end_date_account_restriction",
    "end_date_monetary_restriction",
    "end_date_service_restriction",
    "end_date_visibility_restriction",
)
_ILLEGAL_FIELDS = ("illegal_content_legal_ground", "illegal_content_explanation")
_INCOMPATIBLE_FIELDS = ("incompatible_content_ground", "incompatible_content_explanation")
_KNOWN_KEYWORDS: Final[frozenset[str]] = frozenset(get_args(Keyword))
_KEYWORDS_OF: Final[dict[str, frozenset[str]]] = dict(KEYWORDS_BY_CATEGORY.items())


def validate_statement(data: Mapping[str, Any]) -> list[str]:
    """Every way ``data`` breaks the format, as ``"<field>: <problem>"``; empty when valid.

    Besides what the server enforces, this reports what it would silently drop (a ``*_other``
    text without its OTHER value, a ground's text under the other ground, a source identity of
    a voluntary action, ``category_specification_other`` without ``KEYWORD_OTHER`` on the batch
    endpoint), a missing ``territorial_scope`` (required by the docs), end dates before the
    application date (the docs forbid it, the server does not check), and keywords outside the
    groups of the statement's categories.
    """
    if not isinstance(data, Mapping):
        return ["statement: must be a JSON object"]
    return _field_errors(data) + _cross_field_errors(data)


def _field_errors(data: Mapping[str, Any]) -> list[str]:
    try:
        StatementOfReasons.model_validate(data)
    except ValidationError as exc:
        return [_describe(error) for error in exc.errors()]
    return []


_PATTERN_HINTS: Final = {
    "puid": "may only hold the characters a-z, A-Z, 0-9, '-' and '_'",
    "content_id": "must be exactly 13 digits",
}


def _describe(error: ErrorDetails) -> str:
    """``"<field>: <problem>"``, naming the item or key inside a list or an object."""
    field, *inner = error["loc"] or ("statement",)
    where = "".join(
        f"item {part}: " if isinstance(part, int) else f"{part!r}: "
        for part in inner
        if part != "[key]"
    )
    match error["type"]:
        case "missing":
            problem = "is required"
        case "extra_forbidden":
            problem = "is not a field of the statement format"
        case "literal_error":
            problem = f"{error['input']!r} is not an allowed value"
        case "string_pattern_mismatch":
            problem = _PATTERN_HINTS.get(str(field), error["msg"])
        case "value_error":
            # Our own validators' messages, without pydantic's "Value error, " prefix.
            problem = str(error["ctx"]["error"])
        case _:
            problem = error["msg"]
    return f"{field}: {where}{problem}"


def _given(value: object) -> bool:
    """Whether the server would see a value: null, blank text and empty lists count as absent."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(server_trim(value))
    if isinstance(value, list | dict):
        return bool(value)
    return True


def _contains(data: Mapping[str, Any], field: str, value: str) -> bool:
    got = data.get(field)
    return got == value or (isinstance(got, list) and value in got)


def _cross_field_errors(data: Mapping[str, Any]) -> list[str]:
    return [
        *_decision_errors(data),
        *_other_text_errors(data),
        *_ground_errors(data),
        *_keyword_errors(data),
        *_date_order_errors(data),
        *_source_errors(data),
    ]


def _decision_errors(data: Mapping[str, Any]) -> list[str]:
    if any(_given(data.get(field)) for field in _DECISIONS):
        return []
    return [f"decision: at least one of {', '.join(_DECISIONS)} is required"]


def _other_text_errors(data: Mapping[str, Any]) -> list[str]:
    errors = []
    for choice, other_value, text in (
        ("decision_visibility", "DECISION_VISIBILITY_OTHER", "decision_visibility_other"),
        ("decision_monetary", "DECISION_MONETARY_OTHER", "decision_monetary_other"),
        ("content_type", "CONTENT_TYPE_OTHER", "content_type_other"),
    ):
        chosen = _contains(data, choice, other_value)
        if chosen and not _given(data.get(text)):
            errors.append(f"{text}: is required when {choice} is {other_value}")
        elif not chosen and _given(data.get(text)):
            errors.append(f"{text}: is only kept when {choice} is {other_value}")
    return errors


def _ground_errors(data: Mapping[str, Any]) -> list[str]:
    ground = data.get("decision_ground")
    required: tuple[str, ...]
    dropped: tuple[str, ...]
    if ground == "DECISION_GROUND_ILLEGAL_CONTENT":
        required, dropped = _ILLEGAL_FIELDS, (*_INCOMPATIBLE_FIELDS, "incompatible_content_illegal")
    elif ground == "DECISION_GROUND_INCOMPATIBLE_CONTENT":
        required, dropped = _INCOMPATIBLE_FIELDS, _ILLEGAL_FIELDS
    else:
        return []  # a missing or unknown ground is already reported by the field check
    errors = [
        f"{f}: is required when decision_ground is {ground}"
        for f in required
        if not _given(data.get(f))
    ]
    errors += [
        f"{f}: is only kept with the other decision ground" for f in dropped if _given(data.get(f))
    ]
    return errors


def _keyword_errors(data: Mapping[str, Any]) -> list[str]:
    keywords = data.get("category_specification")
    keywords = keywords if isinstance(keywords, list) else []
    errors = []
    if _given(data.get("category_specification_other")) and "KEYWORD_OTHER" not in keywords:
        errors.append(
            "category_specification_other: is only kept when category_specification has"
            " KEYWORD_OTHER"
        )
    categories = [data.get("category")]
    additions = data.get("category_addition")
    if isinstance(additions, list):
        categories += additions
    allowed: set[str] = set(UNGROUPED_KEYWORDS)
    for category in categories:
        if isinstance(category, str):
            allowed |= _KEYWORDS_OF.get(category, frozenset())
    errors += [
        f"category_specification: {k} belongs to none of the statement's categories"
        for k in keywords
        if isinstance(k, str) and k in _KNOWN_KEYWORDS and k not in allowed
    ]
    return errors


def _date_order_errors(data: Mapping[str, Any]) -> list[str]:
    applied = _date_or_none(data.get("application_date"))
    if applied is None:
        return []
    return [
        f"{field}: must not be before application_date"
        for field in _END_DATES
        if (end := _date_or_none(data.get(field))) is not None and end < applied
    ]


def _date_or_none(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return _parse_ymd(value)
    except ValueError:
        return None


def _source_errors(data: Mapping[str, Any]) -> list[str]:
    if data.get("source_type") == "SOURCE_VOLUNTARY" and _given(data.get("source_identity")):
        return ["source_identity: is dropped when source_type is SOURCE_VOLUNTARY"]
    return []


# --- Building a statement from a decision ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IllegalContent:
    """Ground: the content is illegal; names the law and explains why it applies."""

    legal_ground: str
    explanation: str


@dataclass(frozen=True, slots=True)
class IncompatibleContent:
    """Ground: the content breaks the terms and conditions; quotes the clause and explains."""

    #: The clause's own text (``incompatible_content_ground``), not a code.
    clause: str
    explanation: str
    #: Whether the content is also considered illegal; None leaves the field out.
    also_illegal: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionFacts:
    """What a review decision knows that a statement of reasons needs.

    Every free text (``facts``, the ground's texts, ``source_identity``) is published by the
    Commission: callers pass no personal data (no names, handles, phone numbers, message
    text). The builder copies the texts as given and adds nothing about the users.
    """

    #: The decision's unique id; the statement's PUID derives from it.
    decision_id: UUID
    category: Category
    outcome: Outcome
    #: What was reported, which decides what an outcome did (see ``decisions.enforcement``).
    subject_kind: SubjectKind
    ground: IllegalContent | IncompatibleContent
    #: Standard wording of the facts and circumstances (``decision_facts``), no personal data.
    facts: str
    content_types: tuple[ContentType, ...]
    content_type_other: str | None = None
    #: When the content was posted or the account created.
    content_date: date
    #: When the decision was taken.
    application_date: date
    #: Until when a restriction or suspension lasts; None: indefinite.
    restriction_ends: date | None = None
    automated_detection: bool
    automated_decision: AutomatedDecision
    source_type: SourceType
    #: Who notified, e.g. a trusted flagger's name; never a private person. Ignored if voluntary.
    source_identity: str | None = None
    #: Where the restriction applies: where the law or the terms applied are in force.
    territorial_scope: tuple[CountryCode, ...] = EEA_COUNTRIES
    content_language: str | None = None
    account_type: AccountType | None = None
    #: A public link to the law or the terms applied.
    ground_reference_url: str | None = None


class InvalidStatementError(ValueError):
    """The facts given make a statement the format refuses; ``errors`` says why."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


#: (DSA category, keywords, category_specification_other) per Crible category.
CATEGORY_MAP: Final[
    Mapping[Category, tuple[StatementCategory, tuple[Keyword, ...], str | None]]
] = {
    Category.CHILD_SEXUAL_ABUSE: (
        "STATEMENT_CATEGORY_PROTECTION_OF_MINORS",
        ("KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",),
        None,
    ),
    Category.TERRORISM: (
        "STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY",
        ("KEYWORD_TERRORIST_CONTENT",),
        None,
    ),
    Category.ILLEGAL_GOODS: (
        "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
        ("KEYWORD_PROHIBITED_PRODUCTS",),
        None,
    ),
    # Crible's IP category is mostly illegal streaming, i.e. copyright.
    Category.IP_INFRINGEMENT: (
        "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        ("KEYWORD_COPYRIGHT_INFRINGEMENT",),
        None,
    ),
    # Phishing, pyramid schemes, ...: a report does not say which, so no keyword is claimed.
    Category.FRAUD: ("STATEMENT_CATEGORY_SCAMS_AND_FRAUD", (), None),
    Category.NON_CONSENSUAL_IMAGERY: (
        "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        ("KEYWORD_NON_CONSENSUAL_IMAGE_SHARING",),
        None,
    ),
    Category.HATE_SPEECH: (
        "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
        ("KEYWORD_HATE_SPEECH",),
        None,
    ),
    Category.HARASSMENT: ("STATEMENT_CATEGORY_CYBER_VIOLENCE", ("KEYWORD_CYBER_HARASSMENT",), None),
    Category.SELF_HARM: ("STATEMENT_CATEGORY_SELF_HARM", (), None),
    # The taxonomy has no spam keyword; KEYWORD_OTHER carries the name.
    Category.SPAM: ("STATEMENT_CATEGORY_OTHER_VIOLATION_TC", ("KEYWORD_OTHER",), "Spam"),
    Category.OTHER: ("STATEMENT_CATEGORY_OTHER_VIOLATION_TC", (), None),
}

#: The decision fields each action sets; preserving and referring restrict nothing.
_EFFECTS: Final[Mapping[Action, tuple[tuple[str, str], ...]]] = {
    Action.DELETE_MESSAGE: (("decision_visibility", "DECISION_VISIBILITY_CONTENT_REMOVED"),),
    Action.REMOVE_PROFILE_CONTENT: (
        ("decision_visibility", "DECISION_VISIBILITY_CONTENT_REMOVED"),
    ),
    Action.REMOVE_CHAT_PROFILE: (("decision_visibility", "DECISION_VISIBILITY_CONTENT_REMOVED"),),
    Action.RESTRICT_ACCOUNT: (("decision_provision", "DECISION_PROVISION_PARTIAL_SUSPENSION"),),
    Action.SUSPEND_ACCOUNT: (("decision_account", "DECISION_ACCOUNT_SUSPENDED"),),
    Action.BAN_ACCOUNT: (("decision_account", "DECISION_ACCOUNT_TERMINATED"),),
    Action.BAN_GROUP: (
        ("decision_provision", "DECISION_PROVISION_PARTIAL_TERMINATION"),
        ("decision_visibility", "DECISION_VISIBILITY_CONTENT_DISABLED"),
    ),
    Action.BAN_CHANNEL: (
        ("decision_provision", "DECISION_PROVISION_PARTIAL_TERMINATION"),
        ("decision_visibility", "DECISION_VISIBILITY_CONTENT_DISABLED"),
    ),
    Action.PRESERVE_EVIDENCE: (),
    Action.REFER_TO_AUTHORITIES: (),
}

#: The end-date field of each temporary measure; removals and terminations have none.
_END_DATE_OF: Final[Mapping[str, str]] = {
    "DECISION_PROVISION_PARTIAL_SUSPENSION": "end_date_service_restriction",
    "DECISION_ACCOUNT_SUSPENDED": "end_date_account_restriction",
}


def puid_for(decision_id: UUID) -> str:
    """The statement's platform unique id: one per decision, the same on every retry.

    A new decision (a reversal, an appeal) has a new id, so a PUID is never re-used.
    """
    return f"crible-{decision_id}"


def build_statement(decision: DecisionFacts) -> dict[str, Any] | None:
    """The statement of reasons for ``decision`` as the API takes it; None for no_violation.

    Raises ``InvalidStatementError`` when the facts make an invalid statement (a text too
    long, an end date before the decision, ...), and ``OutcomeNotApplicableError`` for an
    outcome that makes no sense on the subject.
    """
    if decision.outcome is Outcome.NO_VIOLATION:
        return None
    category, keywords, keyword_other = CATEGORY_MAP[decision.category]
    statement: dict[str, Any] = {
        **_decision_fields(decision),
        "account_type": decision.account_type,
        "decision_facts": decision.facts,
        **_ground_fields(decision),
        "decision_ground_reference_url": decision.ground_reference_url,
        "content_type": sorted(set(decision.content_types)),
        "content_type_other": decision.content_type_other,
        "category": category,
        "category_specification": list(keywords) or None,
        "category_specification_other": keyword_other,
        "territorial_scope": sorted(set(decision.territorial_scope)),
        "content_language": decision.content_language,
        "content_date": decision.content_date.isoformat(),
        "application_date": decision.application_date.isoformat(),
        "source_type": decision.source_type,
        "source_identity": (
            None if decision.source_type == "SOURCE_VOLUNTARY" else decision.source_identity
        ),
        "automated_detection": "Yes" if decision.automated_detection else "No",
        "automated_decision": decision.automated_decision,
        "puid": puid_for(decision.decision_id),
    }
    statement = {k: v for k, v in statement.items() if v is not None}
    if errors := validate_statement(statement):
        raise InvalidStatementError(errors)
    return statement


def _decision_fields(decision: DecisionFacts) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    visibility: set[str] = set()
    for measure in enforcement(decision.outcome, decision.subject_kind):
        for field, value in _EFFECTS[measure.action]:
            if field == "decision_visibility":
                visibility.add(value)
            else:
                fields[field] = value
    if decision.restriction_ends is not None:
        ends = [_END_DATE_OF[v] for v in fields.values() if v in _END_DATE_OF]
        if not ends:
            raise InvalidStatementError(
                [f"restriction_ends: {decision.outcome} is not a temporary measure"]
            )
        fields.update(dict.fromkeys(ends, decision.restriction_ends.isoformat()))
    if visibility:
        fields["decision_visibility"] = sorted(visibility)
    return fields


def _ground_fields(decision: DecisionFacts) -> dict[str, Any]:
    ground = decision.ground
    if isinstance(ground, IllegalContent):
        return {
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "illegal_content_legal_ground": ground.legal_ground,
            "illegal_content_explanation": ground.explanation,
        }
    also_illegal = None if ground.also_illegal is None else ("Yes" if ground.also_illegal else "No")
    return {
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": ground.clause,
        "incompatible_content_explanation": ground.explanation,
        "incompatible_content_illegal": also_illegal,
    }
