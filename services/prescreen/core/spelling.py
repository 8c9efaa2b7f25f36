"""How people write, rewritten into how rules are written: one canonical spelling per word.

Users write "jvais te tuer", "k1ll urself", "c.o.k.e", "kiiiill", "cocain", "❄️ dispo":
SMS spellings and abbreviations, verlan, leetspeak, spaced or repeated letters, typos and
emoji codes. :class:`Spelling` rewrites a normalised text (lowercase, no accents) word by
word into the spelling the rules use, so that a rule is written once, in plain words:

* **variants**: whole words from a lexicon per language (``jvais`` → ``je vais``, ``u`` →
  ``you``, ``renoi`` → ``noir``);
* **emoji**: codes people use for what they will not write (``❄`` → ``coke``);
* **leetspeak** (``k1ll``, ``c0ke``, ``$ex``), **repeated letters** (``kiiiill``) and
  **spaced letters** (``k i l l``, ``c.o.k.e``): rewritten only when the result is a word
  the rules know (the vocabulary), so ``mp3``, ``3mmc`` or ``4x4`` stay as they are;
* **typos** in words of 6 letters or more that the rules know: one letter missing, one
  letter doubled, or two neighbours swapped, after the first two letters (``cocain``,
  ``harrassment``, ``suicdie``). Substitutions are left alone: too many real words are
  one letter away from another (``thread``, ``threat``).

A text that needs none of this (most) costs one regex scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

#: What each leetspeak character stands for, inside a word.
LEET = str.maketrans("01345789@$!|€", "oieastbgasile")
#: Words the typo tolerance starts from: shorter ones are too close to other words.
TYPO_MIN_LENGTH = 6
_CACHE_LIMIT = 50_000
_L = "0-9@$!|€"  # leet characters
# a whole word: not part of an elision (c'est, can't) or a compound (t-shirt)
_WORD = re.compile(r"(?<![-'])\b[a-z]+\b(?![-'])")
# a word with a letter beside a leet character (k1ll, c0ke, $ex, sh!t; also 24h or mp3,
# which stay as they are: no known word comes out of them)
_LEETED = rf"(?<![\w@$€!|])[a-z{_L}]*(?:[a-z][{_L}]|[{_L}][a-z])[a-z{_L}]*"
_REPEATED = r"\b\w*([a-z])\1\1\w*"
# three or more single letters apart: k i l l, c.o.k.e, k-i-l-l, k_i_l_l, k*i*l*l
_SPACED = r"(?<![\w.*_-])(?:[a-z0-9@$][ .*_-]){2,}[a-z0-9@$](?![\w@$])"
_SPACED_RE = re.compile(_SPACED)
_SPACEABLE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789@$")
_SQUEEZES = (re.compile(r"(.)\1{2,}"), r"\1\1"), (re.compile(r"(.)\1{2,}"), r"\1")


class Spelling:
    """Rewrites a normalised text's words into the rules' spelling (see the module doc)."""

    def __init__(
        self,
        *,
        variants: Mapping[str, str],
        emoji: Mapping[str, str],
        vocabulary: Iterable[str],
    ) -> None:
        self.variants = dict(variants)
        self.emoji = dict(emoji)
        self.vocabulary = frozenset(word for word in vocabulary if word)
        self.typos = _typos(self.vocabulary | self.variants.keys())
        #: whole words rewritten by a table: variants first, then typos
        self._words = {**self.typos, **self.variants}
        shapes = [_LEETED, _REPEATED, _SPACED]
        if self.emoji:
            shapes.insert(
                0, "|".join(map(re.escape, sorted(self.emoji, key=lambda e: (-len(e), e))))
            )
        self._shapes = re.compile("|".join(f"(?:{s})" for s in shapes))
        self._cache: dict[str, str] = {}
        #: segments as rewritten (see :meth:`canonical`)
        self._done: dict[str, str] = {}
        self._plain_chunks: dict[str, tuple[bool, bool, bool]] = {}
        # an emoji code written with a space would lie across words
        self._across = any(" " in code for code in self.emoji)

    def canonical(self, text: str) -> str:
        """The text with each word in the rules' spelling; untouched words stay as they are.

        Read segment by segment: a segment is a word, or words that spaced letters could
        join ("k i l l"); no rewrite reaches across two segments, so each is rewritten alone
        and remembered, and a text costs a lookup per word once its words were seen.
        """
        if self._across:
            return self._rewritten(text)
        segments = self._segments(text)
        if segments is None:
            return text
        done = self._done
        out = []
        for segment in segments:
            found = done.get(segment)
            if found is None:
                if len(done) >= _CACHE_LIMIT:
                    done.clear()
                found = done[segment] = self._rewritten(segment)
            if found:
                out.append(found)
        return " ".join(out)

    def _rewritten(self, text: str) -> str:
        """The whole text rewritten at once: shapes, then the tables' words."""
        shaped = self._shapes.search(text) is not None
        if shaped:
            text = self._shapes.sub(self._rewrite, text)
        elif self._words.keys().isdisjoint(_WORD.findall(text)):
            return text
        text = _WORD.sub(self._table, text)
        return " ".join(text.split())

    def _segments(self, text: str) -> list[str] | None:
        """The text's segments, or None when no word of it needs rewriting (most texts).

        Every shape lies within a word (a space reads as the start or end of the text to
        each), but spaced letters, which may go on across words ("k i l l", "c.o k.e"):
        words that could join into them make one segment.
        """
        cache = self._plain_chunks
        segments: list[str] = []
        current: list[str] = []
        rewrite = joins = False
        for chunk in text.split(" "):
            known = cache.get(chunk)
            if known is None:
                known = self._read(chunk)
            plain, starts, ends = known
            if joins and starts and current:
                current.append(chunk)
                rewrite = True
            else:
                if current:
                    segments.append(" ".join(current) if len(current) > 1 else current[0])
                current = [chunk]
            rewrite = rewrite or not plain
            joins = ends
        if not rewrite:
            return None
        segments.append(" ".join(current) if len(current) > 1 else current[0])
        return segments

    def _read(self, chunk: str) -> tuple[bool, bool, bool]:
        """Whether a word is plain, and whether spaced letters could cross its start or end."""
        if len(self._plain_chunks) >= _CACHE_LIMIT:
            self._plain_chunks.clear()
        plain = self._shapes.search(chunk) is None and (
            self._words.keys().isdisjoint(_WORD.findall(chunk))
        )
        # a spaced letter is one character with, beside it, a separator or a non-word
        starts = bool(chunk) and (
            chunk[0] in _SPACEABLE
            and (len(chunk) == 1 or not (chunk[1].isalnum() or chunk[1] in "@$"))
        )
        ends = bool(chunk) and (
            chunk[-1] in _SPACEABLE and (len(chunk) == 1 or not chunk[-2].isalnum())
        )
        known = self._plain_chunks[chunk] = (plain, starts, ends)
        return known

    def _table(self, match: re.Match[str]) -> str:
        word = match.group()
        return self._words.get(word, word)

    def _rewrite(self, match: re.Match[str]) -> str:
        found = match.group()
        cached = self._cache.get(found)
        if cached is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            cached = self._cache[found] = self._shape(found)
        return cached

    def _shape(self, found: str) -> str:
        if found in self.emoji:
            return f" {self.emoji[found]} "
        if found in self._words:
            return self._words[found]
        if _SPACED_RE.fullmatch(found):
            joined = re.sub("[ .*_-]", "", found)
            return self._known(joined) or self._known(joined.translate(LEET)) or found
        body = found.rstrip("!|")
        tail = found[len(body) :]
        for candidate in (body, body.translate(LEET)):
            known = self._known(candidate)
            if known:
                return known + tail
        return found

    def _known(self, word: str) -> str | None:
        """The vocabulary word this is (letters repeated three times or more allowed)."""
        if word in self.vocabulary:
            return word
        if word in self._words:
            return self._words[word]
        for pattern, replacement in _SQUEEZES:
            squeezed = pattern.sub(replacement, word)
            if squeezed in self.vocabulary:
                return squeezed
            if squeezed in self._words:
                return self._words[squeezed]
        return None


def _typos(vocabulary: Iterable[str]) -> dict[str, str]:
    """Each one-typo spelling of the long words of the vocabulary, to the word.

    A typo that is itself a known word, or that two words share, is left out.
    """
    known = frozenset(vocabulary)
    found: dict[str, str | None] = {}
    for word in known:
        if len(word) < TYPO_MIN_LENGTH or not word.isalpha():
            continue
        for typo in _one_typo(word):
            if typo in known:
                continue
            found[typo] = None if typo in found and found[typo] != word else word
    return {typo: word for typo, word in found.items() if word is not None}


def _one_typo(word: str) -> set[str]:
    """A letter missing, a letter doubled, or two neighbours swapped, past the first two."""
    out = set()
    for i in range(2, len(word)):
        out.add(word[:i] + word[i + 1 :])
        out.add(word[:i] + word[i] + word[i:])
        if i + 1 < len(word) and word[i] != word[i + 1]:
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    out.discard(word)
    return out
