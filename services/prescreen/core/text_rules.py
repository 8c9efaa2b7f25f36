r"""Keyword and pattern rules for pre-screening texts, loaded from a YAML file.

The rule file is a YAML list; each rule is a mapping::

    - id: fr.harassment.death-threat   # unique, named in errors and findings
      category: harassment_threats     # a Category value
      language: fr                     # fr, en or any
      weight: 0.8                      # what a hit adds to its category's score, 0..1
      keywords:                        # words or phrases, matched on word boundaries;
        - je vais te tuer              #   a trailing * matches a prefix ("tuer*")
        - tuer*
      # or, instead of keywords:
      patterns:                        # regexes on the normalised text (lowercase, no
        - '\bcrever\b'              #   accents, no capturing groups: use (?:...))
      unless:                          # optional: any of these phrases in the same text
        - selon la police              #   suppresses the rule (news, medicine, quotes)
      source: report                   # optional: only the reporter's own words (how people
                                       #   describe harm), only excerpts, or any (default)
      # or, instead of keywords or patterns, a compositional rule over concepts:
      concepts: [first_person, violent_act, second_person]  # each named in `concepts:`
      within: 8                        # words the concepts must fall within (default 12)
      at_least: 3                      # how many of them (default: all)

A rule file is either that list, or a mapping that adds how people write and the concepts
(:mod:`services.prescreen.core.spelling`, :mod:`services.prescreen.core.concepts`)::

    spelling:                          # whole words as users write them -> as rules do
      any: {u: you}
      fr: {jvais: je vais}
    emoji: {"\u2744": coke}            # an emoji standing for a word
    concepts:                          # word families per language (fr, en, any)
      substance: {any: [coke, mdma], fr: [beuh], en: [weed]}
    contexts:                          # phrase lists named once, given as `unless: *news`
      news: &news [selon la police, police said]
    rules: [...]                       # the list above

Texts, keywords and ``unless`` phrases are normalised alike: NFKD, combining marks dropped,
casefolded, typographic apostrophes made ``'``, every default-ignorable character (zero-width,
bidi controls: :mod:`services.prescreen.core.invisible`) dropped and runs of whitespace
collapsed, so "Tuér" matches ``tuer``. A space or hyphen inside a keyword matches
either one. Texts are then rewritten in the rules' spelling (``k1ll u`` is ``kill you``):
keywords, patterns and concepts are written in that spelling, never in a variant the
``spelling`` table rewrites.

Keywords are compiled into a few big regexes (a trie per layer, one layer per set of
keywords that cannot start at the same place), and patterns starting with ``\b`` into one
pre-filter, so matching costs a handful of regex scans per text whatever the number of rules.
Start patterns with ``\b`` where possible: each other pattern costs a scan of every text.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]
from typing import Any

from services.prescreen.core.concepts import (
    Compositions,
    ConceptError,
    ConceptRule,
    Concepts,
    Stemmer,
    tokens,
)
from services.prescreen.core.invisible import strip_invisible
from services.prescreen.core.spelling import Spelling
from shared.events import Category

LANGUAGES = ("fr", "en", "any")
SOURCES = ("any", "report", "excerpt")
_ALL = "*"  # the view of every rule, for texts of unknown or other languages
_FIELDS = frozenset(
    {
        "id", "category", "language", "weight", "keywords", "patterns", "unless", "source",
        "concepts", "within", "at_least",
    }
)  # fmt: skip
_SECTIONS = frozenset({"spelling", "emoji", "concepts", "contexts", "rules"})
#: Words a compositional rule's concepts must fall within, unless it says.
DEFAULT_WITHIN = 12
_SEP = "[ \\-]"  # a space or hyphen in a keyword matches either
_CACHE_LIMIT = 50_000  # words whose candidate terms are kept


_WORD_ONLY = re.compile(r"[a-z0-9]+")


class RuleError(ValueError):
    """A rule file that cannot be used; the message names the rule."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule of the file, as validated."""

    id: str
    category: Category
    language: str
    weight: float
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    #: Which texts the rule reads: ``any``, ``report`` (reporters' words) or ``excerpt``.
    source: str = "any"
    #: A compositional rule: these concepts, ``at_least`` of them within ``within`` words.
    concepts: tuple[str, ...] = ()
    within: int = DEFAULT_WITHIN
    at_least: int = 0


