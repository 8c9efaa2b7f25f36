"""Every value the officers' console shows has its words in English and in French."""

from __future__ import annotations

from services.legal.adapters.http.console.i18n import DONE, WORDS, translator
from services.legal.core.approval import ApprovalRefusal, OfficerRole
from services.legal.core.lifecycle import RequestState
from services.legal.core.model import AuthorityKind, RefusalGround
from services.legal.core.refusals import OFFICER_REFUSALS
from shared.events.legal import DataCategory, EmergencyGround, Instrument

CHECKS = ("authority", "jurisdiction", "issuer", "categories", "emergency", "period")


def test_every_enumeration_is_translated_both_ways() -> None:
    needed = [
        *(f"state.{s.value}" for s in RequestState),
        *(f"instrument.{i.value}" for i in Instrument),
        *(f"category.{c.value}" for c in DataCategory),
        *(f"ground.{g.value}" for g in EmergencyGround),
        *(f"code.{c.value}" for c in OFFICER_REFUSALS),
        *(f"kind.{k.value}" for k in AuthorityKind),
        *(f"role.{r.value}" for r in OfficerRole),
        *(f"ground_label.{g.value}" for g in RefusalGround),
        *(f"check.{name}" for name in CHECKS),
        *(r.value for r in ApprovalRefusal),  # the two-person rule's refusals, as messages
    ]
    missing = [key for key in needed if key not in WORDS]
    assert missing == []
    english, french = translator("en"), translator("fr")
    untranslated = [k for k, (en, fr) in WORDS.items() if not fr.strip() or not en.strip()]
    assert untranslated == []
    assert english["state.refused"] == "refused"
    assert french["state.refused"] == "refusée"


def test_steps_that_went_well_are_told_apart_from_refusals() -> None:
    assert "approved_done" in DONE
    assert "same_person" not in DONE
