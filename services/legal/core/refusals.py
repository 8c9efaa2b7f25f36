"""The refusals a legal officer may give an open request, each with its legal source.

The law's checks refuse what the rules can see (``core/rules.py``); an officer refuses what
only a person reading the request and its document can: a document that does not support
the request, an authority that could not be confirmed by call-back (the forged-emergency
attack), a request too broad to narrow, or a rule the checks could not apply. Each code's
article and detail go to the authority with the refusal; the officer's own explanation is
sealed beside it and only its hash goes on the audit chain.
"""

from __future__ import annotations

from services.legal.core.model import Refusal, RefusalCode

_C = RefusalCode
#: What an officer may refuse with: the article the authority is shown, and a fixed detail
#: (never personal data: the officer's words are the sealed explanation).
OFFICER_REFUSALS: dict[RefusalCode, tuple[str, str]] = {
    _C.DOCUMENT_INVALID: (
        "DSA art. 10(2)(a); Regulation (EU) 2023/1543 art. 10",
        "the signed document does not support the request as submitted",
    ),
    _C.AUTHORITY_NOT_CONFIRMED: (
        "platform policy (authority verification by call-back, emergencies included)",
        "the authority could not confirm the request through its registered contact",
    ),
    _C.OVER_BROAD: (
        "DSA art. 10; GDPR art. 5(1)(c) (data minimisation)",
        "the request is broader than its stated purpose and cannot be narrowed to it",
    ),
    _C.NOT_AN_EMERGENCY: (
        "Regulation (EU) 2023/1543 art. 3(18); GDPR art. 6(1)(d)",
        "the request states no imminent threat to life, physical integrity or safety",
    ),
    _C.CATEGORY_NOT_ALLOWED_FOR_OFFENCE: (
        "CPP art. 60-1-2; Regulation (EU) 2023/1543 art. 5(4)",
        "the offence does not allow the data categories requested",
    ),
    _C.AUTHORISATION_MISSING: (
        "CPP art. 77-1-1, 99-3, 60-2; Regulation (EU) 2023/1543 art. 4",
        "the authorisation the instrument requires is missing from the document",
    ),
    _C.WRONG_JURISDICTION: (
        "Regulation (EU) 2023/1543 art. 1; Code de procédure pénale",
        "the authority cannot issue this instrument to the platform",
    ),
}


class UnknownRefusalError(ValueError):
    """A code an officer may not refuse with."""


def officer_refusal(code: str) -> Refusal:
    """The refusal an officer gives with ``code`` (its article and fixed detail)."""
    try:
        known = RefusalCode(code)
        article, detail = OFFICER_REFUSALS[known]
    except (ValueError, KeyError):
        raise UnknownRefusalError("not a refusal an officer may give") from None
    return Refusal(known, article, detail)
