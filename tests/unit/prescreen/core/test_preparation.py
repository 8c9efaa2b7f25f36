"""What the screeners read: cleaned texts, known languages, links found in the texts."""

from __future__ import annotations

from collections.abc import Sequence

from services.prescreen.adapters.lingua_languages import LinguaIdentifier
from services.prescreen.core.model import CaseInput, TextItem
from services.prescreen.core.preparation import identify, prepare
from shared.events import Category


class FakeIdentifier:
    """Says French for texts with "le", English otherwise; records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def identify(self, texts: Sequence[str]) -> list[str | None]:
        self.asked.extend(texts)
        return ["fr" if " le " in f" {t} " else "en" for t in texts]


def case(*texts: TextItem, urls: tuple[str, ...] = ()) -> CaseInput:
    return CaseInput("c", 1, Category.OTHER, texts=texts, urls=urls)


def test_only_untagged_texts_are_identified_and_the_case_gets_its_main_language() -> None:
    identifier = FakeIdentifier()
    [prepared] = identify(
        prepare(
            [
                case(
                    TextItem("report", "Message menaçant", "fr-CA"),
                    TextItem("excerpt", "je vais le retrouver ce soir et tu verras"),
                )
            ]
        ),
        identifier,
    )
    assert identifier.asked == ["je vais le retrouver ce soir et tu verras"]
    assert [t.language for t in prepared.texts] == ["fr", "fr"]
    assert prepared.language == "fr"


def test_invisible_characters_go_and_an_override_adds_the_displayed_form() -> None:
    [prepared] = prepare(
        [case(TextItem("excerpt", "k\u200bi\u2066l\u2069l you \u202eyot\u202c", "en"))]
    )
    assert [t.text for t in prepared.texts] == ["kill you yot", "kill you toy"]


def test_links_in_texts_join_the_attached_ones_once() -> None:
    [prepared] = prepare(
        [
            case(
                TextItem("report", "he sent hxxps://scam[.]example/win twice", "en"),
                TextItem("excerpt", "click https://attached.example/ now"),
                urls=("https://attached.example/",),
            )
        ]
    )
    assert prepared.urls == ("https://attached.example/", "https://scam.example/win")


def test_lingua_tells_french_from_english_and_leaves_short_texts_unknown() -> None:
    identifier = LinguaIdentifier(["en", "fr", "de", "es"])
    assert identifier.identify(
        [
            "Fiers de défiler à la marche des fiertés avec toute la bande",
            "Proud to march at Pride with the whole gang today",
            "ok mdr",
        ]
    ) == ["fr", "en", None]


def test_lingua_counts_letters_not_signs_or_digits_before_it_tries() -> None:
    identifier = LinguaIdentifier(["en", "fr"])
    # 9 letters among digits, signs and spaces: too few to tell
    assert identifier.identify(["12345 !!! ok mdr ptdr 2024 ... :) 1000"]) == [None]
    # the letters past the first 200 characters are not counted
    assert identifier.identify([" " * 200 + "Proud to march at Pride with the gang"]) == [None]
    assert identifier.identify(["Proud to march at Pride with the whole gang today"]) == ["en"]