@dataclass(frozen=True, slots=True)
class Lexicon:
    """How people write and the concepts of a rule file (its sections beside ``rules``)."""

    #: Per language (``fr``, ``en``, ``any``): a word as users write it -> as rules do.
    spelling: Mapping[str, Mapping[str, str]]
    #: An emoji -> the word it stands for.
    emoji: Mapping[str, str]
    #: A concept's name -> its words and phrases per language (``fr``, ``en``, ``any``).
    concepts: Mapping[str, Mapping[str, Sequence[str]]]


EMPTY_LEXICON = Lexicon({}, {}, {})


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that matched a text."""

    rule_id: str
    category: Category
    weight: float


# --- normalisation ---------------------------------------------------------------------------

_APOSTROPHES = re.compile("[\u2019\u2018\u02bc\u0060\u00b4\u2032\uff07]")


@cache
def _marks() -> re.Pattern[str]:
    """A class of the combining marks of the BMP, built once (scanning takes ~50 ms)."""
    # Supplementary-plane marks are left out: with them the class compiles to a range list
    # and costs 20x more per character, and no rule is written in the scripts that use them.
    ranges: list[list[int]] = []
    for cp in range(0x10000):
        if unicodedata.combining(chr(cp)):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]")


def normalize(text: str) -> str:
    """The form rules match against: no accents, casefolded, whitespace collapsed."""
    if not text.isascii():
        text = strip_invisible(_APOSTROPHES.sub("'", text))
        # casefold before NFKD so that capitals decompose too, and after (below) for the
        # compatibility forms that NFKD turns into capitals
        text = _marks().sub("", unicodedata.normalize("NFKD", text.casefold()))
        # NFKD leaves these ligatures whole; French writes them both ways
        text = text.replace("œ", "oe").replace("æ", "ae")
    return " ".join(text.casefold().split())


# --- loading ---------------------------------------------------------------------------------


def parse_rule_file(document: object, *, digest: str, stemmers: Mapping[str, Stemmer]) -> RuleSet:
    """Compile a parsed rule file; raise :class:`RuleError` if it is invalid."""
    lexicon = EMPTY_LEXICON
    if isinstance(document, Mapping):
        lexicon = parse_lexicon(document)
        document = document.get("rules")
    return RuleSet(
        parse_rules(document),
        digest=digest,
        lexicon=lexicon,
        stemmers=stemmers,
    )


def parse_lexicon(document: Mapping[object, object]) -> Lexicon:
    """The ``spelling``, ``emoji`` and ``concepts`` sections of a rule file."""
    unknown = set(document) - _SECTIONS
    if unknown:
        raise RuleError(
            f"a rule file is a list of rules or a mapping of the sections {sorted(_SECTIONS)}: "
            f"unknown section(s) {sorted(map(str, unknown))}"
        )
    spelling = _mapping(document, "spelling")
    by_language: dict[str, dict[str, str]] = {}
    for language, table in spelling.items():
        if language not in LANGUAGES or not isinstance(table, Mapping):
            raise RuleError(f"spelling: {language!r} must be fr, en or any, with a mapping")
        by_language[str(language)] = {}
        for variant, word in table.items():
            if not isinstance(word, str) or not _WORD_ONLY.fullmatch(normalize(str(variant))):
                raise RuleError(f"spelling: {variant!r}: a single word, to a text")
            by_language[str(language)][normalize(str(variant))] = normalize(word)
    emoji = {normalize(str(e)): normalize(str(w)) for e, w in _mapping(document, "emoji").items()}
    for name, phrases in _mapping(document, "contexts").items():
        # named phrase lists that rules take as `unless` through YAML aliases
        if not isinstance(phrases, list) or not all(isinstance(x, str) for x in phrases):
            raise RuleError(f"context {name!r}: a list of phrases")
    concepts: dict[str, dict[str, list[str]]] = {}
    for name, entries in _mapping(document, "concepts").items():
        if not isinstance(entries, Mapping) or not all(
            isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v)
            for v in entries.values()
        ):
            raise RuleError(f"concept {name!r}: lists of words per language (fr, en, any)")
        concepts[str(name)] = {str(k): [normalize(x) for x in v] for k, v in entries.items()}
    return Lexicon(by_language, emoji, concepts)


def _mapping(document: Mapping[object, object], key: str) -> Mapping[object, Any]:
    value = document.get(key) or {}
    if not isinstance(value, Mapping):
        raise RuleError(f"{key} must be a mapping")
    return value


def parse_rules(document: object) -> list[Rule]:
    """Validate a parsed rule file (a list of mappings)."""
    if not isinstance(document, list):
        raise RuleError("a rule file must be a YAML list of rules")
    rules: list[Rule] = []
    seen: set[str] = set()
    for position, entry in enumerate(document, start=1):
        rule = _parse_rule(entry, position)
        if rule.id in seen:
            raise RuleError(f"rule {rule.id!r}: duplicate id")
        seen.add(rule.id)
        rules.append(rule)
    return rules


def _parse_rule(entry: object, position: int) -> Rule:
    if not isinstance(entry, Mapping):
        raise RuleError(f"rule #{position}: must be a mapping")
    rule_id = _rule_id(entry, position)
    where = f"rule {rule_id!r}"
    try:
        category = Category(str(entry.get("category")))
    except ValueError:
        raise RuleError(f"{where}: category must be one of {[c.value for c in Category]}") from None
    language = entry.get("language")
    if language not in LANGUAGES:
        raise RuleError(f"{where}: language must be one of {list(LANGUAGES)}")
    weight = entry.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
        raise RuleError(f"{where}: weight must be a number between 0 and 1")
    source = entry.get("source", "any")
    if source not in SOURCES:
        raise RuleError(f"{where}: source must be one of {list(SOURCES)}")
    keywords = _strings(entry, "keywords", where)
    patterns = _strings(entry, "patterns", where)
    concepts = _strings(entry, "concepts", where)
    if sum(map(bool, (keywords, patterns, concepts))) != 1:
        raise RuleError(f"{where}: needs one non-empty keywords, patterns or concepts list")
    within, at_least = _composition(entry, concepts, where)
    for keyword in (*keywords, *_strings(entry, "unless", where)):
        _check_phrase(keyword, where)
    for pattern in patterns:
        _check_pattern(pattern, where)
    return Rule(
        id=rule_id,
        category=category,
        language=str(language),
        weight=float(weight),
        keywords=keywords,
        patterns=patterns,
        unless=_strings(entry, "unless", where),
        source=str(source),
        concepts=concepts,
        within=within,
        at_least=at_least,
    )


def _rule_id(entry: Mapping[object, object], position: int) -> str:
    """The rule's id, once its fields are known ones."""
    rule_id = entry.get("id")
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise RuleError(f"rule #{position}: needs a non-empty string id")
    unknown = set(entry) - _FIELDS
    if unknown:
        raise RuleError(f"rule {rule_id!r}: unknown field(s) {sorted(map(str, unknown))}")
    return rule_id


