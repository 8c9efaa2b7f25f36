"""Snowball stemmers for French and English (PyStemmer: libstemmer in C).

Snowball's algorithms are the reference for French and English word families (Porter's
English stemmer as revised by its author, and his French one), deterministic and offline.
PyStemmer runs them in C, about 0.1 µs a word, where the pure-Python ``snowballstemmer``
port of the same algorithms takes several microseconds; both give the same stems.
"""

from __future__ import annotations

import re

import Stemmer

from services.prescreen.core.concepts import Stemmer as StemFunction

# Texts reach the stemmer without accents (users often type none, and rules match without
# them); French past participles lose the ending Snowball knows them by ("menacée" is typed
# "menacee"), so that ending gets its accent back first.
_FRENCH_PARTICIPLE = re.compile(r"ee(s?)$")


def snowball() -> dict[str, StemFunction]:
    """The stem function of each language the rules are written in."""
    french = Stemmer.Stemmer("french").stemWord

    def stem_french(word: str) -> str:
        return str(french(_FRENCH_PARTICIPLE.sub(r"ée\1", word)))

    return {"fr": stem_french, "en": Stemmer.Stemmer("english").stemWord}
