from __future__ import annotations

import json
import re
import textwrap
import time
from pathlib import Path

import pytest

from services.prescreen.adapters.stemmers import snowball
from services.prescreen.adapters.yaml_files import load_rules
from services.prescreen.core.text_rules import (
    RuleError,
    RuleHit,
    RuleSet,
    _phrases_regex,
    combined_scores,
    normalize,
)
from shared.events import Category

DUPLICATE = (
    "- id: r9\n  category: spam\n  language: fr\n  weight: 1\n  keywords: [a]\n"
    "- id: r9\n  category: spam\n  language: fr\n  weight: 1\n  keywords: [b]"
)
DEPLOY_RULES = Path(__file__).parents[4] / "deploy" / "prescreen" / "rules.yaml"
STEMMERS = snowball()


def write_rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def small(tmp_path: Path) -> RuleSet:
    return load_rules(
        write_rules(
            tmp_path,
            """
            - id: fr.threat
              category: harassment_threats
              language: fr
              weight: 0.8
              keywords: [je vais te tuer, tuer*]
              unless: [selon la police, dans le film]
            - id: en.threat
              category: harassment_threats
              language: en
              weight: 0.5
              keywords: [kill you, kill*]
            - id: any.spam
              category: spam
              language: any
              weight: 0.3
              patterns: ['\\bwww\\.\\S+']
            - id: en.drugs
              category: illegal_goods_drugs
              language: en
              weight: 0.4
              keywords: [coke, coke for sale]
            - id: en.sale
              category: illegal_goods_drugs
              language: en
              weight: 0.5
              keywords: [for sale]
            """,
        ),
        stemmers=STEMMERS,
    )


@pytest.fixture(scope="module")
def deployed() -> RuleSet:
    return load_rules(DEPLOY_RULES, stemmers=STEMMERS)


def ids(hits: list[RuleHit]) -> set[str]:
    return {hit.rule_id for hit in hits}


def test_normalize_accents_case_apostrophes_whitespace() -> None:
    assert normalize("  Je   VAIS\tte TUÉR\u2019 Cœur\u200b ") == "je vais te tuer' coeur"


@pytest.mark.parametrize("text", ["Je vais te tuer", "je vais te tuér", "JE VAIS TE TUER !"])
def test_accent_and_case_insensitive(small: RuleSet, text: str) -> None:
    assert ids(small.match(text, "fr")) == {"fr.threat"}


def test_keyword_inside_a_longer_word_does_not_match(small: RuleSet) -> None:
    assert small.match("ils vont s'entretuer", "fr") == []
    assert small.match("a skilled player", "en") == []
    assert small.match("cokehead", "en") == []


def test_prefix_keyword(small: RuleSet) -> None:
    assert ids(small.match("il veut tuerie", "fr")) == {"fr.threat"}
    assert ids(small.match("a killer", "en")) == {"en.threat"}


def test_unless_suppresses_the_rule(small: RuleSet) -> None:
    assert small.match("Selon la police, il a crié « je vais te tuer »", "fr") == []
    assert small.match("dans le film il dit je vais te tuer", "fr") == []


def test_language_selects_rules(small: RuleSet) -> None:
    assert small.match("kill you", "fr") == []
    assert ids(small.match("kill you", "en-GB")) == {"en.threat"}
    # unknown or other languages get every rule
    assert ids(small.match("kill you", None)) == {"en.threat"}
    assert ids(small.match("kill you", "de")) == {"en.threat"}


def test_overlapping_keywords_of_different_rules_all_hit(small: RuleSet) -> None:
    # "coke for sale" starts where "coke" does, and "for sale" inside it
    assert ids(small.match("coke for sale", "en")) == {"en.drugs", "en.sale"}


def test_patterns_apply_to_every_language(small: RuleSet) -> None:
    assert ids(small.match("va sur WWW.Exemple.fr", "fr")) == {"any.spam"}


def test_a_rule_written_in_both_languages_counts_once() -> None:
    both = [
        RuleHit("fr.ncii.revenge", Category.NON_CONSENSUAL_IMAGERY, 0.6),
        RuleHit("en.ncii.revenge", Category.NON_CONSENSUAL_IMAGERY, 0.6),
        RuleHit("any.ncii.exposed", Category.NON_CONSENSUAL_IMAGERY, 0.5),
    ]
    assert combined_scores(both) == pytest.approx({Category.NON_CONSENSUAL_IMAGERY: 1 - 0.4 * 0.5})


