r"""Links as people write them: defanged forms made usable, links found in free text.

Security people and careful users "defang" links so that nothing opens them by accident:
``hxxps://scam[.]example``, ``scam(.)example``, ``https[:]//...``. :func:`refang` turns them
back into links a parser reads; :func:`find_links` finds links in a report's words or a
message excerpt (with a scheme, defanged or not, or starting ``www.``), so that they are
screened like the links the reporter's client attached.
"""

from __future__ import annotations

import re

#: At most this many links are taken from one case's texts (a text full of links is spam
#: already, and the bound keeps a hostile text from costing more than a normal one).
MAX_TEXT_LINKS = 16

_DOT = r"(?:\.|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\))"
_SCHEME = r"(?:h(?:tt|xx|\*\*)ps?)(?::|\[:\])//"
_LINK = re.compile(rf"(?i)(?<![\w@])(?:{_SCHEME}|www{_DOT})[^\s<>\"'`]+")
_DEFANGED_DOT = re.compile(r"(?i)\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)")
_DEFANGED_SCHEME = re.compile(r"(?i)^h(?:xx|\*\*)p(s?)(?::|\[:\])//|^(https?)\[:\]//")
_TRAILING = ".,;:!?)]}»'\"…"


def refang(link: str) -> str:
    """The link with its defanged scheme and dots restored (unchanged if it had none)."""
    text = link.strip()
    text = _DEFANGED_SCHEME.sub(
        lambda m: f"http{m.group(1).lower()}://" if m.group(2) is None else f"{m.group(2)}://",
        text,
    )
    text = _DEFANGED_DOT.sub(".", text)
    if text[:4].lower() == "www.":
        text = "http://" + text
    return text


def find_links(text: str) -> list[str]:
    """The links written in a text, refanged, in order, each once."""
    if "//" not in text and "www" not in text.lower():
        return []
    found: dict[str, None] = {}
    for match in _LINK.finditer(text):
        link = match.group(0).rstrip(_TRAILING)
        # "(see https://x.example/a)": a closing bracket with no opening one is prose
        if link.endswith(")") and "(" not in link:
            link = link[:-1]
        found.setdefault(refang(link))
        if len(found) >= MAX_TEXT_LINKS:
            break
    return list(found)
