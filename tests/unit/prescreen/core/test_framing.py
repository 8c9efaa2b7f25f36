"""Frames: what a text's framing (news, lessons, care, games, banter) makes of its scores."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.prescreen.core.framing import Frame, Framing, FramingError, parse_framing
from services.prescreen.core.text_rules import normalize
from shared.events import Category

DEPLOY_FRAMING = Path(__file__).parents[4] / "deploy" / "prescreen" / "framing.yaml"
HARASSMENT, FRAUD, DRUGS = Category.HARASSMENT, Category.FRAUD, Category.ILLEGAL_GOODS


def framing(**frames: tuple[float, list[str]]) -> Framing:
    """Frames lowering harassment only, from (factor, phrases)."""
    lowered = frozenset({HARASSMENT})
    return Framing([Frame(name, f, lowered, tuple(p)) for name, (f, p) in frames.items()])


def test_frames_sharing_a_marker_are_both_found() -> None:
    frames = Framing(
        [
            Frame("help", 0.6, frozenset({Category.SELF_HARM}), ("helpline",)),
            Frame("prevention", 0.5, frozenset({HARASSMENT}), ("helpline",)),
        ]
    )
    found = frames.find("call the helpline")
    assert found == {"help", "prevention"}
    assert frames.factor(found, Category.SELF_HARM) == 0.6
    assert frames.factor(found, HARASSMENT) == 0.5


def test_a_frame_lowers_its_categories_and_no_other() -> None:
    game = framing(game=(0.5, ["match"]))
    found = game.find("on va vous exploser au match")
    assert found == {"game"}
    assert game.factor(found, HARASSMENT) == 0.5
    assert game.factor(found, FRAUD) == 1.0


def test_no_frame_leaves_a_score_unchanged() -> None:
    game = framing(game=(0.5, ["match"]))
    found = game.find("je vais te tuer")
    assert found == frozenset()
    assert game.factor(found, HARASSMENT) == 1.0


def test_frames_multiply_down_to_the_floor() -> None:
    frames = framing(game=(0.5, ["match"]), laughter=(0.8, ["lol"]), affection=(0.5, ["love you"]))
    assert frames.factor(frames.find("lol that match"), HARASSMENT) == pytest.approx(0.4)
    assert frames.factor(frames.find("lol that match, love you"), HARASSMENT) == 0.25


def test_unless_phrases_undo_a_frame() -> None:
    game = Framing([Frame("game", 0.5, frozenset({HARASSMENT}), ("gg",), unless=("your address",))])
    assert game.find("gg, you lost") == {"game"}
    assert game.find("gg, now I'll post your address") == frozenset()


def test_phrases_are_words_prefixes_or_symbols() -> None:
    frames = Framing(
        [
            Frame("game", 0.5, frozenset(), ("gg", "gank*")),
            Frame("affection", 0.5, frozenset(), ("\u2764",)),
        ]
    )
    assert frames.find("an egg") == frozenset()  # "gg" is a word, not any two g's
    assert frames.find("got ganked again") == {"game"}
    assert frames.find("see you soon\u2764") == {"affection"}


def test_a_phrase_matches_across_a_space_or_a_hyphen() -> None:
    frames = framing(teaching=(0.5, ["cine debat"]))
    assert frames.find("soiree cine-debat jeudi") == {"teaching"}


def test_a_text_that_speaks_to_nobody_is_not_addressed() -> None:
    frames = Framing((), address=("you", "tu"), unaddressed_factor=0.6)
    assert frames.addressed("shut up you idiot")
    assert frames.addressed("tu es nul")
    assert not frames.addressed("this printer is useless crap")
    assert not frames.addressed("tutu and youth")  # words, not letters


def test_without_address_phrases_every_text_is_addressed() -> None:
    assert Framing(()).addressed("this printer is useless")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"frames": {"x": {"factor": 1.0, "phrases": ["a"]}}}, "below 1"),
        ({"frames": {"x": {"factor": 0.5, "phrases": ["a"], "categories": ["nope"]}}}, "category"),
        ({"frames": {"x": {"factor": 0.5}}}, "needs phrases or patterns"),
        ({"frames": {"x": {"factor": 0.5, "patterns": ["(a)"]}}}, "no groups"),
        ({"frames": {"x": {"factor": 0.5, "patterns": ["a?"]}}}, "never empty"),
        ({"frames": {"x": {"factor": 0.5, "phrases": ["a*b"]}}}, "trailing"),
        ({"frames": {"x": {"factor": 0.5, "phrases": ["a"], "weight": 1}}}, "mapping of"),
        ({"frames": {}, "rules": []}, "unknown section"),
        ({"floor": 0}, "floor"),
        ({"address": {"factor": 2, "phrases": ["you"]}}, "address"),
        ([], "mapping"),
        ({"contexts": {"x": "not a list"}}, "context"),
    ],
)
def test_a_bad_framing_file_is_refused_with_the_reason(document: object, message: str) -> None:
    with pytest.raises(FramingError, match=message):
        parse_framing(document, normalize=normalize)


# --- the shipped frames (deploy/prescreen/framing.yaml) ---------------------------------------


@pytest.fixture(scope="module")
def shipped() -> Framing:
    document = yaml.safe_load(DEPLOY_FRAMING.read_text(encoding="utf-8"))
    return parse_framing(document, normalize=normalize)


def frames_of(framing: Framing, text: str) -> frozenset[str]:
    return framing.find(normalize(text))


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        ("Two men were charged after police said they found 40kg of cocaine", "reporting"),
        ("Le tribunal correctionnel l'a condamné à six mois, selon le parquet", "reporting"),
        ("Lecture notes: the radio called them cockroaches for months", "teaching"),
        ("Exposé d'histoire : des protestants massacrés en 1572", "teaching"),
        ("Someone wrote 'go back to your country', this is not okay", "condemning"),
        ("Le commentaire disait « va crever », on l'a tous signalé", "condemning"),
        ("Fentanyl test strips are free at the needle exchange", "care"),
        ("Mon médecin m'a prescrit du tramadol", "care"),
        ("Call or text 988, you're not alone", "help"),
        ("ça fait trois ans que j'ai arrêté grâce à ma psy", "help"),
        ("Six months clean today, the meetings saved me", "recovery"),
        ("we're murdering you 4-0 on sunday", "game"),
        ("Je vais tous vous détruire à Smash ce soir", "game"),
        ("t'es mort au prochain round, j'arrive sur ta base", "game"),
        ("shut up you idiot, you know I love you", "affection"),
        ("t'es vraiment trop con, je t'adore", "affection"),
        ("Le Gorafi : un homme condamné pour de l'ananas", "parody"),
        ("The movie ends with the hero shooting the villain", "fiction"),
        ("As a queer woman I reclaim the word, proud and loud", "pride"),
        ("Fiers d'être là à la Marche des Fiertés", "pride"),
        ("Votre code est 482913. Ne le communiquez à personne.", "warning"),
        ("Your card ending 4421 expires; a new card was posted to your home address", "notice"),
        ("you're a fucking legend mate, thanks for the lift", "affection"),
        ("PSA: your bank will never ask for your code", "warning"),
        ("Immigrants are not criminals, they clean your hospitals", "denying"),
        ("Les immigrés ne sont pas des délinquants, arrêtez les amalgames", "denying"),
        ("My grandmother survived the camps where they were treated as vermin", "teaching"),
        ("Quelqu'un d'autre reçoit ces SMS ? Comment signaler ?", "asking"),
        ("My cousin got a message saying 'I know where you live'", "quoting"),
        ("Il m'a écrit « je vais te retrouver »", "quoting"),
        ("Sharing intimate images without consent is a crime, the helpline can help", "prevention"),
        ("He says women are too stupid to drive, he's wrong", "condemning"),
        ("Ma grand-mère dit que les femmes conduisent mal, elle a tort", "condemning"),
        ("'You're dead,' he wrote, the court heard", "quoting"),
        ("Les affiches de propagande de 1933 au musée", "teaching"),
        ("History homework: why did the nazis call them vermin?", "teaching"),
        ("Devoir d'histoire : pourquoi les nazis les traitaient de vermine ?", "teaching"),
        ("Someone spray painted 'go home' on the door", "quoting"),
        ("Quelqu'un a tagué « dehors » sur le mur", "quoting"),
    ],
)
def test_the_shipped_frames_recognise_their_class(shipped: Framing, text: str, frame: str) -> None:
    assert frame in frames_of(shipped, text)


@pytest.mark.parametrize(
    "text",
    [
        "this is your final warning, I know where you live",  # "final" is not a cup final
        "no prescription needed, pills shipped anywhere",  # a sale, not a prescription
        "vente de cachets sans ordonnance, livraison rapide",
        "I'll teach you a lesson you won't forget",  # a threat, not a lesson
        "you're disgusting and everyone hates you",  # an insult, not a condemnation
        "je vais te dénoncer à tout le monde",
        "selon moi ces gens sont des parasites",  # an opinion, not a source
        "the news won't tell you but they are animals",
        "I'm going to expose your nudes to your whole school",
        "si tu portes plainte je te retrouve",
        "muslims are not human and are not welcome here",
        "ces gens ne sont pas des humains",
        "there will be no survivors at the concert",
        "according to me all muslims are terrorists",
        "white pride worldwide, these people must go back",
        "I'm a nurse and I can get you oxy without prescription, dm me",
        "I will kill you and your whole family, this is not a game",
        "happy birthday, hope it's your last, nobody would miss you",
        "t'es qu'une merde, tout le monde dans le jeu te déteste, va te pendre",
        "you'll say 'sorry' when I find you",
        # a death threat said to the reader is no report, even beside a trial
        "see you at the trial, you are dead",
        "the holocaust is a lie made up to control us",  # denial, not counter-speech
    ],
)
def test_harm_that_borrows_a_word_is_not_framed(shipped: Framing, text: str) -> None:
    assert frames_of(shipped, text) == frozenset()


@pytest.mark.parametrize(
    "text",
    [
        "Félicitations ! vous avez gagné une carte cadeau de 1000 €, payez les frais de port",
        "you won a gift card of 1500 dollars, pay the shipping to claim",
        "en 1200 euros par mois, garanti",
    ],
)
def test_an_amount_is_no_year(shipped: Framing, text: str) -> None:
    assert "teaching" not in frames_of(shipped, text)


@pytest.mark.parametrize(
    "text",
    [
        "gg ez, now delete your account or I'll post your address everywhere",
        "mdr t'es mort quand je te chope à la sortie",
        "lol I know where you live",
    ],
)
def test_a_game_or_a_joke_that_reaches_into_real_life_is_not_framed(
    shipped: Framing, text: str
) -> None:
    found = frames_of(shipped, text)
    assert not found & {"game", "laughter", "affection"}


def test_negated_affection_is_not_affection(shipped: Framing) -> None:
    assert frames_of(shipped, "nobody would miss you, nobody will ever love you") == frozenset()


def test_self_harm_help_lowers_less_than_other_frames(shipped: Framing) -> None:
    # a cry for help beside a helpline's number must still reach a person (review at 0.4)
    found = frames_of(shipped, "I called the helpline but I want to die tonight")
    assert "help" in found
    assert 0.75 * shipped.factor(found, Category.SELF_HARM) >= 0.4
    assert shipped.factor(found, DRUGS) == 1.0


def test_a_game_word_does_not_lower_terrorism(shipped: Framing) -> None:
    found = frames_of(shipped, "good match yesterday, next time we bomb the stadium")
    assert found == {"game"}
    assert shipped.factor(found, Category.TERRORISM) == 1.0