def test_combined_scores_count_each_rule_once() -> None:
    hits = [
        RuleHit("a", Category.SPAM, 0.5),
        RuleHit("a", Category.SPAM, 0.5),
        RuleHit("b", Category.SPAM, 0.5),
        RuleHit("c", Category.FRAUD, 0.2),
    ]
    assert combined_scores(hits) == pytest.approx({Category.SPAM: 0.75, Category.FRAUD: 0.2})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("- id: r1\n  category: nope\n  language: fr\n  weight: 1\n  keywords: [a]", "'r1'"),
        ("- id: r2\n  category: spam\n  language: de\n  weight: 1\n  keywords: [a]", "'r2'"),
        ("- id: r3\n  category: spam\n  language: fr\n  weight: 2\n  keywords: [a]", "'r3'"),
        ("- id: r4\n  category: spam\n  language: fr\n  weight: 1", "'r4'"),
        ("- id: r5\n  category: spam\n  language: fr\n  weight: 1\n  patterns: ['(a']", "'r5'"),
        ("- id: r6\n  category: spam\n  language: fr\n  weight: 1\n  patterns: ['(a)']", "'r6'"),
        ("- id: r7\n  category: spam\n  language: fr\n  weight: 1\n  keywords: ['a*b']", "'r7'"),
        (
            "- id: r8\n  category: spam\n  language: fr\n  weight: 1\n  keywords: [a]\n  x: 1",
            "'r8'",
        ),
        (DUPLICATE, "'r9'"),
        ("id: r10", "list"),
    ],
)
def test_invalid_rule_file_names_the_rule(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        load_rules(write_rules(tmp_path, body), stemmers=STEMMERS)


def test_deployed_rules_cover_every_category_in_both_languages(deployed: RuleSet) -> None:
    covered = {(rule.category, rule.language) for rule in deployed.rules}
    for category in Category:
        if category is not Category.OTHER:
            assert {(category, "fr"), (category, "en")} <= covered, category


@pytest.mark.parametrize(
    ("text", "language", "category"),
    [
        ("Vends photos de mineurs, contacte moi", "fr", Category.CHILD_SEXUAL_ABUSE),
        ("selling videos of minors, dm me", "en", Category.CHILD_SEXUAL_ABUSE),
        ("Frères, rejoignez-nous : il faut partir au jihad", "fr", Category.TERRORISM),
        ("here is how to make a bomb at home", "en", Category.TERRORISM),
        ("Je vends de la beuh, snap drive 7j/7", "fr", Category.ILLEGAL_GOODS),
        ("coke for sale, dm for menu", "en", Category.ILLEGAL_GOODS),
        ("Abonnement IPTV pas cher, toutes les chaînes", "fr", Category.IP_INFRINGEMENT),
        ("cracked version of photoshop, keygen included", "en", Category.IP_INFRINGEMENT),
        ("Investissement garanti : doublez votre argent en 7 jours", "fr", Category.FRAUD),
        ("Your account has been suspended, verify your account now", "en", Category.FRAUD),
        (
            "Paye ou je publie tes photos, sinon je diffuse la vidéo",
            "fr",
            Category.NON_CONSENSUAL_IMAGERY,
        ),
        ("pay or i post them, i will post your nudes", "en", Category.NON_CONSENSUAL_IMAGERY),
        ("Retourne dans ton pays, sous-homme", "fr", Category.HATE_SPEECH),
        ("these migrants are just vermin", "en", Category.HATE_SPEECH),
        ("Je sais où tu habites, je vais te tuer", "fr", Category.HARASSMENT),
        ("i know where you live. kill yourself", "en", Category.HARASSMENT),
        ("J\u2019ai envie de mourir, je veux en finir", "fr", Category.SELF_HARM),
        ("i want to die, this is my last message", "en", Category.SELF_HARM),
        ("Abonne-toi à ma chaîne !! Cliquez ici pour un code promo", "fr", Category.SPAM),
        ("Subscribe to my channel, click here, link in bio", "en", Category.SPAM),
    ],
)
def test_deployed_rules_examples(
    deployed: RuleSet, text: str, language: str, category: Category
) -> None:
    assert category in {hit.category for hit in deployed.match(text, language)}


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Selon la police, le suspect préparait une bombe artisanale", "fr"),
        ("Police said the suspect had built a pipe bomb, the article says", "en"),
        ("Mon médecin m'a prescrit de la kétamine pour le traitement", "fr"),
        ("Attention arnaque : 'investissement garanti', ne cliquez pas", "fr"),
        ("The history class covered how the Islamic State recruited", "en"),
        ("Demain on se retrouve au café pour parler du projet", "fr"),
        ("The weather is lovely, see you at the meeting tomorrow", "en"),
    ],
)
def test_deployed_rules_leave_benign_look_alikes(
    deployed: RuleSet, text: str, language: str
) -> None:
    assert deployed.match(text, language) == []


