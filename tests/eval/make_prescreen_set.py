# ruff: noqa: E501  (the tables of texts keep one case a line)
"""Generate ``prescreen.jsonl``, the labelled evaluation set of the pre-screening stage.

Run ``.venv/bin/python tests/eval/make_prescreen_set.py``: the set is written next to this
script, one case a line, sorted by id, in the format ``services/prescreen/tools/evaluate.py``
documents. The output is deterministic (``random.Random(SEED)`` chooses the bit flips, the
bank entries and the reporter counts).

The texts were written from what each category means (``shared.events.reports.Category``),
not from any screener's rules or lists, so that the set measures the screeners honestly:

* harmful cases (``<lang>-<tag>-NNN``, tags in ``TAGS``): the reporter's words and/or the reported
  message show the violation; route ``human_review`` (no hash signal), sometimes reported
  under the wrong category, one to three reporters;
* media cases (``<lang>-media-NNN``): hashes taken from the demo bank files (exact sha256 and
  md5, PDQ hashes with k bits flipped, low-quality PDQ, allow-listed PDQ, malformed hashes);
  a match in a block bank of an ``act_on_hash_match`` category acts at once (``act_now``);
* URL cases (``<lang>-url-NNN``): benign or malformed links only (the domain lists are not
  known here), dismissed;
* benign look-alikes (``<lang>-benign-NNN``): news, medicine, history, trash talk, idioms,
  wrong-category reports, dismissed;
* mass-reported benign cases (``<lang>-mass-NNN``): five reporters or more send a case to a
  person even with no signal (``human_review``, no category).

The second batch (``prescreen_second_set.py``, ids ``<lang>-<tag>.b-NNN``, and mirrored or
rotated copies of banked images as ``<lang>-mirror.b-NNN``) is added after the first, so the
first batch's ids and contents stay as they were; that module says how it was written.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script from anywhere
from tests.eval import prescreen_second_set as second

SEED = 20_240_611
HERE = Path(__file__).resolve().parent
OUT = HERE / "prescreen.jsonl"
BANKS = HERE.parents[1] / "deploy" / "prescreen" / "banks"

#: PDQ distances the banks' threshold (31) matches, and distances it must not match.
MATCH_FLIPS = (0, 5, 15, 25, 30, 31)
MISS_FLIPS = (32, 40, 64, 128)
PDQ_THRESHOLD = 31
#: The categories whose block-bank matches act at once (deploy/prescreen/policy.yaml).
ACT_ON_HASH = (
    "child_sexual_abuse",
    "terrorism_violent_extremism",
    "non_consensual_intimate_imagery",
)

BENIGN_URLS = (
    "https://en.wikipedia.org/wiki/Phishing",
    "https://fr.wikipedia.org/wiki/Hame%C3%A7onnage",
    "https://www.lemonde.fr/pixels/",
    "https://www.service-public.fr/particuliers/vosdroits/N19808",
    "https://www.cybermalveillance.gouv.fr/",
    "https://www.scamwatch.gov.au/",
    "https://nida.nih.gov/research-topics/opioids",
    "https://www.bbc.co.uk/news",
    "https://www.python.org/downloads/",
    "https://www.who.int/health-topics/suicide",
    "https://www.openstreetmap.org/",
    "https://www.legifrance.gouv.fr/",
    "https://www.radiofrance.fr/franceinter",
    "https://github.com/python/cpython",
)
MALFORMED_URLS = (
    "htp://lemonde.fr/article",
    "https://",
    "www.lemonde.fr/sans-schema",
    "https://exa mple.org/page avec espaces",
    "pas une adresse du tout",
)


#: (language, category the reporter chose or None for the right one, reporter's words, excerpt)
Entry = tuple[str, str | None, str | None, str | None]

#: The id tag of each category.
TAGS = {
    "child_sexual_abuse": "csam",
    "terrorism_violent_extremism": "terror",
    "illegal_goods_drugs": "drugs",
    "ip_infringement": "ip",
    "fraud_scam": "fraud",
    "non_consensual_intimate_imagery": "ncii",
    "hate_speech": "hate",
    "harassment_threats": "harass",
    "self_harm": "selfharm",
    "spam": "spam",
}

NEUTRAL_MEDIA_REPORT = {
    "en": (
        "See the attached image.",
        "Picture posted in the group chat.",
        "Image someone forwarded to me.",
        "Please check this picture.",
        "Reporting this image.",
    ),
    "fr": (
        "Voir l'image jointe.",
        "Photo postée dans le groupe.",
        "Image qu'on m'a transférée.",
        "Merci de vérifier cette photo.",
        "Je signale cette image.",
    ),
}

NEUTRAL_URL_REPORT = {
    "en": ("Not sure about this link.", "Link posted in the group.", "Can you check this link?"),
    "fr": (
        "Je ne suis pas sûr de ce lien.",
        "Lien posté dans le groupe.",
        "Pouvez-vous vérifier ce lien ?",
    ),
}

HARMFUL: dict[str, list[Entry]] = {
    "child_sexual_abuse": [
        (
            "en",
            None,
            "An adult in the gaming server keeps asking my 11-year-old brother to send pictures of himself undressed and told him to keep it secret from our parents.",
            None,
        ),
        (
            "en",
            None,
            "Man messaging kids in the school group.",
            "you're 12 right? delete our chats after, and send me a pic without your shirt, it's our little secret",
        ),
        (
            "en",
            None,
            "This channel trades sexual images of children. They use code words and ask new members to contribute some to get access.",
            None,
        ),
        (
            "en",
            None,
            "Someone offered to sell a folder of sexual photos of underage girls in this group.",
            None,
        ),
        (
            "en",
            None,
            "Pretty sure this is child abuse material being shared.",
            "new links to the kid vids are up, verified members only, dm me for the password",
        ),
        (
            "en",
            "harassment_threats",
            "This user says he's 15 to talk to teenage girls but he's clearly an adult. He asks them for nude pictures and to meet him alone.",
            None,
        ),
        (
            "en",
            None,
            "A member posted a sexualised drawing of what is obviously a young child and others are asking for more like it.",
            None,
        ),
        (
            "en",
            None,
            None,
            "I can pay you in gift cards if you send more photos like yesterday's. don't tell your mum, you're very mature for 13",
        ),
        (
            "fr",
            None,
            "Un adulte demande à ma fille de 12 ans de lui envoyer des photos d'elle déshabillée et lui dit de ne rien dire à ses parents.",
            None,
        ),
        (
            "fr",
            None,
            "Ce compte contacte des enfants.",
            "t'as 13 ans c'est ça ? efface nos messages et envoie-moi une photo sans ton t-shirt, c'est notre secret",
        ),
        (
            "fr",
            None,
            "Ce groupe s'échange des images sexuelles d'enfants, ils demandent aux nouveaux d'en partager pour pouvoir rester.",
            None,
        ),
        (
            "fr",
            None,
            "Quelqu'un propose de vendre des vidéos d'abus sexuels sur des mineurs contre des cryptomonnaies.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "je te donne 50 euros de recharge si tu refais des photos comme hier, t'es mature pour 14 ans, personne ne saura",
        ),
        (
            "fr",
            "other",
            "Cet homme se fait passer pour un ado de 14 ans pour obtenir des photos intimes de collégiennes et leur propose de le retrouver seules.",
            None,
        ),
        (
            "fr",
            None,
            "Lien partagé vers du contenu pédopornographique, il demande en plus qui veut d'autres vidéos d'enfants.",
            None,
        ),
    ],
    "terrorism_violent_extremism": [
        (
            "en",
            None,
            "Recruitment for a terrorist group.",
            "Brothers, the time for talk is over. Join the fighters, the caliphate needs you. Contact the admin to arrange your travel.",
        ),
        (
            "en",
            None,
            "This channel shares propaganda videos of an armed jihadist group and praises the attackers as martyrs.",
            None,
        ),
        (
            "en",
            None,
            None,
            "The mosque shooter was a hero. Someone needs to finish what he started. Read his manifesto and act.",
        ),
        (
            "en",
            None,
            "User is posting instructions for building an explosive device and says the target should be the train station on Saturday.",
            None,
        ),
        (
            "en",
            None,
            None,
            "We need a race war. The movement will strike the power grid soon, get ready and stock up on weapons.",
        ),
        (
            "en",
            None,
            "This group raises money for an armed militia designated as a terrorist organisation and asks for crypto donations to buy weapons.",
            None,
        ),
        (
            "en",
            None,
            "They are planning an attack in a private channel.",
            "Glory to last week's attackers. Next target is the concert hall, details in the private channel.",
        ),
        (
            "en",
            "other",
            "Someone shared the livestream recording of the mass shooting and is celebrating the number of dead.",
            None,
        ),
        (
            "fr",
            None,
            "Recrutement djihadiste.",
            "Frères, l'heure n'est plus aux paroles. Rejoignez les combattants, contactez l'admin pour organiser le voyage.",
        ),
        (
            "fr",
            None,
            "Ce canal diffuse les vidéos de propagande d'un groupe terroriste et appelle à rejoindre ses rangs.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Les auteurs de l'attentat sont des héros, il faut continuer leur combat et frapper les mécréants là où ça fait mal.",
        ),
        (
            "fr",
            None,
            "Il explique comment fabriquer un engin explosif et parle de viser une église pendant la messe de Noël.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Collecte pour les frères au front : envoyez vos dons en crypto, chaque euro achète une arme pour le djihad.",
        ),
        (
            "fr",
            None,
            "Groupe d'ultradroite qui prépare des attaques armées contre des mosquées, ils s'échangent des plans et parlent de passer à l'acte.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Lisez le manifeste du tueur de masse, c'est notre guide. Passez à l'action avant qu'il ne soit trop tard.",
        ),
    ],
    "illegal_goods_drugs": [
        (
            "en",
            None,
            None,
            "Top shelf weed, coke, MDMA, pills. Discreet delivery across London 24/7. DM for the menu.",
        ),
        (
            "en",
            None,
            "This person sells handguns in the group without any licence, posts prices and says no questions asked.",
            None,
        ),
        (
            "en",
            None,
            None,
            "Got oxy 80s and xanax bars, no prescription needed, ship anywhere, pay in BTC",
        ),
        (
            "en",
            None,
            "Selling fake passports and driving licences, he posted a price list with photos.",
            None,
        ),
        (
            "en",
            None,
            None,
            "fentanyl powder available, high purity, bulk prices for resellers. message me on the other app",
        ),
        (
            "en",
            None,
            "This account sells ketamine and LSD to students at my university and posts daily drop points near campus.",
            None,
        ),
        (
            "en",
            None,
            None,
            "Ghost guns: 3D-printed frames plus parts kit, untraceable, 400 each, ships in a plain box",
        ),
        ("en", "spam", "Keeps spamming the group with a menu of cocaine and heroin prices.", None),
        (
            "fr",
            None,
            None,
            "Beuh, shit, coke, ecsta dispo. Livraison rapide sur Paris et banlieue, contactez-moi en privé.",
        ),
        (
            "fr",
            None,
            "Il vend des armes à feu dans le groupe, avec photos et prix, sans aucun permis.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Vends faux permis de conduire et fausses cartes d'identité, qualité garantie, paiement en crypto.",
        ),
        (
            "fr",
            None,
            None,
            "Cachets de Subutex et de Rivotril sans ordonnance, envoi discret partout en France.",
        ),
        (
            "fr",
            None,
            "Ce compte propose de la cocaïne aux lycéens et poste les horaires des ventes devant le lycée.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Kalash dispo, propre, avec munitions. Sérieux uniquement, remise en main propre.",
        ),
        (
            "fr",
            "other",
            "Vente de MDMA et de champignons hallucinogènes au gramme, avec livraison en point relais.",
            None,
        ),
    ],
    "ip_infringement": [
        (
            "en",
            None,
            None,
            "Full HD rips of every new superhero film the day it hits cinemas, download links in the pinned post.",
        ),
        (
            "en",
            None,
            "This channel reposts my photographs without credit or permission and sells prints of them. I own the copyright.",
            None,
        ),
        (
            "en",
            None,
            None,
            "Cracked Adobe Creative Cloud 2024, keygen included, works forever, free download",
        ),
        (
            "en",
            None,
            "Selling counterfeit Nike trainers and Rolex watches, openly calling them 1:1 replicas.",
            None,
        ),
        (
            "en",
            None,
            None,
            "Entire Harry Potter audiobook series, pirated MP3s, grab it before it gets taken down",
        ),
        (
            "en",
            None,
            "They stream Premier League matches illegally and charge a monthly subscription for access.",
            None,
        ),
        (
            "en",
            None,
            "This user copied my whole novel chapter by chapter and posts it as his own work.",
            None,
        ),
        (
            "en",
            "spam",
            None,
            "IPTV with 20,000 channels incl. all sports and pay-per-view, 10 a year, no official licence lol",
        ),
        (
            "fr",
            None,
            None,
            "Tous les films à l'affiche en streaming gratuit et en HD, lien de téléchargement dans le message épinglé.",
        ),
        (
            "fr",
            None,
            "Ce compte republie mes illustrations sans mon autorisation et les vend sur des t-shirts. J'en suis l'autrice.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Windows 11 Pro et Office crackés, activateur inclus, téléchargement direct et gratuit.",
        ),
        (
            "fr",
            None,
            "Vente de faux sacs Louis Vuitton et Chanel présentés comme des copies parfaites.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Abonnement IPTV pirate avec toutes les chaînes Canal+ et beIN pour 15 euros l'année.",
        ),
        (
            "fr",
            None,
            "Il a copié mon cours en ligne payant en entier et le distribue gratuitement dans son groupe.",
            None,
        ),
        (
            "fr",
            "other",
            None,
            "Les PDF de toutes les BD récentes, scannées page par page, en libre téléchargement ici.",
        ),
    ],
    "fraud_scam": [
        (
            "en",
            None,
            None,
            "Your bank account has been suspended. Confirm your card number, expiry date and CVV within 24h to avoid closure: [link]",
        ),
        (
            "en",
            None,
            "This person says he's an investment manager and promised me 30% a week on crypto. I sent 2,000 and now he wants a withdrawal fee.",
            None,
        ),
        (
            "en",
            None,
            None,
            "Congratulations! You have won an iPhone 15. Just pay 1.99 shipping and enter your card details to claim it.",
        ),
        (
            "en",
            None,
            "Someone pretending to be my son from a new number asked me to pay an urgent bill for him. My son is at home with me.",
            None,
        ),
        (
            "en",
            None,
            None,
            "Elon is giving away BTC! Send 0.1 BTC to this wallet and get 0.2 back instantly. Limited time!",
        ),
        (
            "en",
            None,
            "Romance scam: we chatted for two months, now she says she is stuck at customs and needs 3,000 dollars. Her photos are of a model.",
            None,
        ),
        (
            "en",
            None,
            None,
            "This is the tax office. You owe unpaid tax; pay today with gift cards or a warrant will be issued for your arrest.",
        ),
        (
            "en",
            "other",
            "Seller took payment for concert tickets by bank transfer, never sent them and blocked me. He is doing the same to others in the group.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Votre colis est bloqué. Réglez 1,99 € de frais de douane avec votre carte bancaire ici : [lien]",
        ),
        (
            "fr",
            None,
            "Il se fait passer pour un conseiller de ma banque et m'a demandé le code reçu par SMS pour « annuler une opération ».",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Investissez 250 € aujourd'hui et recevez 5 000 € dans un mois, rendement garanti par notre robot de trading.",
        ),
        (
            "fr",
            None,
            None,
            "Coucou maman, j'ai cassé mon téléphone, c'est mon nouveau numéro. Tu peux me faire un virement urgent de 800 € ?",
        ),
        (
            "fr",
            None,
            "Faux recrutement : on me demande de payer 150 € de frais de dossier pour un emploi à domicile qui n'existe pas.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Votre compte formation expire : 2 300 € de droits perdus ! Confirmez votre numéro de sécurité sociale et vos identifiants.",
        ),
        (
            "fr",
            "spam",
            "Annonce de location à prix cassé, le faux propriétaire exige la caution par mandat cash avant toute visite.",
            None,
        ),
    ],
    "non_consensual_intimate_imagery": [
        (
            "en",
            None,
            "My ex posted intimate photos of me in our friends' group chat without my consent.",
            None,
        ),
        (
            "en",
            None,
            "Sextortion, he has private pictures of me.",
            "Send me 500 by Friday or I send your nudes to all your followers and your boss.",
        ),
        (
            "en",
            None,
            "Someone made fake nude images of me with AI and is sharing them in this channel.",
            None,
        ),
        (
            "en",
            None,
            "This channel collects leaked private photos of women and posts them with their names and social media handles.",
            None,
        ),
        (
            "en",
            None,
            "Secretly recorded sexual video being shared.",
            "here's the video of her from that night lol, she has no idea she was filmed",
        ),
        (
            "en",
            None,
            "He is threatening to post the private video we made together if I break up with him.",
            None,
        ),
        (
            "en",
            "harassment_threats",
            "A classmate is sharing a topless photo I sent him privately, now the whole school has it.",
            None,
        ),
        (
            "en",
            None,
            None,
            "Rate these girls, all private pics from their exes. send more if you've got any",
        ),
        (
            "fr",
            None,
            "Mon ex a publié des photos intimes de moi dans un groupe sans mon accord.",
            None,
        ),
        (
            "fr",
            None,
            "Chantage avec mes photos.",
            "Tu m'envoies 300 € avant ce soir ou j'envoie tes photos nue à toute ta famille.",
        ),
        (
            "fr",
            None,
            "Quelqu'un diffuse un montage pornographique de moi fabriqué avec l'IA.",
            None,
        ),
        (
            "fr",
            None,
            "Ce canal partage des photos intimes volées de femmes avec leur nom et leur ville.",
            None,
        ),
        ("fr", None, None, "la vidéo d'elle sous la douche, filmée en cachette, partagez un max"),
        (
            "fr",
            None,
            "Il menace de diffuser notre vidéo intime si je ne reviens pas avec lui.",
            None,
        ),
        ("fr", "other", None, "Balancez les nudes de vos ex ici, on fait un classement"),
    ],
    "hate_speech": [
        (
            "en",
            None,
            None,
            "Immigrants are vermin, every single one of them is a criminal and they should be thrown out before they outnumber us.",
        ),
        (
            "en",
            None,
            "This user keeps posting that Jewish people secretly control the world and are the enemy of the nation.",
            None,
        ),
        (
            "en",
            None,
            None,
            "Gay people are sick degenerates who shouldn't be allowed near children. Society has to get rid of them.",
        ),
        (
            "en",
            None,
            "The group admin says Muslims are not human and that every mosque should be burned down.",
            None,
        ),
        (
            "en",
            None,
            None,
            "Women are inferior by nature. They are property and should have no rights at all.",
        ),
        (
            "en",
            None,
            "This account posts memes comparing Black people to apes and calling them subhuman.",
            None,
        ),
        (
            "en",
            None,
            None,
            "Roma are parasites and thieves, all of them. Chase them out of our towns.",
        ),
        (
            "en",
            "harassment_threats",
            "He says in every thread that trans people are mentally ill freaks who should be locked away.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Les immigrés sont des parasites, tous des délinquants, il faut les renvoyer chez eux par bateaux entiers.",
        ),
        (
            "fr",
            None,
            "Cet utilisateur répète que les juifs contrôlent les médias et sont les ennemis de la France.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Les homos sont des malades et des dégénérés, il faudrait les enfermer loin des enfants.",
        ),
        (
            "fr",
            None,
            "L'admin du groupe affirme que les musulmans ne sont pas des êtres humains et appelle à les chasser du pays.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Les Noirs sont des sous-hommes, incapables de vivre dans une société civilisée.",
        ),
        (
            "fr",
            None,
            None,
            "Les Roms sont une race de voleurs, tous sans exception, qu'on les vire de nos villes.",
        ),
        (
            "fr",
            "spam",
            "Il publie sans arrêt que les femmes sont inférieures aux hommes et ne méritent pas le droit de vote.",
            None,
        ),
    ],
    "harassment_threats": [
        (
            "en",
            None,
            None,
            "I know where you live and what time you get off work. You'll regret this, watch your back.",
        ),
        ("en", None, None, "I'm going to find you and beat you until you can't walk. Count on it."),
        (
            "en",
            None,
            "This account posted my home address and phone number and told people to go and pay me a visit.",
            None,
        ),
        (
            "en",
            None,
            "The same person has sent me over 200 messages calling me worthless and ugly, from new accounts every time I block him.",
            None,
        ),
        (
            "en",
            None,
            None,
            "Nobody at school likes you. Everyone would be happier if you just disappeared, freak.",
        ),
        (
            "en",
            None,
            None,
            "If you testify on Monday, something will happen to your kids. Think about it.",
        ),
        (
            "en",
            None,
            "A group of users tags me every day with humiliating edited photos of me and insults.",
            None,
        ),
        ("en", "other", None, "you're dead the next time I see you, I'll bring my knife"),
        (
            "fr",
            None,
            None,
            "Je sais où tu habites et à quelle heure tu rentres. Tu vas le regretter, fais gaffe à toi.",
        ),
        (
            "fr",
            None,
            None,
            "Je vais te défoncer la prochaine fois que je te croise, t'es un homme mort.",
        ),
        (
            "fr",
            None,
            "Ce compte a publié mon adresse et mon numéro en demandant aux gens de venir me rendre visite.",
            None,
        ),
        (
            "fr",
            None,
            "Il m'envoie des dizaines de messages d'insultes chaque jour depuis des semaines, même après que je l'ai bloqué.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Personne ne t'aime au collège, tout le monde serait content si tu disparaissais, espèce de grosse.",
        ),
        (
            "fr",
            None,
            None,
            "Si tu portes plainte, il arrivera quelque chose à ta mère. Réfléchis bien.",
        ),
        (
            "fr",
            "hate_speech",
            "Des élèves de ma classe font circuler des montages humiliants de moi avec des insultes dans le groupe de la classe.",
            None,
        ),
    ],
    "self_harm": [
        (
            "en",
            None,
            None,
            "I can't do this anymore. I've saved up my pills and tonight I'm taking all of them. Goodbye everyone.",
        ),
        (
            "en",
            None,
            "My friend just posted that she is going to jump off the bridge tonight. Please help her.",
            None,
        ),
        ("en", None, None, "cutting again, deeper this time, I deserve it"),
        (
            "en",
            None,
            "This channel pushes girls to starve themselves and shares tips to hide not eating from their parents.",
            None,
        ),
        (
            "en",
            None,
            None,
            "what's the most painless way to end it? asking seriously, I've made up my mind",
        ),
        (
            "en",
            None,
            "Self-harm challenge targeting teens.",
            "Day 12 of the challenge: cut a mark on your arm and post proof. Quitters get kicked out.",
        ),
        (
            "en",
            "harassment_threats",
            "User tells someone who is depressed that they should kill themselves and suggests ways to do it.",
            None,
        ),
        ("en", None, None, "wrote my letters. this is the last message you'll get from me"),
        (
            "fr",
            None,
            None,
            "J'en peux plus. J'ai gardé tous mes médicaments et ce soir je les prends tous. Adieu.",
        ),
        (
            "fr",
            None,
            "Mon ami vient d'écrire qu'il allait se jeter sous un train ce soir, aidez-le s'il vous plaît.",
            None,
        ),
        ("fr", None, None, "je me suis encore scarifiée, plus profond cette fois, je le mérite"),
        (
            "fr",
            None,
            "Ce groupe pousse des ados à ne plus manger et partage des astuces pour cacher l'anorexie aux parents.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "c'est quoi la façon la moins douloureuse d'en finir ? j'ai pris ma décision",
        ),
        ("fr", None, None, "J'ai écrit mes lettres d'adieu. Demain je ne serai plus là."),
        (
            "fr",
            "other",
            "Il dit à une fille déprimée de se suicider et lui explique comment s'y prendre.",
            None,
        ),
    ],
    "spam": [
        (
            "en",
            None,
            None,
            "MAKE 5,000 A WEEK FROM HOME!!! No experience needed, click the link in my bio, limited spots!!!",
        ),
        (
            "en",
            None,
            "This account posts the same advert for his phone-case shop in every group, about thirty times a day.",
            None,
        ),
        ("en", None, None, "Follow me and I follow back!! F4F L4L follow me follow me follow me"),
        (
            "en",
            None,
            "A bot joined the group and floods it with the same casino promo link every few minutes.",
            None,
        ),
        (
            "en",
            None,
            None,
            "BEST SEO SERVICES cheap backlinks 10000 for 5 dollars contact now contact now contact now",
        ),
        (
            "en",
            None,
            "Someone added me to fifteen groups that all just advertise the same supplement pills.",
            None,
        ),
        (
            "en",
            None,
            None,
            "Join our channel for daily deals!! Join our channel for daily deals!! Join our channel for daily deals!!",
        ),
        (
            "en",
            "harassment_threats",
            "Repeated unsolicited messages promoting a crypto signals group, even after I asked him to stop.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "PROMO -70% sur toutes nos montres !!! Cliquez vite, offre limitée, partagez à 10 amis !!!",
        ),
        (
            "fr",
            None,
            "Ce compte poste la même pub pour sa boutique dans tous les groupes, plusieurs dizaines de fois par jour.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Abonne-toi à ma chaîne je m'abonne en retour !!! abonne-toi abonne-toi abonne-toi",
        ),
        (
            "fr",
            None,
            "Un bot inonde le groupe de liens vers un site de paris sportifs toutes les deux minutes.",
            None,
        ),
        (
            "fr",
            None,
            None,
            "Gagnez de l'argent facilement depuis chez vous, rejoignez mon équipe, écrivez-moi en privé, en privé, en privé",
        ),
        (
            "fr",
            None,
            "On m'ajoute sans arrêt à des groupes qui ne font que de la pub pour des compléments alimentaires.",
            None,
        ),
        (
            "fr",
            "other",
            None,
            "Rejoignez notre canal bons plans ! Rejoignez notre canal bons plans ! Rejoignez notre canal bons plans !",
        ),
    ],
}

#: Texts of media cases whose hashes match nothing: the words alone show the violation.
NCII_WITH_MEDIA: Entry = (
    "en",
    None,
    "This is a private photo of me that my former partner took. I never agreed to it being shared and he just posted it here.",
    None,
)
TERROR_WITH_MEDIA: Entry = (
    "fr",
    None,
    "Affiche de propagande qui appelle à rejoindre un groupe armé et à commettre des attentats.",
    "Prends les armes, frère : le paradis attend ceux qui frapperont les infidèles.",
)

#: Benign look-alikes: dismissed, no category.
BENIGN: list[Entry] = [
    # News reports quoting threats or attacks.
    (
        "en",
        "harassment_threats",
        "Violent quote.",
        "Court report: the suspect wrote 'I will kill you all' on a forum two days before the attack, prosecutors said on Tuesday.",
    ),
    (
        "en",
        "terrorism_violent_extremism",
        None,
        "Ten years after the Paris attacks, survivors and the families of victims gathered for a memorial ceremony on Thursday.",
    ),
    (
        "en",
        "terrorism_violent_extremism",
        "News article.",
        "Police arrested a man accused of planning a bombing; investigators said they found messages in which he praised extremist groups.",
    ),
    (
        "en",
        "harassment_threats",
        None,
        "The jury heard that the defendant sent the message 'you won't see next week' to his former partner, which he denies writing.",
    ),
    (
        "en",
        "hate_speech",
        None,
        "A new report documents a rise in antisemitic and anti-Muslim incidents and calls for better reporting tools on social media.",
    ),
    (
        "fr",
        "harassment_threats",
        None,
        "Selon le parquet, le suspect avait écrit « je vais tous vous tuer » sur un forum deux jours avant les faits.",
    ),
    (
        "fr",
        "terrorism_violent_extremism",
        None,
        "Dix ans après les attentats du 13 novembre, les familles des victimes se sont réunies pour un hommage à Paris.",
    ),
    (
        "fr",
        "illegal_goods_drugs",
        "Article sur la drogue.",
        "Saisie record de cocaïne au port du Havre : plus de dix tonnes interceptées par les douanes, selon le ministère.",
    ),
    (
        "fr",
        "fraud_scam",
        None,
        "Arnaque au faux conseiller bancaire : la gendarmerie rappelle qu'aucune banque ne demande vos codes par téléphone.",
    ),
    (
        "fr",
        "hate_speech",
        None,
        "Le tribunal a condamné l'auteur de propos racistes publiés sur les réseaux sociaux à six mois de prison avec sursis.",
    ),
    # Medical and prevention texts.
    (
        "en",
        "illegal_goods_drugs",
        None,
        "Naloxone can reverse an opioid overdose. If someone is unresponsive and breathing slowly, call emergency services and give naloxone if you have it.",
    ),
    (
        "en",
        "self_harm",
        None,
        "If you're having thoughts of suicide, you're not alone. In the US you can call or text 988; in the UK and Ireland, Samaritans are on 116 123.",
    ),
    (
        "en",
        "non_consensual_intimate_imagery",
        None,
        "Anatomy revision for Thursday: the reproductive system chapter, learn the labelled diagram of the pelvis.",
    ),
    (
        "en",
        "self_harm",
        None,
        "Our nursing module covers how to assess and dress self-inflicted wounds without judgement and how to refer patients to mental health support.",
    ),
    (
        "en",
        "illegal_goods_drugs",
        None,
        "Paracetamol overdose is a medical emergency even if the person feels fine; the antidote works best when given within eight hours.",
    ),
    (
        "fr",
        "self_harm",
        None,
        "Si vous avez des idées suicidaires, appelez le 3114, le numéro national de prévention du suicide, gratuit et joignable 24h/24.",
    ),
    (
        "fr",
        "illegal_goods_drugs",
        None,
        "En cas de surdose d'opioïdes, la naloxone en spray nasal peut sauver une vie. Elle est disponible en pharmacie sans ordonnance.",
    ),
    (
        "fr",
        "non_consensual_intimate_imagery",
        None,
        "Cours de SVT : l'appareil reproducteur, schéma à légender pour jeudi, pages 84 à 90.",
    ),
    (
        "fr",
        "self_harm",
        None,
        "Webinaire pour les parents : repérer les signes de scarification chez l'adolescent et en parler sans le juger.",
    ),
    (
        "fr",
        "child_sexual_abuse",
        None,
        "Conseils de la pédiatre : dès quel âge apprendre à son enfant que personne n'a le droit de toucher son corps sans son accord.",
    ),
    # History and education.
    (
        "en",
        "terrorism_violent_extremism",
        None,
        "History homework: explain the causes of the 9/11 attacks and how they changed airport security around the world.",
    ),
    (
        "en",
        "illegal_goods_drugs",
        None,
        "Documentary tonight on the Opium Wars and how the British Empire profited from the drug trade in China.",
    ),
    (
        "en",
        "terrorism_violent_extremism",
        None,
        "My thesis analyses how extremist groups used social media for recruitment between 2012 and 2016 and how platforms responded.",
    ),
    (
        "en",
        "illegal_goods_drugs",
        None,
        "Prohibition in the 1920s didn't stop drinking, it fuelled organised crime. Interesting parallels with today's drug policy debates.",
    ),
    (
        "en",
        "hate_speech",
        None,
        "Our class visited the Holocaust memorial and read survivors' testimonies about how propaganda dehumanised Jewish people.",
    ),
    (
        "fr",
        "terrorism_violent_extremism",
        None,
        "Exposé d'histoire : la guerre d'Algérie, le FLN et l'OAS, et la question des attentats commis des deux côtés.",
    ),
    (
        "fr",
        "illegal_goods_drugs",
        None,
        "Conférence au lycée sur les risques du cannabis chez les ados, animée par une addictologue du CHU.",
    ),
    (
        "fr",
        "terrorism_violent_extremism",
        None,
        "Le livre retrace la radicalisation des membres d'Action directe dans les années 80 et le procès qui a suivi.",
    ),
    (
        "fr",
        "hate_speech",
        None,
        "Pour le cours d'éducation civique : analyser une affiche de propagande de Vichy et expliquer ses stéréotypes antisémites.",
    ),
    (
        "fr",
        "illegal_goods_drugs",
        None,
        "Reportage sur la culture de la coca en Bolivie : usage traditionnel de la feuille et lutte contre le trafic.",
    ),
    # Gaming and sports trash talk.
    (
        "en",
        "harassment_threats",
        None,
        "lol you're so dead next round, I'm gonna wreck your base and you'll cry about it after. gg though",
    ),
    (
        "en",
        "harassment_threats",
        None,
        "Your lot are going to cry yourselves to sleep on Sunday. We're murdering you 4-0, mark my words",
    ),
    (
        "en",
        "hate_speech",
        None,
        "Mid laners are a different species honestly. Trash picks every single game lmao",
    ),
    (
        "en",
        "terrorism_violent_extremism",
        None,
        "Plant the bomb on B site and hold, I'll snipe from the window. We blow it at 0:40",
    ),
    (
        "en",
        "harassment_threats",
        "He's threatening me.",
        "Rematch tomorrow? I'll crush you again, bring tissues",
    ),
    (
        "fr",
        "harassment_threats",
        None,
        "Tu vas te faire massacrer au prochain match, prépare les mouchoirs. gg quand même",
    ),
    (
        "fr",
        "terrorism_violent_extremism",
        None,
        "On pose la bombe sur B et on tient le site, je snipe depuis la fenêtre.",
    ),
    (
        "fr",
        "hate_speech",
        None,
        "Dimanche on vous écrase 3-0 au stade, vous allez pleurer tout le trajet du retour",
    ),
    (
        "fr",
        "harassment_threats",
        None,
        "T'es nul à Mario Kart, je t'ai exterminé trois fois d'affilée, revanche ce soir ?",
    ),
    (
        "fr",
        "hate_speech",
        None,
        "Les joueurs support sont des génies incompris, les top laners par contre… aucun espoir",
    ),
    # Idioms and lyrics.
    ("en", "harassment_threats", None, "That joke killed me, I'm literally dead"),
    (
        "en",
        "terrorism_violent_extremism",
        None,
        "This new track is the bomb, it's going to blow up on the radio this summer",
    ),
    (
        "en",
        "self_harm",
        None,
        "If I have to sit through one more budget meeting I'm going to die lol",
    ),
    (
        "en",
        "harassment_threats",
        None,
        "You absolutely killed it on stage tonight, you murdered that guitar solo!",
    ),
    ("en", "illegal_goods_drugs", None, "This cheesecake is like crack, I can't stop eating it"),
    ("en", "self_harm", None, "ugh Monday again, somebody put me out of my misery"),
    ("fr", "harassment_threats", None, "Ce film m'a tué, j'ai pleuré de rire du début à la fin"),
    (
        "fr",
        "terrorism_violent_extremism",
        None,
        "Ton nouveau son c'est de la bombe, ça va exploser cet été !",
    ),
    (
        "fr",
        "illegal_goods_drugs",
        None,
        "Ce burger est une tuerie, j'y suis accro, une vraie drogue",
    ),
    ("fr", "self_harm", None, "Encore une réunion de deux heures, je vais mourir d'ennui"),
    ("fr", "harassment_threats", None, "Je vais te tuer aux échecs ce soir, prépare-toi"),
    ("fr", "hate_speech", None, "Je déteste les lundis, ils devraient être interdits par la loi"),
    # Complaints about spam and scam warnings.
    (
        "en",
        "spam",
        None,
        "Is anyone else getting those fake parcel texts? How do I report them to my carrier?",
    ),
    (
        "en",
        "spam",
        None,
        "Admins, can we please ban the bots posting crypto links? It's getting out of hand.",
    ),
    (
        "en",
        "fraud_scam",
        None,
        "Reminder: your bank will never ask for your PIN or a one-time code over the phone. If someone does, hang up.",
    ),
    (
        "fr",
        "spam",
        None,
        "Quelqu'un d'autre reçoit des SMS de faux colis ? Comment on les signale ?",
    ),
    (
        "fr",
        "spam",
        None,
        "Les admins, vous pouvez bloquer les comptes qui postent des pubs en boucle ? Merci !",
    ),
    (
        "fr",
        "fraud_scam",
        None,
        "Attention : un faux SMS de l'Assurance maladie circule, ne cliquez pas et transférez-le au 33700.",
    ),
    # Ordinary messages reported under a category that does not fit.
    (
        "en",
        "hate_speech",
        "this channel posts boring memes",
        "Me when the coffee machine is broken again [image]",
    ),
    (
        "en",
        "harassment_threats",
        "He disagrees with me about the election and won't stop replying.",
        "I still think the tax plan is a bad idea, here's why: it raises costs for small businesses.",
    ),
    (
        "en",
        "illegal_goods_drugs",
        "selling stuff",
        "Selling my old bike, 80, good condition, pick-up in Leeds.",
    ),
    (
        "en",
        "fraud_scam",
        "I don't like this seller's prices",
        "Handmade candles, 12 each, shipping on Mondays.",
    ),
    (
        "en",
        "ip_infringement",
        "he copies my profile picture style",
        "New profile pic, drew it myself this weekend!",
    ),
    (
        "en",
        "spam",
        "too many messages about the book club",
        "Reminder: book club on Thursday at 7, we're discussing chapters 5 to 8.",
    ),
    (
        "en",
        "terrorism_violent_extremism",
        "political post I disagree with",
        "Vote no on the airport expansion and join the peaceful march on Saturday.",
    ),
    (
        "en",
        "child_sexual_abuse",
        "wrong group",
        "Photos from the school sports day are on the parents' portal, ask the office for the password.",
    ),
    (
        "fr",
        "hate_speech",
        "ce canal poste des mèmes nuls",
        "Moi quand la machine à café est encore en panne [image]",
    ),
    (
        "fr",
        "harassment_threats",
        "il n'est pas d'accord avec moi sur le foot",
        "Je maintiens que le PSG a mal joué hier, le milieu de terrain était absent.",
    ),
    (
        "fr",
        "illegal_goods_drugs",
        "vente dans le groupe",
        "Vends poussette en bon état, 60 €, à récupérer à Lyon 3e.",
    ),
    (
        "fr",
        "self_harm",
        "message déprimant",
        "Triste nouvelle, notre chat Minou est mort ce matin, il avait 18 ans.",
    ),
    (
        "fr",
        "spam",
        "trop de messages sur la fête des voisins",
        "Rappel : fête des voisins vendredi à 19h dans la cour, apportez un plat !",
    ),
    (
        "fr",
        "non_consensual_intimate_imagery",
        "photo de plage",
        "Vacances à Biarritz, la mer était parfaite aujourd'hui",
    ),
    (
        "fr",
        "fraud_scam",
        "je n'ai pas gagné au concours",
        "Résultats du tirage au sort de l'association : bravo à Julie et Karim !",
    ),
    # Look-alikes of copyright, sexual, hateful and criminal content.
    (
        "en",
        "ip_infringement",
        None,
        "The official trailer just dropped on the studio's channel, it looks amazing.",
    ),
    (
        "en",
        "ip_infringement",
        None,
        "Reading Pride and Prejudice for free on Project Gutenberg, it's in the public domain now.",
    ),
    (
        "fr",
        "ip_infringement",
        None,
        "La bande-annonce officielle est sortie sur la chaîne du distributeur, trop hâte !",
    ),
    (
        "fr",
        "ip_infringement",
        None,
        "Je partage ma propre recette de tarte, prenez-la et modifiez-la comme vous voulez.",
    ),
    (
        "fr",
        "ip_infringement",
        None,
        "Les Misérables est dans le domaine public, on peut le lire gratuitement sur Gallica.",
    ),
    (
        "en",
        "non_consensual_intimate_imagery",
        None,
        "The museum's new exhibition has Renaissance nudes, including Botticelli's Venus. Free entry on Sundays.",
    ),
    (
        "en",
        "child_sexual_abuse",
        None,
        "Tips for parents: how to set up parental controls and talk to your kids about strangers online.",
    ),
    (
        "en",
        "hate_speech",
        None,
        "Saying all immigrants are criminals is false and dangerous. The figures show otherwise.",
    ),
    (
        "en",
        "non_consensual_intimate_imagery",
        None,
        "Sex ed resources for teens: consent, contraception and where to get confidential advice.",
    ),
    ("en", "hate_speech", None, "I'm gay and proud, happy Pride month everyone!"),
    (
        "en",
        "fraud_scam",
        None,
        "Our charity bake sale raised 430 for the food bank, thank you all!",
    ),
    (
        "en",
        "illegal_goods_drugs",
        None,
        "The pharmacy on Main Street is open late on Sundays if you need to collect a prescription.",
    ),
    (
        "fr",
        "non_consensual_intimate_imagery",
        None,
        "Exposition au musée : les nus de Renoir et de Manet, entrée gratuite le premier dimanche du mois.",
    ),
    (
        "fr",
        "child_sexual_abuse",
        None,
        "Réunion parents-profs : comment protéger nos enfants des inconnus sur internet et activer le contrôle parental.",
    ),
    (
        "fr",
        "hate_speech",
        None,
        "Dire que tous les musulmans sont dangereux, c'est faux, et c'est exactement ce qui nourrit la haine.",
    ),
    (
        "fr",
        "non_consensual_intimate_imagery",
        None,
        "Atelier d'éducation à la vie affective pour les 4e : consentement, respect et contraception.",
    ),
    ("fr", "hate_speech", None, "Fier d'être gay, joyeux mois des fiertés à toutes et à tous !"),
    ("fr", "fraud_scam", None, "J'ai gagné 20 € au Loto ce week-end, je vous paie un café"),
    ("fr", "illegal_goods_drugs", None, "Recette de mojito sans alcool pour l'apéro de samedi"),
]

#: Benign messages reported by many people (a brigade, or a disliked opinion).
MASS_REPORTED: list[tuple[Entry, int]] = [
    (
        (
            "en",
            "hate_speech",
            None,
            "I think the new stadium is a waste of public money. Change my mind.",
        ),
        12,
    ),
    (
        (
            "en",
            "harassment_threats",
            None,
            "The referee made the right call, the penalty was obvious.",
        ),
        7,
    ),
    (("en", "spam", None, "Our bakery is open again after the holidays, see you soon!"), 25),
    (
        (
            "en",
            "fraud_scam",
            None,
            "I'm selling my old textbooks at the campus fair on Friday, cash only.",
        ),
        6,
    ),
    (
        (
            "fr",
            "hate_speech",
            None,
            "Je trouve que la réforme des retraites est injuste, voilà mon avis.",
        ),
        40,
    ),
    (
        (
            "fr",
            "harassment_threats",
            None,
            "Franchement, l'autre équipe a mieux joué ce soir, désolé les amis.",
        ),
        9,
    ),
    (("fr", "spam", None, "Venez nombreux au vide-grenier de dimanche, place de la mairie !"), 15),
    (
        (
            "fr",
            "terrorism_violent_extremism",
            None,
            "Le nouveau clip de mon groupe de métal est en ligne, c'est explosif !",
        ),
        5,
    ),
]


class Bank:
    """The hashes of one bank file, by algorithm."""

    def __init__(self, name: str, kind: str, category: str | None) -> None:
        self.name = name
        self.kind = kind
        self.category = category
        self.hashes: dict[str, list[str]] = {"pdq": [], "sha256": [], "md5": []}


def load_banks() -> dict[str, Bank]:
    """The demo banks: the JSON files the eval loads, plus the CSV extras (for distances)."""
    banks: dict[str, Bank] = {}
    for path in sorted(BANKS.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        bank = Bank(raw["bank"]["name"], raw["bank"]["kind"], raw["bank"]["category"])
        for entry in raw["hashes"]:
            bank.hashes[entry["algorithm"]].append(entry["hash"])
        banks[bank.name] = bank
    for path in sorted(BANKS.glob("*.csv")):
        extra = Bank(path.stem, "block", None)
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line]
        for row in csv.reader(line for line in lines if not line.startswith("#")):
            if row and row[0] == "pdq":
                extra.hashes["pdq"].append(row[1])
        banks[extra.name] = extra
    return banks


def distance(a: str, b: str) -> int:
    """Hamming distance of two 256-bit hex hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def flip(rng: random.Random, pdq: str, bits: int) -> str:
    """The hash with exactly ``bits`` distinct bits flipped."""
    value = int(pdq, 16)
    for position in rng.sample(range(256), bits):
        value ^= 1 << position
    return f"{value:064x}"


