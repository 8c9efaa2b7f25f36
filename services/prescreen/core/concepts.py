"""Word families and compositional rules: concepts that must occur together.

A **concept** is a family of words and phrases, per language (``substance``: coke, cocaine,
beuh, weed...). A text's word matches a concept's word when both have the same stem in the
text's language ("menace", "menaces", "menacé", "menacer", "menaçait" are one family; so are
"threaten", "threatens", "threatened", "threatening"), provided that stem has at least
:data:`MIN_STEM` letters: a shorter stem would join unrelated words ("tuer" and "tu" share
"tu"), so such a word matches only as written. A phrase matches word by word the same way.
Five classes stand for what no list can hold: ``#num`` (any number; a number is also
itself, so ``13`` can be listed), ``#money`` (an amount: ``50e``, ``$20``, ``300 euros``),
``#percent`` (``30%``),
``#link`` (a web address) and ``#repeated`` (a text that says the same two or more words
three times or more: bulk messages).

A **compositional rule** (:class:`ConceptRule`) names concepts that must all occur, or at
least ``at_least`` of them, within ``within`` consecutive words: an offer and a substance;
a first person, a violent act and the reader; a promise, a payment and urgency. It matches
the many ways people say one thing without listing them, and one concept alone matches
nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice

#: Reduces a word to its stem (a Snowball stemmer of one language).
Stemmer = Callable[[str], str]

#: Stems shorter than this match only the word as written.
MIN_STEM = 4
#: The languages a concept lists words for; ``any``: words used in both (loanwords, slang).
LANGUAGES = ("fr", "en", "any")
_ALL = "*"  # the view for texts of unknown language: every language's words
_CACHE_LIMIT = 50_000

# amounts, percentages and links stand as their class ("#money"): what they say is their kind
_CLASSES = re.compile(
    r"(?P<link>(?:https?://|www\.)\S+|\b[a-z0-9-]+\.(?:com|net|org|info|fr|io|co|xyz|shop|biz)\b\S*)"
    r"|(?P<money>[$£€] ?\d+(?:[.,]\d+)?k?\b"
    r"|\b\d+(?:[.,]\d+)? ?k? ?(?:[$£€]|(?:e|eur|euros?|usd|dollars?|bucks|balles|pounds?)\b))"
    r"|(?P<percent>\b\d+(?:[.,]\d+)? ?%)"
)
# an English contraction is one word ("can't" is no French "t'" for "tu")
_WORDS = re.compile(r"#?[a-z0-9]+(?:'(?:t|s|re|ve|ll|d|m)\b)?")
CLASSES = ("#num", "#money", "#percent", "#link", "#repeated")
#: How many times the same words must come back for ``#repeated``.
REPEATS = 3


def tokens(text: str) -> list[str]:
    """A normalised text's words, with amounts and links as their class.

    Read segment by segment, each remembered: a class spans words only after a number, a
    currency sign or a "k" ("300 euros", "$ 20", "20 k €", "30 %"), so a segment is a word
    and, after such a word, the words that follow it.
    """
    if "#" in text:
        text = text.replace("#", " ")  # a hashtag is its word; "#" marks classes only
    chunks = text.split(" ")
    if "" in chunks:  # runs of spaces: read at once
        return _WORDS.findall(_CLASSES.sub(_class, text))
    words: list[str] = []
    segment = chunks[0]
    for chunk in islice(chunks, 1, None):
        if segment[-1] in _JOINS:
            segment += " " + chunk
        else:
            words += _segment_tokens(segment)
            segment = chunk
    words += _segment_tokens(segment)
    return words


#: The last characters after which a class may go on into the next word.
_JOINS = frozenset("0123456789k$£€")


@lru_cache(maxsize=_CACHE_LIMIT)
def _segment_tokens(segment: str) -> tuple[str, ...]:
    return tuple(_WORDS.findall(_CLASSES.sub(_class, segment)))


def _class(match: re.Match[str]) -> str:
    return f" #{match.lastgroup} "


class ConceptError(ValueError):
    """A concept or compositional rule that cannot be used; the message names it."""


@dataclass(frozen=True, slots=True)
class ConceptRule:
    """Concepts that must occur together: ``at_least`` of them within ``within`` words."""

    concepts: tuple[str, ...]
    at_least: int
    within: int

    def matches(self, found: Mapping[str, Sequence[int]]) -> bool:
        """Whether the concepts found (name: word positions) satisfy the rule."""
        present = [name for name in self.concepts if name in found]
        if len(present) < self.at_least:
            return False
        events = sorted((position, name) for name in present for position in found[name])
        # the shortest run of words holding at_least distinct concepts
        counts: dict[str, int] = {}
        start = 0
        for end, (position, name) in enumerate(events, start=1):
            counts[name] = counts.get(name, 0) + 1
            while position - events[start][0] >= self.within:
                gone = events[start][1]
                counts[gone] -= 1
                if not counts[gone]:
                    del counts[gone]
                start += 1
            # one word standing for two concepts ("followers": promotion and a call to
            # follow) is one signal, not two: each concept counted needs a word of its own
            if (
                len(counts) >= self.at_least
                and len({p for p, _ in events[start:end]}) >= self.at_least
                and distinct_signals(events[start:end]) >= self.at_least
            ):
                return True
        return False


def distinct_signals(events: Sequence[tuple[int, str]]) -> int:
    """How many concepts can each be given a word of its own (a bipartite matching).

    Counting distinct concepts and distinct words apart is not enough: three concepts on
    one word and two more words of one of them are two signals, not three.
    """
    positions: dict[str, list[int]] = {}
    for position, name in events:
        positions.setdefault(name, []).append(position)
    owner: dict[int, str] = {}  # word position -> the concept it stands for

    def assign(name: str, tried: set[int]) -> bool:
        for position in positions[name]:
            if position not in tried:
                tried.add(position)
                if position not in owner or assign(owner[position], tried):
                    owner[position] = name
                    return True
        return False

    return sum(assign(name, set()) for name in positions)


#: A phrase's words' keys and the concept it stands for.
_Phrase = tuple[tuple[str, ...], str]


class _Table:
    """One language view: each word's key to the concepts it starts, alone or as a phrase."""

    def __init__(self) -> None:
        #: key -> (concepts of that one word, the phrases it starts by their second key)
        self.starts: dict[str, tuple[frozenset[str], dict[str, tuple[_Phrase, ...]]]] = {}

    def add(self, keys: tuple[str, ...], concept: str) -> None:
        singles, phrases = self.starts.get(keys[0], (frozenset(), {}))
        if len(keys) == 1:
            singles |= {concept}
        else:
            # a common first word ("de", "i") starts dozens of phrases: the next word
            # says which few to compare
            same = phrases.get(keys[1], ())
            if (keys, concept) not in same:
                phrases[keys[1]] = (*same, (keys, concept))
        self.starts[keys[0]] = (singles, phrases)