def test_terms_are_found_by_their_first_word_wherever_they_start(tmp_path: Path) -> None:
    # many phrases share a first word; a term inside another's span is found too; a
    # prefix term takes any ending; a term starting with a sign is found anywhere
    many = "\n".join(
        f"- {{id: r{i}, category: spam, language: en, weight: 0.1, keywords: [i am {w}]}}"
        for i, w in enumerate(["here", "there", "rich", "a bot", "free"])
    )
    rules = load_rules(
        write_rules(
            tmp_path,
            "rules:\n" + many + "\n"
            "- {id: long, category: fraud_scam, language: en, weight: 0.5,"
            " keywords: [send the code now]}\n"
            "- {id: inner, category: fraud_scam, language: en, weight: 0.5, keywords: [code]}\n"
            "- {id: prefix, category: harassment_threats, language: en, weight: 0.5,"
            " keywords: [threat*]}\n"
            "- {id: sign, category: fraud_scam, language: en, weight: 0.5, keywords: [$$$]}\n",
        ),
        stemmers=STEMMERS,
    )

    def ids(text: str) -> set[str]:
        return {hit.rule_id for hit in rules.match(text, "en")}

    assert ids("so i am rich and i am a bot") == {"r2", "r3"}
    assert ids("i am not rich, i am") == set()
    assert ids("please send the code now") == {"long", "inner"}
    assert ids("send-the-code now") == {"long", "inner"}  # a hyphen for a space
    assert ids("codes and barcode") == set()  # a whole-word term is no word's start
    assert ids("threatening messages") == {"prefix"}
    assert ids("a nonthreatening tone") == set()
    assert ids("win $$$ now") == {"sign"}


def test_matcher_time_grows_with_the_text_not_faster(deployed: RuleSet) -> None:
    # a ratio within one run (no absolute timing): catches a regex gone quadratic
    text = (
        "Bonjour à tous, la réunion de demain est déplacée à 14h. Merci de confirmer "
        "votre présence. Hello everyone, the meeting is moved, please confirm. "
    ) * 20

    def cost(length: int, count: int) -> float:
        texts = [f"{i} {text}"[:length] for i in range(count)]
        start = time.process_time()
        for t in texts:
            deployed.match(t, None)
        return (time.process_time() - start) / (length * count)

    cost(200, 200)  # warm the caches
    assert cost(2_000, 100) < 4 * cost(200, 1_000)


def _naive_hits(rules: RuleSet, text: str, language: str, source: str) -> list[str]:
    """Every keyword and pattern rule of the language and source tried on its own: what the
    compiled scans (keyword tries, trigger words, pre-filters) must find too."""
    normalized = rules.canonical(text, language)
    found = []
    for rule in rules.rules:
        if rule.language not in (language, "any") or rule.source not in ("any", source):
            continue
        if rule.concepts:
            continue
        keywords = _phrases_regex(rule.keywords) if rule.keywords else None
        hit = (keywords is not None and keywords.search(normalized) is not None) or any(
            re.search(pattern, normalized) for pattern in rule.patterns
        )
        if hit and rule.unless and _phrases_regex(rule.unless).search(normalized):
            hit = False
        if hit:
            found.append(rule.id)
    return found


def test_the_compiled_scans_find_what_each_rule_alone_finds() -> None:
    rules = load_rules(DEPLOY_RULES, stemmers=STEMMERS)
    labelled = Path(__file__).parents[3] / "eval" / "prescreen.jsonl"
    texts = [
        (t["text"], t.get("language") or row["id"][:2])
        for row in map(json.loads, labelled.read_text(encoding="utf-8").splitlines())
        for t in row["case"].get("texts", ())
    ]
    assert len(texts) > 500
    for text, language in texts:
        for source in ("report", "excerpt"):
            composed = {r.id for r in rules.rules if r.concepts}
            found = [h.rule_id for h in rules.match(text, language, source)]
            found = [rule_id for rule_id in found if rule_id not in composed]
            assert found == _naive_hits(rules, text, language, source), (text, source)