class SetBuilder:
    """Collects cases and numbers their ids per language and kind."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rows: list[dict[str, Any]] = []
        self._numbers: Counter[tuple[str, str]] = Counter()

    def add(
        self,
        lang: str,
        tag: str,
        *,
        reported: str,
        texts: list[dict[str, str]],
        route: str,
        category: str | None,
        reporters: int = 1,
        media: list[dict[str, Any]] | None = None,
        urls: list[str] | None = None,
    ) -> None:
        """Add one case."""
        self._numbers[(lang, tag)] += 1
        case: dict[str, Any] = {"category": reported, "reporter_count": reporters, "texts": texts}
        if media:
            case["media"] = media
        if urls:
            case["urls"] = urls
        self.rows.append(
            {
                "id": f"{lang}-{tag}-{self._numbers[(lang, tag)]:03d}",
                "case": case,
                "expected_route": route,
                "expected_category": category,
            }
        )

    def few_reporters(self) -> int:
        """One to three reporters, mostly one."""
        return self.rng.choice((1, 1, 1, 1, 2, 3))


def texts_of(lang: str, report: str | None, excerpt: str | None) -> list[dict[str, str]]:
    """The texts of a case: the reporter's words (with language), then the excerpt."""
    out = []
    if report is not None:
        out.append({"source": "report", "text": report, "language": lang})
    if excerpt is not None:
        out.append({"source": "excerpt", "text": excerpt})
    return out


