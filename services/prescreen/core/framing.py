"""How a text frames the harm it names: reported, taught, quoted to condemn, cared for, played.

A rule says that a text names a harm; its frame says whether the text commits it. News and
court reports, history lessons, quotes held up to condemn them, medical and harm-reduction
advice, recovery groups, game and sports talk, parody and banter between friends name harms
without committing them. Each frame found in a text multiplies the scores of the categories
it concerns by its factor (below 1: a frame lowers a score, never raises one, and never
removes it: the product stops at a floor, so a strong signal in a framed text still counts).

A frame is a list of marker phrases (word-bounded, a trailing ``*`` for a prefix) or regular
expressions, read in the text as the rules read it (normalised: no accents, casefolded), and
``unless`` phrases that undo it (a game that names the other player's address is no game).
Beside the frames, ``address``: the phrases by which a text speaks to someone (``you``,
``tu``); a score that only means "abusive words" (the English abuse model's) is multiplied
by its factor when a text addresses nobody ("this printer is fucking useless").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from shared.events import Category

#: Keys of a frame's mapping: its factor, the categories it lowers, its markers.
_FRAME_FIELDS = frozenset({"factor", "categories", "phrases", "patterns", "unless"})
_SECTIONS = frozenset({"floor", "address", "contexts", "frames"})


class FramingError(ValueError):
    """A framing file that cannot be used; the message names the frame."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame: what its markers lower, and by how much."""

    name: str
    factor: float
    #: The categories it lowers; empty: every category.
    categories: frozenset[Category]
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    #: Phrases that undo the frame: a game or a joke that names a real address, school or
    #: family is no longer only a game or a joke.
    unless: tuple[str, ...] = ()

    def lowers(self, category: Category) -> bool:
        """Whether this frame concerns the category."""
        return not self.categories or category in self.categories


class Framing:
    """The frames of a text, and what they make of each category's score."""

    def __init__(
        self,
        frames: Sequence[Frame],
        *,
        floor: float = 0.25,
        address: Sequence[str] = (),
        unaddressed_factor: float = 1.0,
    ) -> None:
        if not 0.0 < floor <= 1.0:
            raise FramingError("floor is above 0 and at most 1")
        if not 0.0 < unaddressed_factor <= 1.0:
            raise FramingError("address: factor is above 0 and at most 1")
        self.frames = {frame.name: frame for frame in frames}
        self.floor = floor
        self.unaddressed_factor = unaddressed_factor
        # phrases are looked up by their words (one pass over a text's words for them all,
        # not a regex of hundreds of alternatives tried at every character); patterns are few
        self._markers = _Phrases((p, f.name) for f in frames for p in f.phrases)
        self._unless = _Phrases((p, f.name) for f in frames for p in f.unless)
        self._address = _Phrases((p, "address") for p in address) if address else None
        self._patterns = [(f.name, re.compile("|".join(f.patterns))) for f in frames if f.patterns]

    def read(self, text: str) -> tuple[frozenset[str], bool]:
        """A normalised text's frames, and whether it speaks to someone."""
        words = _words(text)
        found = self._markers.owners(words)
        found.update(name for name, regex in self._patterns if regex.search(text))
        if found:
            found -= self._unless.owners(words)
        addressed = self._address is None or bool(self._address.owners(words))
        return frozenset(found), addressed

    def find(self, text: str) -> frozenset[str]:
        """The names of the frames whose markers occur in a normalised text."""
        return self.read(text)[0]

    def addressed(self, text: str) -> bool:
        """Whether a normalised text speaks to someone (with no address phrases: always)."""
        return self.read(text)[1]

    def factor(self, found: Iterable[str], category: Category) -> float:
        """What the frames found make of a score of the category (1.0: unchanged)."""
        product = math.prod(
            self.frames[name].factor for name in found if self.frames[name].lowers(category)
        )
        return max(self.floor, product)


#: A text's words and its other visible characters one by one (an emoji, an apostrophe);
#: a hyphen separates words as a space does ("cine-debat" is "cine debat").
_WORD = re.compile(r"\w+|[^\w\s-]")


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


class _Phrases:
    """Phrases (a trailing ``*``: the last word is a prefix) found by their first word."""

    def __init__(self, phrases: Iterable[tuple[str, str]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], bool, str]]] = {}
        self._prefixes: list[tuple[str, str]] = []  # one-word prefixes ("gank*")
        for phrase, owner in phrases:
            prefix = phrase.endswith("*")
            words = tuple(_words(phrase.removesuffix("*")))
            if prefix and len(words) == 1:
                self._prefixes.append((words[0], owner))
            else:
                self._by_first.setdefault(words[0], []).append((words, prefix, owner))
        #: what each word seen starts: its phrases, and the owners of the prefixes it has
        self._seen: dict[str, _Starts] = {}

    def owners(self, words: Sequence[str]) -> set[str]:
        """The owners of the phrases that occur in a text's words."""
        found: set[str] = set()
        seen = self._seen
        for index, word in enumerate(words):
            starts = seen.get(word)
            if starts is None:
                starts = self._starts(word)
            if starts is _NONE:
                continue
            phrases, prefixed = starts
            for phrase, prefix, owner in phrases:
                if owner not in found and _at(words, index, phrase, prefix=prefix):
                    found.add(owner)
            found.update(prefixed)
        return found

    def _starts(self, word: str) -> _Starts:
        if len(self._seen) >= _CACHE_LIMIT:
            self._seen.clear()
        phrases = tuple(self._by_first.get(word, ()))
        prefixed = tuple(owner for stem, owner in self._prefixes if word.startswith(stem))
        starts = self._seen[word] = (phrases, prefixed) if phrases or prefixed else _NONE
        return starts