class Concepts:
    """Every concept of a rule file, ready to find in texts of each language."""

    def __init__(
        self, concepts: Mapping[str, Mapping[str, Sequence[str]]], stemmers: Mapping[str, Stemmer]
    ) -> None:
        missing = {"fr", "en"} - set(stemmers)
        if missing:
            raise ConceptError(f"no stemmer for {sorted(missing)}")
        self.names = frozenset(concepts)
        self._stemmers = dict(stemmers)
        self._keys: dict[str, dict[str, str]] = {language: {} for language in stemmers}
        self._tables = {view: _Table() for view in ("fr", "en", _ALL)}
        for name, by_language in concepts.items():
            for language, entries in by_language.items():
                if language not in LANGUAGES:
                    raise ConceptError(f"concept {name!r}: language must be one of {LANGUAGES}")
                for entry in entries:
                    self._add(name, language, entry)

    def _add(self, name: str, language: str, entry: str) -> None:
        words = [entry] if entry in CLASSES else tokens(entry)
        if not words or (entry.startswith("#") and entry not in CLASSES):
            raise ConceptError(f"concept {name!r}: {entry!r} is no word, phrase or class")
        stemmed_in = ("fr", "en") if language == "any" else (language,)
        for stem_language in stemmed_in:
            keys = tuple(self.key(word, stem_language) for word in words)
            for view in (stem_language, _ALL):
                self._tables[view].add(keys, name)

    def key(self, word: str, language: str) -> str:
        """What a word is matched by in a language: its stem if long enough, else itself."""
        cache = self._keys[language]
        found = cache.get(word)
        if found is None:
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            stem = word if word.startswith("#") else self._stemmers[language](word)
            # a word matched as written is marked so that no stem can equal it ("tuerie"
            # stems to "tuer", which is no stem of "tuer")
            found = cache[word] = stem if len(stem) >= MIN_STEM else f"={word}"
        return found

    def find(self, words: Sequence[str], language: str | None) -> dict[str, list[int]]:
        """The concepts found in a text's words, each with the positions it starts at."""
        view = language if language in ("fr", "en") else _ALL
        starts = self._tables[view].starts
        found: dict[str, list[int]] = {}
        for stem_language in (view,) if view != _ALL else ("fr", "en"):
            cache = self._keys[stem_language]
            keys = [cache.get(word) or self.key(word, stem_language) for word in words]
            last = len(keys) - 1
            for position, key in enumerate(keys):
                entry = starts.get(key)
                if entry is None:
                    continue
                for name in entry[0]:
                    # _note, inlined: the commonest call of the rules
                    positions = found.get(name)
                    if positions is None:
                        found[name] = [position]
                    elif positions[-1] != position:
                        positions.append(position)
                if entry[1] and position < last:
                    for phrase, name in entry[1].get(keys[position + 1], ()):
                        if tuple(keys[position : position + len(phrase)]) == phrase:
                            _note(found, name, position)
        _find_classes(starts, words, found)
        return found