def add_text_cases(builder: SetBuilder) -> None:
    """Harmful text cases, benign look-alikes and mass-reported benign cases."""
    for category, entries in HARMFUL.items():
        for lang, reported, report, excerpt in entries:
            builder.add(
                lang,
                TAGS[category],
                reported=reported or category,
                texts=texts_of(lang, report, excerpt),
                route="human_review",
                category=category,
                reporters=builder.few_reporters(),
            )
    for lang, reported, report, excerpt in BENIGN:
        builder.add(
            lang,
            "benign",
            reported=reported or "other",
            texts=texts_of(lang, report, excerpt),
            route="dismiss",
            category=None,
            reporters=builder.few_reporters(),
        )
    for (lang, reported, report, excerpt), reporters in MASS_REPORTED:
        builder.add(
            lang,
            "mass",
            reported=reported or "other",
            texts=texts_of(lang, report, excerpt),
            route="human_review",
            category=None,
            reporters=reporters,
        )


def add_url_cases(builder: SetBuilder) -> None:
    """Benign and malformed links, each alone in its case: all dismissed."""
    rng = builder.rng
    for index, url in enumerate(BENIGN_URLS + MALFORMED_URLS):
        lang = ("en", "fr")[index % 2]
        builder.add(
            lang,
            "url",
            reported=rng.choice(("spam", "fraud_scam", "other", "spam")),
            texts=texts_of(lang, rng.choice(NEUTRAL_URL_REPORT[lang]), None),
            route="dismiss",
            category=None,
            urls=[url],
        )