def _composition(
    entry: Mapping[Any, Any], concepts: tuple[str, ...], where: str
) -> tuple[int, int]:
    """A compositional rule's ``within`` and ``at_least`` (``at_least`` 0 for other rules)."""
    within = entry.get("within", DEFAULT_WITHIN)
    at_least = entry.get("at_least", len(concepts))
    if concepts and not (
        isinstance(within, int) and within >= 1 and isinstance(at_least, int)
        and 1 <= at_least <= len(concepts)
    ):  # fmt: skip
        raise RuleError(f"{where}: within >= 1 words, at_least between 1 and its concepts")
    return int(within), int(at_least) if concepts else 0


def _strings(entry: Mapping[object, object], key: str, where: str) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise RuleError(f"{where}: {key} must be a list of non-empty strings")
    return tuple(value)


def _check_phrase(phrase: str, where: str) -> None:
    body = normalize(phrase).removesuffix("*")
    if not body or "*" in body:
        raise RuleError(f"{where}: {phrase!r}: only a trailing * is allowed, after some text")


def _check_pattern(pattern: str, where: str) -> None:
    try:
        # wrapped as it will be once combined, so a mid-pattern global flag fails here
        compiled = re.compile(f"(?:{pattern})")
    except re.error as exc:
        raise RuleError(f"{where}: pattern {pattern!r} does not compile: {exc}") from None
    if compiled.groups:
        raise RuleError(f"{where}: pattern {pattern!r} has a capturing group; use (?:...)")
    if compiled.search(""):
        raise RuleError(f"{where}: pattern {pattern!r} matches the empty text")