LEXICON = """
spelling:
  en: {u: you}
  fr: {jvais: je vais}
emoji: {"\\u2744": coke}
concepts:
  intent: {en: [i will, i'm going to], fr: [je vais]}
  act: {en: [kill, hurt], fr: [frapper]}
  target: {en: [you], fr: [te, t]}
  offer: {any: [dm, '#money'], en: [selling]}
  substance: {any: [coke]}
contexts:
  games: &games [the match, au match]
rules:
- id: threat
  category: harassment_threats
  language: any
  weight: 0.6
  concepts: [intent, act, target]
  within: 6
  unless: *games
- &sale
  id: sale
  category: illegal_goods_drugs
  language: any
  source: excerpt
  weight: 0.5
  concepts: [offer, substance]
- <<: *sale
  id: report.sale
  source: report
  weight: 1.0
"""


ONE_CONCEPT = "concepts: {a: {en: [x]}}\nrules:\n- {id: c, category: spam, language: en, weight: 1,"


@pytest.fixture
def composed(tmp_path: Path) -> RuleSet:
    return load_rules(write_rules(tmp_path, LEXICON), stemmers=STEMMERS)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("i will kill you", "en"),
        ("i'm going to hurt u", "en"),  # SMS spelling read as the rule's word
        ("I wiLL KILL you", None),  # unknown language: every language's words
        ("i will k1ll you", "en"),  # leetspeak
        ("i will kiiiill you", "en"),
        ("jvais te frapper", "fr"),
        ("je vais t'frapper", "fr"),
        ("Je vais te frappér", "fr"),
        ("i will really hurt you", "en"),  # within 6 words
    ],
)
def test_a_compositional_rule_matches_how_people_write_it(
    composed: RuleSet, text: str, language: str | None
) -> None:
    assert "threat" in ids(composed.match(text, language))


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("i will kill", "en"),  # no target
        ("you will kill me", "en"),  # no first person
        ("i will be there, and one day they'll kill time with you", "en"),  # too far apart
        ("i will kill you at the match tomorrow", "en"),  # a context the rule steps aside for
    ],
)
def test_a_compositional_rule_needs_all_its_parts(
    composed: RuleSet, text: str, language: str | None
) -> None:
    assert "threat" not in ids(composed.match(text, language))


def test_a_composition_reads_each_source_with_its_own_weight(composed: RuleSet) -> None:
    text = "selling \u2744\ufe0f dm"
    assert {(h.rule_id, h.weight) for h in composed.match(text, "en", "excerpt")} == {("sale", 0.5)}
    assert {(h.rule_id, h.weight) for h in composed.match(text, "en", "report")} == {
        ("report.sale", 1.0)
    }
    assert composed.match("coke 20e", "fr", "excerpt")[0].rule_id == "sale"  # an amount


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"{ONE_CONCEPT}\n  concepts: [b]}}", "'c': unknown concept"),
        (f"{ONE_CONCEPT}\n  concepts: [a], at_least: 2}}", "'c'"),
        (f"{ONE_CONCEPT}\n  concepts: [a], keywords: [x]}}", "'c'"),
        ("concepts: {a: {de: [x]}}\nrules: []", "'a'"),
        ("spelling: {en: {two words: x}}\nrules: []", "two words"),
        ("contexts: {news: news}\nrules: []", "'news'"),
        ("conceptz: {}\nrules: []", "conceptz"),
    ],
)  # fmt: skip
def test_invalid_lexicon_or_composition_names_it(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        load_rules(write_rules(tmp_path, body), stemmers=STEMMERS)


def test_deployed_rules_are_written_in_the_plain_spelling(deployed: RuleSet) -> None:
    """A keyword or concept word written as a variant would never match: texts are rewritten."""
    variants = {v for table in deployed.lexicon.spelling.values() for v in table}
    variants -= {w for table in deployed.lexicon.spelling.values() for w in table.values()}
    words = {
        word
        for rule in deployed.rules
        for phrase in (*rule.keywords, *rule.unless)
        for word in re.findall(r"[a-z0-9]+", normalize(phrase))
    } | {
        word
        for by_language in deployed.lexicon.concepts.values()
        for entries in by_language.values()
        for entry in entries
        for word in re.findall(r"[a-z0-9]+", entry)
    }
    assert not {w for w in words & variants if len(w) > 1}
