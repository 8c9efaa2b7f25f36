"""The consoles' languages: English and French, chosen by a switch or the browser.

Each console keeps its own words (key: (English, French)); a missing translation falls back
to English, never to a key.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "fr")
DEFAULT = "en"
#: The cookie that remembers the switch.
LANGUAGE_COOKIE = "crible_lang"
#: The words of the frame every console shares (``templates/frame.html``).
FRAME_WORDS: dict[str, tuple[str, str]] = {
    "skip": ("Skip to the content", "Aller au contenu"),
    "language": ("Language", "Langue"),
    "sign_out": ("Sign out", "Se déconnecter"),
}


def choose(accept_language: str | None, switch: str | None) -> str:
    """The language: the switch's if valid, else the browser's first supported one."""
    if switch in LANGUAGES:
        return switch
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.split("-", 1)[0].casefold()
        if primary in LANGUAGES:
            ranked.append((quality, primary))
    ranked.sort(key=lambda item: -item[0])  # stable: the browser's order among equals
    return ranked[0][1] if ranked else DEFAULT


def translator(words: Mapping[str, tuple[str, str]], language: str) -> dict[str, str]:
    """Every word in ``language``, the frame's too (English where French is missing)."""
    index = 1 if language == "fr" else 0
    return {key: pair[index] or pair[0] for key, pair in {**FRAME_WORDS, **words}.items()}