# --- compiling -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Term:
    """A normalised keyword: its regex tokens, its literal text, whether it is a prefix."""

    tokens: tuple[str, ...]
    literal: str
    prefix: bool


def _term(keyword: str) -> _Term:
    text = normalize(keyword)
    prefix = text.endswith("*")
    text = text.removesuffix("*").replace("-", " ")
    tokens = tuple(_SEP if ch == " " else re.escape(ch) for ch in text)
    return _Term(tokens, text, prefix)


class _Trie:
    """Terms sharing their first characters, emitted as one nested alternation."""

    def __init__(self) -> None:
        self.children: dict[str, _Trie] = {}
        self.ends: list[tuple[bool, str]] = []  # (prefix, marker) of terms ending here

    def add(self, term: _Term, marker: str) -> None:
        node = self
        for token in term.tokens:
            node = node.children.setdefault(token, _Trie())
        node.ends.append((term.prefix, marker))

    def regex(self) -> str:
        branches = [token + child.regex() for token, child in sorted(self.children.items())]
        branches += [
            ("\\w*" if prefix else "") + "(?!\\w)" + marker for prefix, marker in self.ends
        ]
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _phrases_regex(phrases: Iterable[str]) -> re.Pattern[str]:
    trie = _Trie()
    for phrase in phrases:
        trie.add(_term(phrase), "")
    return re.compile("(?<!\\w)" + trie.regex())


class _View:
    """The compiled rules that apply to one language and one source of text."""

    def __init__(self, rules: Sequence[tuple[int, Rule]]) -> None:
        owners: dict[_Term, set[int]] = {}
        for index, rule in rules:
            for keyword in rule.keywords:
                owners.setdefault(_term(keyword), set()).add(index)
        # Patterns whose every alternative starts with literal words (``\b(?:coke|weed)...``)
        # run only when one of those words is in the text: their words are found with the
        # keywords, owned by ~index (a candidate, not yet a hit).
        # The other patterns starting on a word boundary share one pre-filter scan; the rest
        # run on every text.
        anchored: list[tuple[int, Rule]] = []
        for index, rule in rules:
            if not rule.patterns:
                continue
            words = _trigger_words(rule.patterns)
            if words:
                for word in words:
                    term = _Term(tuple(map(re.escape, word)), word, prefix=True)
                    owners.setdefault(term, set()).add(~index)
            elif all(map(_anchored, rule.patterns)):
                anchored.append((index, rule))
        self.terms = _Terms(owners)
        self.triggered = {
            i: re.compile("|".join(r.patterns))
            for i, r in rules
            if r.patterns and _trigger_words(r.patterns)
        }
        self.prefilter = (
            re.compile(
                "\\b(?:" + "|".join(f"(?:{p})" for _, r in anchored for p in r.patterns) + ")"
            )
            if anchored
            else None
        )
        self.gated = [(i, re.compile("|".join(r.patterns))) for i, r in anchored]
        self.free = [
            (i, re.compile("|".join(r.patterns)))
            for i, r in rules
            if r.patterns and not _trigger_words(r.patterns) and not all(map(_anchored, r.patterns))
        ]

    def hits(self, text: str) -> set[int]:
        found: set[int] = set()
        for start, owners in self.terms.find(text):
            for owner in owners:
                if owner >= 0:
                    found.add(owner)
                # a pattern's words start its match: it is tried where they were found
                elif ~owner not in found and self.triggered[~owner].match(text, start):
                    found.add(~owner)
        if self.prefilter is not None and self.prefilter.search(text):
            found.update(i for i, regex in self.gated if regex.search(text))
        found.update(i for i, regex in self.free if regex.search(text))
        return found


_WORD_RUN = re.compile(r"\w+")
#: A term, checked where its first word was found, and the rules it belongs to.
_Checked = tuple[re.Pattern[str], frozenset[int]]
#: The terms a word may start: one regex of them all when they are many, the terms, and the
#: phrases picked by the word that follows it.
_Candidates = tuple[
    re.Pattern[str] | None, tuple[_Checked, ...], Mapping[str, tuple[_Checked, ...]]
]
_UNSEEN: Any = object()
_NO_PAIRS: Mapping[str, tuple[_Checked, ...]] = {}


