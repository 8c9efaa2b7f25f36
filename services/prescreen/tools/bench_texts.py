"""Texts of the throughput benchmark's cases, generated so that no two are alike.

A case's reported message and its reporter's words are each put together from sentences
of one language, filler words inserted at random places and a random handle, number or
amount: the benchmark's texts share words as real ones do, but practically never a whole
text, so no cache of whole texts (a batch's frame readings) makes a worker look faster.
"""

from __future__ import annotations

import random

SENTENCES: dict[str, tuple[str, ...]] = {
    "fr": (
        "Ce compte vend de la drogue, livraison discrète partout en France",
        "Il m'envoie des menaces tous les jours, je vais te retrouver dit-il",
        "Arnaque au faux conseiller bancaire, il demande les codes de la carte",
        "Rien de grave, juste une blague entre amis sur le match d'hier",
        "on se voit ce soir au bar ou pas",
        "t'as vu la vidéo que j'ai partagée dans le groupe",
        "je te laisse mon numéro, rappelle moi demain matin",
        "gagnez un iphone en cliquant sur ce lien avant minuit",
        "il insulte tout le monde dans le salon depuis une heure",
        "vends billets pour le concert de samedi, prix à débattre",
        "quelqu'un a des nouvelles de la réunion de lundi",
        "arrête de m'écrire sinon je préviens la police",
        "envoie moi des photos ou je montre tout à ta famille",
        "les films sortis cette semaine en streaming gratuit ici",
        "bravo pour ton examen, on fête ça quand tu veux",
        "ce groupe partage des messages haineux contre les étrangers",
    ),
    "en": (
        "This channel posts pirated movies every night, full HD links",
        "He keeps saying he will hurt me if I don't pay",
        "Spam spam spam, buy followers cheap, DM now",
        "Just a photo of my cat, reported by mistake",
        "are we still meeting at the station later",
        "did you see the game last night, what a finish",
        "your account is locked, confirm your password within 24 hours",
        "selling my old bike, message me if interested",
        "she keeps posting my pictures without asking me",
        "you will regret this, I know where you live",
        "free crypto giveaway, send 0.1 and get 1 back",
        "happy birthday, hope you have a great day",
        "they are calling people in this group horrible names",
        "can someone share the notes from the lecture",
        "I have what you need, pills and more, cash only",
        "stop messaging me or I will block you",
    ),
}
FILLERS: dict[str, tuple[str, ...]] = {
    "fr": (
        "vite",
        "encore",
        "toujours",
        "merci",
        "bonjour",
        "franchement",
        "genre",
        "stp",
        "demain",
        "hier",
        "salut",
        "grave",
        "trop",
        "jamais",
        "vraiment",
        "bref",
        "ouais",
        "là",
        "maintenant",
        "regarde",
        "ptn",
        "mdr",
        "ok",
        "frère",
        "wesh",
        "voilà",
    ),
    "en": (
        "please",
        "help",
        "urgent",
        "again",
        "today",
        "seriously",
        "lol",
        "ok",
        "now",
        "really",
        "guys",
        "btw",
        "honestly",
        "bro",
        "tonight",
        "asap",
        "omg",
        "look",
        "literally",
        "whatever",
        "yeah",
        "thanks",
        "hey",
        "dude",
        "soon",
        "still",
    ),
}


def generated_text(rng: random.Random, language: str) -> str:
    """One or two sentences of ``language`` with fillers, and a handle, number or amount."""
    words = " ".join(rng.sample(SENTENCES[language], rng.choice((1, 1, 2)))).split()
    for filler in rng.choices(FILLERS[language], k=rng.randrange(0, 6)):
        words.insert(rng.randrange(len(words) + 1), filler)
    tail = rng.randrange(3)
    if tail == 0:
        words.append(f"@{rng.getrandbits(32):x}")
    elif tail == 1:
        words.append(str(rng.getrandbits(24)))
    else:
        amount = rng.randrange(5, 100_000)
        words.append(f"{amount}€" if language == "fr" else f"${amount}")
    return " ".join(words)
