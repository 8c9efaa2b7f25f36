from __future__ import annotations

import pytest

from services.prescreen.core.links import MAX_TEXT_LINKS, find_links, refang


@pytest.mark.parametrize(
    ("written", "usable"),
    [
        ("hxxp://scam[.]example/login", "http://scam.example/login"),
        ("hxxps://scam[.]example", "https://scam.example"),
        ("HXXPS://Scam(.)Example", "https://Scam.Example"),
        ("https[:]//scam[.]example/a", "https://scam.example/a"),
        ("h**ps://scam{.}example", "https://scam.example"),
        ("www[.]scam[.]example/x", "http://www.scam.example/x"),
        ("scam[dot]example", "scam.example"),
        ("https://plain.example/a?b=1", "https://plain.example/a?b=1"),
    ],
)
def test_refang_restores_defanged_links(written: str, usable: str) -> None:
    assert refang(written) == usable


def test_links_are_found_in_prose_with_their_punctuation_left_out() -> None:
    text = (
        "He keeps posting hxxps://scam[.]example/win, and (see https://other.example/a) "
        "also www.third.example. Also HTTPS://Fourth.Example/x?y=1!"
    )
    assert find_links(text) == [
        "https://scam.example/win",
        "https://other.example/a",
        "http://www.third.example",
        "HTTPS://Fourth.Example/x?y=1",
    ]


def test_no_links_in_plain_text_or_email_addresses() -> None:
    assert find_links("meet me at 5, no link here") == []
    assert find_links("write to bob@www.example") == []


def test_a_text_full_of_links_gives_a_bounded_number() -> None:
    text = " ".join(f"https://s{i}.example/" for i in range(100))
    assert len(find_links(text)) == MAX_TEXT_LINKS