class _Terms:
    """Every term of a view, looked up by the word it starts with, then checked in place.

    A term starting with a word character can only match where a word starts: its first
    word is looked up (a prefix term's in its prefixes), and only the few terms found are
    tried, each by its own regex at that place; a phrase whose second word is written out
    is picked by its first two words. A text costs one scan of its words, not a regex
    tried at every character; a term inside another term's span is found too.
    """

    def __init__(self, owners: Mapping[_Term, set[int]]) -> None:
        self._by_word: dict[str, list[_Checked]] = {}
        self._by_prefix: dict[str, list[_Checked]] = {}
        #: first word -> second word -> the phrases they start
        self._by_pair: dict[str, dict[str, list[_Checked]]] = {}
        #: terms that start with no word character: scanned for everywhere, as a lookahead
        self.loose: list[_Checked] = []
        for term, owned in owners.items():
            body = "".join(term.tokens) + ("\\w*" if term.prefix else "") + "(?!\\w)"
            head = _WORD_RUN.match(term.literal)
            if head is None:
                self.loose.append((re.compile(f"(?<!\\w)(?={body})"), frozenset(owned)))
                continue
            checked = (re.compile(body), frozenset(owned))
            one_word = head.end() == len(term.literal)
            second = _second_word(term)
            if second is not None:
                pairs = self._by_pair.setdefault(head.group(), {})
                pairs.setdefault(second, []).append(checked)
                continue
            table = self._by_prefix if term.prefix and one_word else self._by_word
            table.setdefault(head.group(), []).append(checked)
        self._lengths = sorted({len(prefix) for prefix in self._by_prefix})
        self._cache: dict[str, _Candidates | None] = {}
        self._gates: dict[tuple[_Checked, ...], re.Pattern[str]] = {}

    def find(self, text: str) -> Iterator[tuple[int, frozenset[int]]]:
        """Where each term found in the text starts, with the rules it belongs to."""
        cache = self._cache
        begun, pairs = 0, _NO_PAIRS  # the phrases the previous word starts, by second word
        for word in _WORD_RUN.finditer(text):
            value = word.group()
            for regex, owned in pairs.get(value, ()):
                if regex.match(text, begun):
                    yield begun, owned
            candidates = cache.get(value, _UNSEEN)
            if candidates is _UNSEEN:
                candidates = self._candidates(value)
            if candidates is None:
                pairs = _NO_PAIRS
                continue
            gate, terms, pairs = candidates
            begun = word.start()
            if terms and (gate is None or gate.match(text, begun)):
                for regex, owned in terms:
                    if regex.match(text, begun):
                        yield begun, owned
        if self.loose:
            yield from self._loose(text)

    def _loose(self, text: str) -> Iterator[tuple[int, frozenset[int]]]:
        for regex, owned in self.loose:
            for match in regex.finditer(text):
                yield match.start(), owned

    def _candidates(self, word: str) -> _Candidates | None:
        found = list(self._by_word.get(word, ()))
        for length in self._lengths:
            if length > len(word):
                break
            found += self._by_prefix.get(word[:length], ())
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        terms = tuple(found)
        # a common first word ("i", "je") starts dozens of phrases: one regex of them all
        # says whether any is here before each is tried
        gate = None
        if len(terms) > 2:
            gate = self._gates.get(terms)
            if gate is None:
                gate = self._gates[terms] = re.compile("|".join(r.pattern for r, _ in terms))
        pairs = {second: tuple(c) for second, c in self._by_pair.get(word, {}).items()}
        candidates = self._cache[word] = (gate, terms, pairs) if terms or pairs else None
        return candidates


def _second_word(term: _Term) -> str | None:
    """A phrase's second word when it is written out whole, else None.

    Where the phrase matches, the text's second word is exactly that word (what separates
    the two is no word character, and what follows it either), so the pair picks it. A
    prefix's last word is not written out whole: "je vais te tu*" has one, "tu*" none.
    """
    words = list(_WORD_RUN.finditer(term.literal))
    if len(words) < 2 or (term.prefix and words[1].end() == len(term.literal)):
        return None
    return words[1].group()