class MediaCases:
    """Media cases built from the demo banks."""

    def __init__(self, builder: SetBuilder, banks: dict[str, Bank]) -> None:
        self.builder = builder
        self.rng = builder.rng
        self.banks = banks
        self.block = [b for b in banks.values() if b.kind == "block" and b.category in ACT_ON_HASH]
        self.allow = [h for b in banks.values() if b.kind == "allow" for h in b.hashes["pdq"]]
        self.all_pdq = [h for b in banks.values() for h in b.hashes["pdq"]]
        self.by_category = {b.category: b for b in self.block}
        self._lang = 0

    def lang(self) -> str:
        """Alternate the reporter's language."""
        self._lang += 1
        return ("en", "fr")[self._lang % 2]

    def add(
        self,
        media: list[dict[str, Any]],
        route: str,
        category: str | None,
        *,
        reported: str,
        reporters: int = 1,
        texts: Entry | None = None,
    ) -> None:
        """Add a media case with a neutral reporter text (or the given harmful texts)."""
        if texts is None:
            lang = self.lang()
            body = texts_of(lang, self.rng.choice(NEUTRAL_MEDIA_REPORT[lang]), None)
        else:
            lang, _, report, excerpt = texts
            body = texts_of(lang, report, excerpt)
        self.builder.add(
            lang,
            "media",
            reported=reported,
            texts=body,
            route=route,
            category=category,
            reporters=reporters,
            media=media,
        )

    def reported_as(self, category: str | None) -> str:
        """What the reporter chose: mostly the right category, sometimes not."""
        return self.rng.choice((category or "other",) * 4 + ("other", "spam"))

    def base_pdq(self, bank: Bank) -> str:
        """A bank PDQ hash far enough from the allow list that its flips stay unallowed."""
        far = [h for h in bank.hashes["pdq"] if all(distance(h, a) > 80 for a in self.allow)]
        return self.rng.choice(far)

    def build(self) -> None:
        """All media cases."""
        self.exact()
        self.flips()
        self.quality_and_allow()
        self.malformed()
        self.mixed()

    def exact(self) -> None:
        """Exact sha256 and md5 matches act at once."""
        for bank, count in zip(self.block, (4, 3, 3), strict=True):
            for sha in self.rng.sample(bank.hashes["sha256"], count):
                self.add(
                    [{"sha256": sha}],
                    "act_now",
                    bank.category,
                    reported=self.reported_as(bank.category),
                )
        csam = self.by_category["child_sexual_abuse"]
        for md5 in self.rng.sample(csam.hashes["md5"], 3):
            self.add(
                [{"md5": md5}], "act_now", csam.category, reported=self.reported_as(csam.category)
            )

    def flips(self) -> None:
        """PDQ hashes k bits away from a bank hash: a match up to 31 bits, none beyond."""
        for bank in self.block:
            for bits in MATCH_FLIPS:
                base = self.base_pdq(bank)
                pdq = flip(self.rng, base, bits)
                assert distance(pdq, base) == bits
                assert all(distance(pdq, a) > PDQ_THRESHOLD for a in self.allow)
                media = [{"pdq": pdq, "pdq_quality": self.rng.choice((70, 80, 90, 100))}]
                self.add(media, "act_now", bank.category, reported=self.reported_as(bank.category))
            for bits in MISS_FLIPS:
                pdq = self.far_flip(self.base_pdq(bank), bits)
                media = [{"pdq": pdq, "pdq_quality": self.rng.choice((70, 80, 90, 100))}]
                self.add(media, "dismiss", None, reported=self.reported_as(bank.category))

    def mirrored(self) -> None:
        """Mirrored or rotated copies: the copy's own PDQ hash is far from the bank's, one of
        its dihedral variants near it (act at once); and copies whose variants match nothing.
        """
        for bank in self.block:
            for bits in (0, 6, 14, 24):
                base = self.base_pdq(bank)
                variants = [self.far_flip(base, 128) for _ in range(6)]
                variants.insert(self.rng.randrange(7), flip(self.rng, base, bits))
                media = [
                    {"pdq": self.far_flip(base, 120), "pdq_quality": 90, "pdq_dihedral": variants}
                ]
                self.add_mirror(media, "act_now", bank.category)
        for bank in self.block:
            base = self.base_pdq(bank)
            variants = [self.far_flip(base, 128) for _ in range(7)]
            media = [{"pdq": self.far_flip(base, 120), "pdq_quality": 90, "pdq_dihedral": variants}]
            self.add_mirror(media, "dismiss", None)

    def add_mirror(self, media: list[dict[str, Any]], route: str, category: str | None) -> None:
        """One mirrored-copy case, with a neutral reporter text."""
        lang = self.lang()
        self.builder.add(
            lang,
            "mirror.b",
            reported=self.reported_as(category),
            texts=texts_of(lang, self.rng.choice(NEUTRAL_MEDIA_REPORT[lang]), None),
            route=route,
            category=category,
            media=media,
        )

    def far_flip(self, base: str, bits: int) -> str:
        """A flip of ``bits`` bits from ``base`` that matches no bank hash at all."""
        while True:
            pdq = flip(self.rng, base, bits)
            if all(distance(pdq, h) > PDQ_THRESHOLD for h in self.all_pdq):
                return pdq

    def quality_and_allow(self) -> None:
        """Low-quality PDQ is ignored; allow-listed PDQ is a known false positive."""
        for bank in self.block:
            pdq = self.base_pdq(bank)
            self.add(
                [{"pdq": pdq, "pdq_quality": 30}],
                "dismiss",
                None,
                reported=bank.category or "other",
            )
        csam = self.by_category["child_sexual_abuse"]
        self.add(
            [{"pdq": self.base_pdq(csam), "pdq_quality": 49}], "dismiss", None, reported="other"
        )
        self.add(
            [{"pdq": self.base_pdq(csam), "pdq_quality": 50}],
            "act_now",
            csam.category,
            reported=self.reported_as(csam.category),
        )
        for pdq in self.allow:
            # The block bank this known false positive collides with.
            owner = next(
                b
                for b in self.block
                if any(distance(pdq, h) <= PDQ_THRESHOLD for h in b.hashes["pdq"])
            )
            self.add(
                [{"pdq": pdq, "pdq_quality": 100}],
                "dismiss",
                None,
                reported=owner.category or "other",
            )
        allow_sha = [
            h for b in self.banks.values() if b.kind == "allow" for h in b.hashes["sha256"]
        ]
        for sha in allow_sha[:2]:
            self.add([{"sha256": sha}], "dismiss", None, reported="child_sexual_abuse")

    def malformed(self) -> None:
        """Malformed hashes: screening goes on, nothing matches."""
        csam, terror, ncii = (self.by_category[c] for c in ACT_ON_HASH)
        pdq = self.base_pdq(terror)
        sha = csam.hashes["sha256"][0]
        for media in (
            [{"pdq": pdq[:63], "pdq_quality": 90}],
            [{"pdq": pdq + "0", "pdq_quality": 90}],
            [{"pdq": "zz" + pdq[2:], "pdq_quality": 90}],
            [{"sha256": sha[:40]}],
            [{"sha256": "g" + sha[1:]}],
            [{"md5": "not-an-md5-hash"}],
            [{"pdq": "", "pdq_quality": 90}],
        ):
            self.add(media, "dismiss", None, reported=self.reported_as(ncii.category))

    def mixed(self) -> None:
        """Several media, and media beside texts or many reporters."""
        csam, terror, ncii = (self.by_category[c] for c in ACT_ON_HASH)
        stray = self.far_flip(self.base_pdq(terror), 128)
        self.add(
            [{"pdq": stray, "pdq_quality": 90}, {"sha256": self.rng.choice(csam.hashes["sha256"])}],
            "act_now",
            csam.category,
            reported="other",
        )
        self.add(
            [
                {"sha256": self.rng.choice(ncii.hashes["sha256"])},
                {"pdq": self.far_flip(self.base_pdq(ncii), 64), "pdq_quality": 80},
            ],
            "act_now",
            ncii.category,
            reported=ncii.category or "other",
        )
        # No hash match, but the texts show the violation: a person must look.
        for bank, entry in (
            (ncii, NCII_WITH_MEDIA),
            (terror, TERROR_WITH_MEDIA),
        ):
            media = [{"pdq": self.far_flip(self.base_pdq(bank), 40), "pdq_quality": 90}]
            self.add(
                media,
                "human_review",
                bank.category,
                reported=bank.category or "other",
                texts=entry,
            )
        # No hash match and nothing in the texts, but many reporters.
        media = [{"pdq": self.far_flip(self.base_pdq(csam), 64), "pdq_quality": 90}]
        self.add(media, "human_review", None, reported="child_sexual_abuse", reporters=7)