class Compositions:
    """Compositional rules, each tried only when enough of its concepts were found."""

    def __init__(self, rules: Sequence[tuple[int, ConceptRule]]) -> None:
        self.rules = dict(rules)
        self._by_concept: dict[str, list[int]] = {}
        for index, rule in rules:
            for name in set(rule.concepts):
                self._by_concept.setdefault(name, []).append(index)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def hits(self, found: Mapping[str, Sequence[int]]) -> list[int]:
        """The indices of the rules the concepts found satisfy."""
        counts: dict[int, int] = {}
        for name in found:
            for index in self._by_concept.get(name, ()):
                counts[index] = counts.get(index, 0) + 1
        return [
            index
            for index, count in counts.items()
            if count >= self.rules[index].at_least and self.rules[index].matches(found)
        ]


def repeated(words: Sequence[str]) -> int | None:
    """Where a pair of different words that comes back :data:`REPEATS` times starts."""
    if len(words) < 2 * REPEATS or len(words) - len(set(words)) < REPEATS - 1:
        return None  # a pair back three times brings its words back too: most texts
    pairs = list(zip(words, islice(words, 1, None), strict=False))
    if len(pairs) - len(set(pairs)) < REPEATS - 1:
        return None  # no pair can come back often enough: most texts, at the cost of a set
    counts = Counter(pairs)
    if counts.most_common(1)[0][1] < REPEATS:
        return None
    for position, pair in enumerate(pairs):
        if pair[0] != pair[1] and counts[pair] >= REPEATS:
            return position
    return None


def _find_classes(
    starts: Mapping[str, tuple[frozenset[str], object]],
    words: Sequence[str],
    found: dict[str, list[int]],
) -> None:
    """Note the concepts that stand for numbers and for repeated words."""
    numbers = starts.get("#num")
    if numbers is not None:
        for position, word in enumerate(words):
            if word.isdigit():
                for name in numbers[0]:
                    _note(found, name, position)
    bulk = starts.get("#repeated")
    if bulk is not None:
        where = repeated(words)
        if where is not None:
            for name in bulk[0]:
                _note(found, name, where)


def _note(found: dict[str, list[int]], name: str, position: int) -> None:
    positions = found.setdefault(name, [])
    if not positions or positions[-1] != position:
        positions.append(position)