@cache
def _trigger_words(patterns: tuple[str, ...]) -> frozenset[str]:
    r"""The literal words every pattern starts with, or nothing if one pattern has none.

    ``\b(?:coke|weed)\b.{0,80}...`` starts with "coke" or "weed"; a pattern starting with a
    class, a repeat or a single character gives nothing, and is scanned as before. A text
    without any of the words cannot match, so the pattern need not run.
    """
    words: set[str] = set()
    for pattern in patterns:
        found = _leading_literals(pattern)
        if not found:
            return frozenset()
        words |= found
    return frozenset(words)


def _leading_literals(pattern: str) -> set[str]:
    try:
        items = list(_sre_parse.parse(pattern))
    except re.error:
        return set()
    return _starts(items) or set()


def _starts(items: list[Any], depth: int = 0) -> set[str] | None:  # noqa: PLR0911 - one per shape
    """The literal starts of a parsed pattern's alternatives (None: one has none).

    The parser factors common prefixes (``put|pop`` is ``p`` then ``ut|op``) and groups nest,
    so alternatives are followed through groups, branches and small classes (``[89]``).
    """
    while items and items[0][0] is _sre.AT:
        items = items[1:]
    if not items or depth > 8:
        return None
    op, av = items[0]
    rest = items[1:]
    if op is _sre.SUBPATTERN and av[0] is None:
        return _starts(list(av[-1]) + rest, depth + 1)
    if op is _sre.BRANCH:
        return _union([list(branch) + rest for branch in av[1]], depth)
    if op is _sre.IN:
        chars = _class_chars(av)
        if chars is None:
            return None
        return _union([[(_sre.LITERAL, ord(c)), *rest] for c in chars], depth)
    literal = ""
    while items and items[0][0] is _sre.LITERAL:
        literal += chr(items[0][1])
        items = items[1:]
    if not literal:
        return None
    if len(literal) >= 2 or not items:
        return {literal} if len(literal) >= 2 else None
    after = _starts(items, depth + 1)
    return None if after is None else {literal + word for word in after}


def _union(alternatives: list[list[Any]], depth: int) -> set[str] | None:
    words: set[str] = set()
    for alternative in alternatives:
        found = _starts(alternative, depth + 1)
        if found is None:
            return None
        words |= found
    return words


def _class_chars(items: Any) -> str | None:
    """The characters of a small class of literals and ranges (``[89]``, ``[0-4]``)."""
    chars = ""
    for op, av in items:
        if op is _sre.LITERAL:
            chars += chr(av)
        elif op is _sre.RANGE and av[1] - av[0] < 10:
            chars += "".join(chr(c) for c in range(av[0], av[1] + 1))
        else:
            return None
    return chars or None


def _anchored(pattern: str) -> bool:
    return pattern.startswith("\\b")


class RuleSet:
    """Compiled rules: ``match`` says which rules a text hits."""

    def __init__(
        self,
        rules: Sequence[Rule],
        *,
        digest: str = "",
        lexicon: Lexicon = EMPTY_LEXICON,
        stemmers: Mapping[str, Stemmer],
    ) -> None:
        self.rules = tuple(rules)
        self.lexicon = lexicon
        #: SHA-256 of the rule file, to version what screened a case.
        self.digest = digest
        indexed = list(enumerate(self.rules))
        self._views = {
            (language, source): _View(
                [
                    (i, r)
                    for i, r in indexed
                    if (language == _ALL or r.language in (language, "any"))
                    and r.source in (source, "any")
                    and not r.concepts
                ]
            )
            for language in ("fr", "en", _ALL)
            for source in ("report", "excerpt")
        }
        self._composed = {
            (language, source): Compositions(
                [
                    (i, ConceptRule(r.concepts, r.at_least, r.within))
                    for i, r in indexed
                    if r.concepts
                    and (language == _ALL or r.language in (language, "any"))
                    and r.source in (source, "any")
                ]
            )
            for language in ("fr", "en", _ALL)
            for source in ("report", "excerpt")
        }
        self._concepts = _concepts(self.rules, lexicon, stemmers)
        vocabulary = _vocabulary(self.rules, lexicon)
        self._spelling = {
            language: Spelling(
                variants=_variants(lexicon, language), emoji=lexicon.emoji, vocabulary=vocabulary
            )
            for language in ("fr", "en", _ALL)
        }
        compiled: dict[tuple[str, ...], re.Pattern[str]] = {}
        self._unless = [
            compiled.setdefault(r.unless, _phrases_regex(r.unless)) if r.unless else None
            for r in self.rules
        ]

    def canonical(self, text: str, language: str | None = None) -> str:
        """The text as rules read it: normalised, then in the rules' spelling."""
        return self._spelling[_view_key(language)].canonical(normalize(text))

    def match(
        self, text: str, language: str | None = None, source: str = "excerpt"
    ) -> list[RuleHit]:
        """The rules the text hits, in file order.

        ``language`` (a tag such as ``fr-CA``) picks its language's rules and the ``any``
        ones; a text of unknown or another language is matched against every rule.
        ``source`` (``report`` or ``excerpt``, the default: a reported message) leaves out
        the rules written for the other.
        """
        language_key = _view_key(language)
        normalized = self._spelling[language_key].canonical(normalize(text))
        view = (language_key, "report" if source == "report" else "excerpt")
        indices = self._views[view].hits(normalized)
        composed = self._composed[view]
        if composed:
            found = self._concepts.find(tokens(normalized), language_key)
            if found:
                indices.update(composed.hits(found))
        hits = []
        for index in sorted(indices):
            unless = self._unless[index]
            if unless is not None and unless.search(normalized):
                continue
            rule = self.rules[index]
            hits.append(RuleHit(rule.id, rule.category, rule.weight))
        return hits