#: A word's phrases (words, prefix, owner) and the owners of the one-word prefixes it has.
_Starts = tuple[tuple[tuple[tuple[str, ...], bool, str], ...], tuple[str, ...]]
_NONE: _Starts = ((), ())
#: Words whose phrases and prefixes are remembered.
_CACHE_LIMIT = 50_000


def _at(words: Sequence[str], index: int, phrase: tuple[str, ...], *, prefix: bool) -> bool:
    """Whether the phrase's words start at ``index`` (its last word a prefix, if marked)."""
    end = index + len(phrase)
    if end > len(words):
        return False
    if prefix:
        return tuple(words[index : end - 1]) == phrase[:-1] and words[end - 1].startswith(
            phrase[-1]
        )
    return tuple(words[index:end]) == phrase


NO_FRAMING = Framing(())


def parse_framing(document: object, *, normalize: Callable[[str], str]) -> Framing:
    """A framing file's document (parsed YAML), its phrases normalised as the rules' texts."""
    if not isinstance(document, Mapping):
        raise FramingError(f"a framing file is a mapping of {sorted(_SECTIONS)}")
    unknown = set(document) - _SECTIONS
    if unknown:
        raise FramingError(f"unknown section(s) {sorted(map(str, unknown))}")
    floor = _number(document.get("floor", 0.25), "floor")
    address = document.get("address") or {}
    if not isinstance(address, Mapping) or set(address) - {"factor", "phrases"}:
        raise FramingError("address: a mapping of factor and phrases")
    contexts = document.get("contexts") or {}
    if not isinstance(contexts, Mapping):
        raise FramingError("contexts: named phrase lists, given to frames as `unless`")
    for name, phrases in contexts.items():
        _phrases(phrases, f"context {name!r}", normalize)
    frames = document.get("frames") or {}
    if not isinstance(frames, Mapping):
        raise FramingError("frames: a mapping of frame names to frames")
    return Framing(
        [_frame(str(name), body, normalize) for name, body in frames.items()],
        floor=floor,
        address=_phrases(address.get("phrases"), "address", normalize),
        unaddressed_factor=_number(address.get("factor", 1.0), "address: factor"),
    )


def _frame(name: str, body: object, normalize: Callable[[str], str]) -> Frame:
    if not isinstance(body, Mapping) or set(body) - _FRAME_FIELDS:
        raise FramingError(f"frame {name!r}: a mapping of {sorted(_FRAME_FIELDS)}")
    factor = _number(body.get("factor"), f"frame {name!r}: factor")
    if factor >= 1.0:
        raise FramingError(f"frame {name!r}: a frame lowers scores, its factor is below 1")
    categories = body.get("categories", "all")
    if categories == "all":
        chosen: frozenset[Category] = frozenset()
    elif isinstance(categories, list):
        try:
            chosen = frozenset(Category(str(c)) for c in categories)
        except ValueError:
            raise FramingError(f"frame {name!r}: unknown category in {categories}") from None
    else:
        raise FramingError(f"frame {name!r}: categories is `all` or a list")
    phrases = _phrases(body.get("phrases"), f"frame {name!r}", normalize)
    patterns = tuple(_strings(body.get("patterns"), f"frame {name!r}: patterns"))
    for pattern in patterns:
        try:
            compiled = re.compile(pattern)
        except re.error as error:
            raise FramingError(f"frame {name!r}: pattern {pattern!r}: {error}") from None
        if compiled.groups or compiled.search(""):
            raise FramingError(f"frame {name!r}: pattern {pattern!r}: no groups, never empty")
    if not phrases and not patterns:
        raise FramingError(f"frame {name!r}: needs phrases or patterns")
    unless = _phrases(body.get("unless"), f"frame {name!r}: unless", normalize)
    return Frame(name, factor, chosen, phrases, patterns, unless)


def _phrases(value: object, where: str, normalize: Callable[[str], str]) -> tuple[str, ...]:
    """Phrases per language (``{en: [...], fr: [...]}``) or one list, normalised."""
    lists = value.values() if isinstance(value, Mapping) else [value]
    phrases = [normalize(p) for v in lists for p in _strings(v, where)]
    for phrase in phrases:
        if not _words(phrase.removesuffix("*")) or "*" in phrase.removesuffix("*"):
            raise FramingError(f"{where}: {phrase!r}: only a trailing * after some text")
    return tuple(dict.fromkeys(phrases))


def _strings(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise FramingError(f"{where}: a list of non-empty strings")
    return [str(v) for v in value]


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise FramingError(f"{where}: a number above 0 and at most 1")
    return float(value)