def add_second_set(builder: SetBuilder) -> None:
    """The second batch's text cases (see ``prescreen_second_set``)."""
    for category, entries in second.HARMFUL.items():
        for lang, reported, report, excerpt in entries:
            builder.add(
                lang,
                f"{TAGS[category]}.b",
                reported=reported or category,
                texts=texts_of(lang, report, excerpt),
                route="human_review",
                category=category,
            )
    for (lang, reported, report, excerpt), category, reporters in second.CORROBORATED:
        builder.add(
            lang,
            f"{TAGS[category]}.b",
            reported=reported or category,
            texts=texts_of(lang, report, excerpt),
            route="human_review",
            category=category,
            reporters=reporters,
        )
    for (lang, reported, report, excerpt), reporters in second.BENIGN:
        builder.add(
            lang,
            "benign.b",
            reported=reported or "other",
            texts=texts_of(lang, report, excerpt),
            route="dismiss",
            category=None,
            reporters=reporters,
        )
    for (lang, _, report, excerpt), reported in second.LINK_CASES:
        builder.add(
            lang,
            "link.b",
            reported=reported,
            texts=texts_of(lang, report, excerpt),
            route="dismiss",
            category=None,
        )


def build() -> list[dict[str, Any]]:
    """The whole set, sorted by id."""
    builder = SetBuilder(random.Random(SEED))
    add_text_cases(builder)
    add_url_cases(builder)
    media = MediaCases(builder, load_banks())
    media.build()
    add_second_set(builder)
    media.mirrored()
    rows = sorted(builder.rows, key=lambda row: str(row["id"]))
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), "duplicate ids"
    return rows


def main() -> None:
    """Write the set and print its counts."""
    rows = build()
    OUT.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )
    routes = Counter(str(row["expected_route"]) for row in rows)
    categories = Counter(str(row["expected_category"]) for row in rows)
    languages = Counter(str(row["id"]).split("-", 1)[0] for row in rows)
    print(f"{len(rows)} cases written to {OUT}")
    print("routes:", dict(sorted(routes.items())))
    print("categories:", dict(sorted(categories.items())))
    print("languages:", dict(sorted(languages.items())))


if __name__ == "__main__":
    main()