def _concepts(rules: Sequence[Rule], lexicon: Lexicon, stemmers: Mapping[str, Stemmer]) -> Concepts:
    try:
        concepts = Concepts(lexicon.concepts, stemmers)
    except ConceptError as error:
        raise RuleError(str(error)) from None
    for rule in rules:
        unknown = set(rule.concepts) - concepts.names
        if unknown:
            raise RuleError(f"rule {rule.id!r}: unknown concept(s) {sorted(unknown)}")
    return concepts


def _vocabulary(rules: Sequence[Rule], lexicon: Lexicon) -> set[str]:
    """Every word the rules and concepts are written with: what respelling may produce."""
    texts = [
        *(k for r in rules for k in (*r.keywords, *r.unless)),
        *(re.sub(r"\\.|\(\?:?|[^a-z ]", " ", p) for r in rules for p in r.patterns),
        *(e for by_language in lexicon.concepts.values() for v in by_language.values() for e in v),
        *(w for table in lexicon.spelling.values() for w in table.values()),
    ]
    return {word for text in texts for word in re.findall("[a-z]{2,}", normalize(text))}


def _variants(lexicon: Lexicon, language: str) -> dict[str, str]:
    """The spelling table of a view: ``any`` and the language's; both where they agree."""
    table = dict(lexicon.spelling.get("any", {}))
    if language in ("fr", "en"):
        table.update(lexicon.spelling.get(language, {}))
        return table
    fr, en = lexicon.spelling.get("fr", {}), lexicon.spelling.get("en", {})
    for variant in fr.keys() | en.keys():
        meanings = {t[variant] for t in (fr, en) if variant in t}
        if len(meanings) == 1:
            table.setdefault(variant, meanings.pop())
    return table


def _view_key(language: str | None) -> str:
    if language is None:
        return _ALL
    primary = language.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in ("fr", "en") else _ALL


def combined_scores(hits: Iterable[RuleHit]) -> dict[Category, float]:
    """Per category, 1 - prod(1 - weight) over the distinct rules hit.

    A rule written in both languages (``fr.ncii.revenge``, ``en.ncii.revenge``) counts once,
    at its stronger hit: a text every language's rules read says one thing once.
    """
    weights: dict[Category, dict[str, float]] = {}
    for hit in hits:
        by_rule = weights.setdefault(hit.category, {})
        family = rule_family(hit.rule_id)
        by_rule[family] = max(by_rule.get(family, 0.0), hit.weight)
    return {
        category: 1.0 - math.prod(1.0 - w for w in by_rule.values())
        for category, by_rule in weights.items()
    }


def rule_family(rule_id: str) -> str:
    """A rule's id without its language (``ncii.revenge`` for ``fr.ncii.revenge``)."""
    language, _, rest = rule_id.partition(".")
    return rest if language in ("fr", "en") and rest else rule_id
