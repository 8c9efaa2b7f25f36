# ruff: noqa: E501  (long texts)
"""Issue 22's development cases for benign look-alikes (``prescreen_dev.jsonl``): FITTED.

Written on 2026-12-07 by the engineer who then wrote issue 22's third-round rules and
scoring (helper "22q"), from the classes of benign text that reach a person by mistake
(news and court reporting, quoting to condemn, history lessons, medical and harm-reduction
advice, game and sports talk, banter between friends, activism reclaiming words,
legitimate sales and bank notices, parody, recovery groups) and from harmful texts that
borrow their words (a threat with a game word, hate that says "the news", a sale that
says "tested"), in French and English. They were written before the eval was run on them,
and the rules were then tuned on them: their figures say nothing about text nobody tuned
on (the unread half of ``prescreen.jsonl`` and ``prescreen_heldout.jsonl`` do).

A second batch (``SECOND_BENIGN``, ``SECOND_HARMFUL``, ids ``<lang>-dev-second*``) was written
the same day, while the frames were being tuned, to probe the same classes further: it is
fitted twice over.

A third batch (``ROUND4_*``, ids ``<lang>-dev-round4*``) was written for issue 22's fourth
round by the same engineer, in eight parts, each before it was run and after the parts
before it had been tuned on: harmful texts of every category said as people say them (the
same text in English and in French, to compare the languages on the same meaning), everyday
texts that borrow harm's words or this round's new words, and everyday messages reported
by two to four people with an accusation. It is fitted too once the rules are tuned on it.

``python -m tests.eval.prescreen_dev_set`` writes ``prescreen_dev.jsonl`` beside this file
(ids ``<lang>-dev-<class>-NNN``, the format ``services/prescreen/tools/evaluate.py``
documents).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent / "prescreen_dev.jsonl"

#: (language, category reported under, reporter count, reporter's words or None, excerpt)
Case = tuple[str, str, int, str | None, str]

#: Benign look-alikes per class: a correct screening dismisses them.
BENIGN: dict[str, list[Case]] = {
    "news": [
        (
            "en",
            "harassment_threats",
            1,
            None,
            "The man who sent death threats to the mayor was sentenced to 18 months on Tuesday; the court heard he had posted her address online.",
        ),
        (
            "en",
            "terrorism_violent_extremism",
            1,
            "terrorist content",
            "Jurors were told the defendant wrote 'I will kill you all' in a group chat days before the attack.",
        ),
        (
            "en",
            "illegal_goods_drugs",
            1,
            None,
            "Two men charged after officers found 40kg of cocaine hidden in a shipment of bananas at Felixstowe.",
        ),
        (
            "en",
            "hate_speech",
            2,
            "racism",
            "Man arrested over racist abuse of England players after the Euro final, Met Police confirm.",
        ),
        (
            "en",
            "fraud_scam",
            1,
            None,
            "Court hears how the gang lured pensioners with fake investment schemes promising 20% a month.",
        ),
        (
            "en",
            "child_sexual_abuse",
            1,
            None,
            "A teacher was jailed today for possessing indecent images of children; the judge called it a grave breach of trust.",
        ),
        (
            "fr",
            "harassment_threats",
            1,
            None,
            "Le tribunal correctionnel a condamné hier un homme pour des menaces de mort envoyées par SMS à son ex-compagne.",
        ),
        (
            "fr",
            "illegal_goods_drugs",
            1,
            "trafic",
            "Un réseau de trafic de cannabis démantelé à Marseille : 12 interpellations et 30 kg de résine saisis.",
        ),
        (
            "fr",
            "terrorism_violent_extremism",
            1,
            None,
            "Procès des attentats : l'accusé a reconnu avoir fourni les armes au commando, rapporte notre journaliste.",
        ),
        (
            "fr",
            "fraud_scam",
            1,
            None,
            "Escroquerie aux faux placements : les enquêteurs estiment le préjudice à 4 millions d'euros.",
        ),
        (
            "fr",
            "harassment_threats",
            2,
            "harcèlement",
            "Un influenceur condamné pour harcèlement en ligne après avoir poussé ses abonnés à insulter une journaliste.",
        ),
        (
            "fr",
            "hate_speech",
            1,
            None,
            "Propos homophobes : le député devra répondre de ses déclarations devant la justice en mars.",
        ),
    ],
    "quote": [
        (
            "en",
            "hate_speech",
            1,
            None,
            "Someone wrote 'go back to your country' under my friend's post. This is not okay and I reported it.",
        ),
        (
            "en",
            "hate_speech",
            1,
            "sexist",
            'Can\'t believe people still say "women belong in the kitchen" in 2026. Do better.',
        ),
        (
            "en",
            "harassment_threats",
            1,
            None,
            "My cousin got a message saying 'I know where you live' from a stranger. If this happens to you, screenshot everything and go to the police.",
        ),
        (
            "en",
            "self_harm",
            1,
            None,
            'Screenshot of the abuse she received: "you should kill yourself". Disgusting. Sending her love.',
        ),
        (
            "en",
            "harassment_threats",
            1,
            None,
            "The troll called him a worthless loser and the whole server banned him, good riddance.",
        ),
        (
            "en",
            "hate_speech",
            2,
            "hate",
            "To the guy who said all immigrants are rapists: that's a lie and you know it.",
        ),
        (
            "fr",
            "hate_speech",
            1,
            None,
            "Quelqu'un a écrit « rentre dans ton pays » sous la photo de ma voisine. C'est inadmissible, j'ai signalé.",
        ),
        (
            "fr",
            "harassment_threats",
            1,
            "menace",
            "Il m'a écrit « je vais te retrouver », j'ai porté plainte et je conseille à tout le monde de faire pareil.",
        ),
        (
            "fr",
            "hate_speech",
            1,
            None,
            "Entendre encore « les femmes c'est à la cuisine » en 2026, franchement, quelle honte.",
        ),
        (
            "fr",
            "harassment_threats",
            1,
            None,
            "Le commentaire disait « va crever », on l'a tous signalé et le compte a été suspendu.",
        ),
        (
            "fr",
            "hate_speech",
            2,
            "raciste",
            "Dire que les Roms sont tous des voleurs, c'est du racisme pur et simple.",
        ),
        (
            "fr",
            "harassment_threats",
            1,
            None,
            "Elle a reçu « t'es qu'une grosse vache » en commentaire, soutien total à elle 💜",
        ),
    ],
    "history": [
        (
            "en",
            "hate_speech",
            1,
            None,
            "For Monday read pages 40-55: how Nazi propaganda portrayed Jews as vermin and why it worked.",
        ),
        (
            "en",
            "hate_speech",
            1,
            "hate speech",
            "Lecture notes: before the genocide, Rwandan radio called Tutsis cockroaches for months.",
        ),
        (
            "en",
            "terrorism_violent_extremism",
            1,
            None,
            "Today's seminar covers the 1995 Oklahoma City bombing and the rise of militia movements in the 90s.",
        ),
        (
            "en",
            "terrorism_violent_extremism",
            1,
            None,
            "The Crusades documentary was brutal, whole cities slaughtered in the name of religion.",
        ),
        (
            "en",
            "illegal_goods_drugs",
            1,
            None,
            "Essay question: why did Prohibition make bootleg alcohol and organised crime so profitable?",
        ),
        (
            "en",
            "terrorism_violent_extremism",
            1,
            None,
            "In 1943 the resistance blew up railway lines to slow the German army; our guide showed us the bridge.",
        ),
        (
            "fr",
            "hate_speech",
            1,
            None,
            "Pour jeudi : lire le chapitre sur la propagande antisémite de Vichy et les caricatures de l'époque.",
        ),
        (
            "fr",
            "terrorism_violent_extremism",
            1,
            "violence",
            "Exposé d'histoire : la Saint-Barthélemy, des milliers de protestants massacrés en 1572.",
        ),
        (
            "fr",
            "terrorism_violent_extremism",
            1,
            None,
            "Le musée de la Résistance explique comment les maquisards faisaient sauter les voies ferrées.",
        ),
        (
            "fr",
            "terrorism_violent_extremism",
            1,
            None,
            "Au programme du bac : la guerre d'Algérie, la torture et les attentats de l'OAS.",
        ),
        (
            "fr",
            "hate_speech",
            1,
            None,
            "Cours sur la traite négrière : les esclaves étaient considérés comme des biens et vendus sur les marchés.",
        ),
        (
            "fr",
            "illegal_goods_drugs",
            1,
            None,
            "Conférence sur la prohibition aux États-Unis et l'essor de la contrebande d'alcool.",
        ),
    ],
    "care": [
        (
            "en",
            "illegal_goods_drugs",
            1,
            None,
            "Don't mix alcohol with your codeine, the pharmacist was very clear about that.",
        ),
        (
            "en",
            "illegal_goods_drugs",
            1,
            "drugs",
            "Going to a festival and taking MDMA? Test your pills, sip water, and never redose straight away.",
        ),
        (
            "en",
            "self_harm",
            1,
            None,
            "Our GP said the max dose of paracetamol is 4g a day, more than that can damage your liver.",
        ),
        (
            "en",
            "self_harm",
            1,
            None,
            "Support group tonight for people who self-harm or used to, it's a safe space, no judgement.",
        ),
        (
            "en",
            "illegal_goods_drugs",
            1,
            None,
            "Fentanyl test strips are now free at the needle exchange on King Street.",
        ),
        (
            "en",
            "illegal_goods_drugs",
            1,
            None,
            "After my surgery they gave me oxycodone for a week, the nurse explained how to taper off.",
        ),
        (
            "fr",
            "illegal_goods_drugs",
            1,
            None,
            "Mon médecin m'a prescrit du tramadol après l'opération, il faut pas dépasser 4 comprimés par jour.",
        ),
        (
            "fr",
            "illegal_goods_drugs",
            1,
            "drogue",
            "En soirée, si quelqu'un a pris de la MD et fait un malaise, appelez le 15 et mettez-le en PLS.",
        ),
        (
            "fr",
            "illegal_goods_drugs",
            1,
            None,
            "Atelier réduction des risques : kits d'injection stériles et tests de produits gratuits au CAARUD.",
        ),
        (
            "fr",
            "self_harm",
            1,
            None,
            "Pour les idées noires, la ligne 3114 est ouverte jour et nuit, n'hésitez pas à appeler.",
        ),
        (
            "fr",
            "self_harm",
            1,
            None,
            "Le psychiatre dit que les scarifications sont souvent une façon de gérer l'angoisse, il faut en parler sans juger.",
        ),
        (
            "fr",
            "illegal_goods_drugs",
            1,
            None,
            "Attention à ne jamais associer benzodiazépines et alcool, le risque de surdose est réel.",
        ),
    ],
    "game": [
        (
            "en",
            "harassment_threats",
            2,
            "threats",
            "we're going to annihilate them on saturday, their defence is a joke",
        ),
        (
            "en",
            "harassment_threats",
            1,
            None,
            "headshot him from across the map lmao, he never saw it coming",
        ),
        (
            "en",
            "harassment_threats",
            1,
            None,
            "just got ganked three times in a row by their jungler, I'm going to lose my mind",
        ),
        (
            "en",
            "terrorism_violent_extremism",
            1,
            "violent",
            "Tonight we burn the whole map down in zombie mode, bring grenades",
        ),
        (
            "en",
            "harassment_threats",
            1,
            None,
            "Your team got destroyed last night mate, 5-1, dead and buried",
        ),
        (
            "en",
            "terrorism_violent_extremism",
            1,
            None,
            "wiping out the whole enemy squad with one airstrike is the best feeling in this game",
        ),
        (
            "fr",
            "harassment_threats",
            1,
            None,
            "On va les exploser samedi, leur défense c'est du gruyère",
        ),
        (
            "fr",
            "harassment_threats",
            1,
            "violence",
            "Je l'ai one shot au sniper depuis l'autre bout de la map, il a rien compris",
        ),
        (
            "fr",
            "terrorism_violent_extremism",
            1,
            None,
            "Ce soir partie de Warzone, je prends le lance-roquettes et on rase leur base",
        ),
        (
            "fr",
            "harassment_threats",
            2,
            "menaces",
            "Vous êtes morts dimanche, on va vous en mettre quatre au Vélodrome",
        ),
        (
            "fr",
            "harassment_threats",
            1,
            None,
            "Ton équipe s'est fait massacrer hier soir, 6-0, même pas une occasion",
        ),
        (
            "fr",
            "harassment_threats",
            1,
            None,
            "Je vais tous vous détruire à Smash ce soir, préparez-vous",
        ),
    ],
    "banter": [
        ("en", "harassment_threats", 1, "insult", "shut up you idiot, you know I love you 😂"),
        (
            "en",
            "harassment_threats",
            1,
            None,
            "you're such a loser for leaving at 10pm, the party only just started",
        ),
        (
            "en",
            "harassment_threats",
            1,
            None,
            "I'm going to strangle my brother, he ate my leftovers AGAIN",
        ),
        ("en", "harassment_threats", 1, None, "omg you bitch, you got the job?!! so proud of you"),
        (
            "en",
            "harassment_threats",
            2,
            "threat",
            "if you're late one more time I'm disowning you lol",
        ),
        ("en", "harassment_threats", 1, None, "you ugly muppet, happy birthday!! 🎂"),
        ("fr", "harassment_threats", 1, "insulte", "t'es vraiment trop con 😂 je t'adore"),
        (
            "fr",
            "harassment_threats",
            1,
            None,
            "je vais tuer mon frère, il a encore fini les céréales",
        ),
        (
            "fr",
            "harassment_threats",
            1,
            None,
            "ma pauvre, t'es nulle en cuisine mais on t'aime quand même",
        ),
        (
            "fr",
            "harassment_threats",
            1,
            None,
            "espèce de bouffon, t'as encore oublié ton portable chez moi mdr",
        ),
        (
            "fr",
            "harassment_threats",
            2,
            "menace",
            "si t'es encore en retard je te renie, t'es prévenu 😂",
        ),
        (
            "fr",
            "harassment_threats",
            1,
            None,
            "joyeux anniversaire vieille chouette, t'as pris un coup de vieux 😘",
        ),
    ],
    "reclaim": [
        ("en", "hate_speech", 1, None, "Queer and proud! We're here, we're queer, get used to it!"),
        (
            "en",
            "harassment_threats",
            1,
            None,
            "Fat, fabulous and done apologising for my body. Join our body positivity meetup on Sunday.",
        ),
        (
            "en",
            "hate_speech",
            2,
            "offensive",
            "As a dyke who grew up in a small town, I never thought I'd see a Pride march here",
        ),
        (
            "en",
            "hate_speech",
            1,
            None,
            "Trans people exist and deserve healthcare, come to the rally at city hall on Saturday",
        ),
        (
            "en",
            "hate_speech",
            1,
            None,
            "Disabled and proud: our collective is demanding accessible stations, not pity",
        ),
        (
            "en",
            "hate_speech",
            1,
            "political",
            "March against racism and police violence this weekend, Black lives matter",
        ),
        (
            "fr",
            "hate_speech",
            2,
            "insultes",
            "Pédés, gouines, trans : on est fiers et on sera dans la rue samedi 🏳️‍🌈",
        ),
        (
            "fr",
            "harassment_threats",
            1,
            None,
            "Grosse et fière de l'être, rejoignez notre collectif body positive",
        ),
        (
            "fr",
            "hate_speech",
            1,
            None,
            "Les personnes trans existent et ont droit à des soins, rassemblement samedi place de la République",
        ),
        (
            "fr",
            "hate_speech",
            1,
            None,
            "Féministes en colère : manifestation contre les violences faites aux femmes le 25 novembre",
        ),
        (
            "fr",
            "hate_speech",
            1,
            None,
            "Collectif des Noirs de France : conférence sur les discriminations à l'embauche jeudi soir",
        ),
        (
            "fr",
            "hate_speech",
            1,
            "haine",
            "Handis et fiers : nous exigeons des transports accessibles, pas de la pitié",
        ),
    ],
    "notice": [
        (
            "en",
            "fraud_scam",
            1,
            None,
            "Your monthly statement is ready. Log in to the app to view it. We will never ask for your password by message.",
        ),
        (
            "en",
            "fraud_scam",
            1,
            "scam",
            "Selling my old iPhone 12, 64GB, good condition, £180, collection only",
        ),
        (
            "en",
            "fraud_scam",
            1,
            None,
            "Your parcel will be delivered tomorrow between 9am and 1pm. Track it in the app.",
        ),
        ("en", "spam", 1, None, "Black Friday at our bakery: 20% off all cakes this weekend!"),
        (
            "en",
            "fraud_scam",
            1,
            None,
            "Reminder: your card ending 4421 expires next month; a new card has been posted to your home address.",
        ),
        (
            "en",
            "spam",
            1,
            "spam",
            "Selling two concert tickets at face value, can't make it anymore, DM if interested",
        ),
        (
            "fr",
            "fraud_scam",
            1,
            None,
            "Votre relevé de compte mensuel est disponible dans votre espace client.",
        ),
        (
            "fr",
            "illegal_goods_drugs",
            1,
            "vente",
            "Vends vélo de course taille M, très bon état, 250 €, à voir sur Nantes",
        ),
        (
            "fr",
            "fraud_scam",
            1,
            None,
            "Votre colis sera livré demain entre 8h et 12h, suivez-le depuis l'application.",
        ),
        ("fr", "spam", 1, None, "Soldes d'hiver : -30 % sur toute la boutique jusqu'à dimanche !"),
        (
            "fr",
            "fraud_scam",
            1,
            "arnaque",
            "Votre nouvelle carte bancaire a été envoyée, activez-la lors de votre premier paiement.",
        ),
        (
            "fr",
            "spam",
            1,
            None,
            "Je revends deux places pour le concert de samedi au prix d'achat, écrivez-moi",
        ),
    ],
    "parody": [
        (
            "en",
            "terrorism_violent_extremism",
            1,
            None,
            "BREAKING: local cat declares war on the vacuum cleaner, negotiations have failed",
        ),
        (
            "en",
            "fraud_scam",
            1,
            "scam",
            "Nigerian prince here, I need your help to transfer 10 million pizzas. Reply with your favourite topping.",
        ),
        (
            "en",
            "terrorism_violent_extremism",
            1,
            None,
            "Area man threatens to literally explode if his team loses again, reports The Onion",
        ),
        (
            "en",
            "harassment_threats",
            1,
            None,
            "Me, an intellectual: pineapple on pizza should be illegal and punishable by death",
        ),
        (
            "en",
            "spam",
            1,
            None,
            "Congratulations! You've won absolutely nothing, click here to claim your disappointment 😂",
        ),
        (
            "en",
            "other",
            1,
            None,
            "Satire: government announces a tax on breathing, citizens asked to hold their breath until further notice",
        ),
        (
            "fr",
            "terrorism_violent_extremism",
            1,
            None,
            "EXCLUSIF : un chat menace de faire exploser le canapé si on ne le nourrit pas à 6h",
        ),
        (
            "fr",
            "fraud_scam",
            1,
            "arnaque",
            "Bonjour, je suis un prince nigérian et j'ai besoin de ton aide pour récupérer 3 tonnes de croissants 😂",
        ),
        (
            "fr",
            "harassment_threats",
            1,
            None,
            "Le Gorafi : un homme condamné à mort pour avoir mis de l'ananas sur une pizza",
        ),
        (
            "fr",
            "spam",
            1,
            None,
            "Félicitations, vous avez gagné le droit de faire la vaisselle ce soir ! Cliquez sur votre éponge.",
        ),
        (
            "fr",
            "other",
            1,
            None,
            "Parodie : le gouvernement interdit les lundis, les syndicats saluent une décision historique",
        ),
        (
            "fr",
            "terrorism_violent_extremism",
            1,
            None,
            "Alerte info : ma belle-mère arrive dimanche, évacuez la zone 😱",
        ),
    ],
    "recovery": [
        (
            "en",
            "illegal_goods_drugs",
            1,
            None,
            "Six months clean from heroin today. To anyone still using: it gets better, the meetings saved me.",
        ),
        (
            "en",
            "illegal_goods_drugs",
            1,
            None,
            "NA meeting moved to room 4 on Thursday, newcomers welcome",
        ),
        (
            "en",
            "self_harm",
            1,
            "self harm",
            "I used to cut myself every night; two years free now thanks to therapy and this group",
        ),
        (
            "en",
            "self_harm",
            1,
            None,
            "Our eating disorder recovery circle meets on Tuesdays, share where you're at, no numbers or weights please",
        ),
        (
            "en",
            "spam",
            1,
            None,
            "Gamblers Anonymous: day 90 without betting, thank you all for keeping me accountable",
        ),
        (
            "en",
            "self_harm",
            1,
            None,
            "Survivors of suicide loss group: we talk about the people we lost and how we carry on",
        ),
        (
            "fr",
            "illegal_goods_drugs",
            1,
            None,
            "Un an sans cocaïne aujourd'hui. Merci au groupe des NA, vous m'avez sauvé la vie.",
        ),
        (
            "fr",
            "illegal_goods_drugs",
            1,
            None,
            "Réunion des Alcooliques Anonymes jeudi 19h salle paroissiale, nouveaux bienvenus",
        ),
        (
            "fr",
            "self_harm",
            1,
            "inquiétant",
            "Je me scarifiais tous les soirs au lycée, aujourd'hui ça fait trois ans que j'ai arrêté grâce à ma psy",
        ),
        (
            "fr",
            "self_harm",
            1,
            None,
            "Groupe de parole pour les proches de personnes suicidées, le premier mardi du mois",
        ),
        ("fr", "spam", 1, None, "90 jours sans jouer au casino en ligne, le groupe m'aide à tenir"),
        (
            "fr",
            "illegal_goods_drugs",
            1,
            None,
            "Sevrage du cannabis : deux mois sans fumer, le plus dur c'est le sommeil mais ça va mieux",
        ),
    ],
}

#: Harmful texts that borrow the look-alikes' words: a correct screening sends them to a
#: person under the first category.
HARMFUL: dict[str, list[tuple[str, Case]]] = {
    "threat": [
        (
            "harassment_threats",
            (
                "en",
                "harassment_threats",
                1,
                None,
                "lol you're dead when I catch you after school, I know which bus you take",
            ),
        ),
        (
            "harassment_threats",
            (
                "en",
                "harassment_threats",
                1,
                "threat",
                "do you want me to come to your house tonight and break your legs? keep talking",
            ),
        ),
        (
            "harassment_threats",
            (
                "en",
                "harassment_threats",
                1,
                None,
                "gg ez, now delete your account or I'll post your address and your mum's number everywhere",
            ),
        ),
        (
            "harassment_threats",
            (
                "en",
                "other",
                1,
                "he threatens my family",
                "I'll find your kids' school, you'll regret ever reporting me",
            ),
        ),
        (
            "harassment_threats",
            (
                "fr",
                "harassment_threats",
                1,
                None,
                "mdr t'es mort quand je te chope à la sortie, je sais quel bus tu prends",
            ),
        ),
        (
            "harassment_threats",
            (
                "fr",
                "harassment_threats",
                1,
                "menace",
                "tu veux que je passe chez toi ce soir te casser les jambes ? continue de parler",
            ),
        ),
        (
            "harassment_threats",
            (
                "fr",
                "harassment_threats",
                1,
                None,
                "supprime ton compte ou je balance ton adresse et le numéro de ta mère partout",
            ),
        ),
        (
            "harassment_threats",
            (
                "fr",
                "other",
                1,
                "il menace ma famille",
                "je vais trouver l'école de tes gosses, tu vas regretter de m'avoir signalé",
            ),
        ),
    ],
    "abuse": [
        (
            "harassment_threats",
            (
                "en",
                "harassment_threats",
                1,
                None,
                "you are a worthless fat pig and everyone in this group laughs at you, just leave",
            ),
        ),
        (
            "harassment_threats",
            (
                "en",
                "harassment_threats",
                2,
                "bullying",
                "nobody wants you here you ugly freak, go cry to your mum",
            ),
        ),
        (
            "harassment_threats",
            (
                "fr",
                "harassment_threats",
                1,
                None,
                "t'es qu'une grosse truie inutile, tout le monde se moque de toi, dégage du groupe",
            ),
        ),
        (
            "harassment_threats",
            (
                "fr",
                "harassment_threats",
                2,
                "harcèlement",
                "personne veut de toi ici sale moche, va pleurer chez ta mère",
            ),
        ),
    ],
    "hate": [
        (
            "hate_speech",
            (
                "en",
                "hate_speech",
                1,
                None,
                "the news won't tell you but these migrants are animals, deport every last one",
            ),
        ),
        (
            "hate_speech",
            (
                "en",
                "hate_speech",
                1,
                "racist",
                "I'm not racist but muslims are a disease in this country and should be sent back",
            ),
        ),
        (
            "hate_speech",
            (
                "fr",
                "hate_speech",
                1,
                None,
                "les journaux le diront jamais mais ces migrants sont des animaux, qu'on les renvoie tous",
            ),
        ),
        (
            "hate_speech",
            (
                "fr",
                "hate_speech",
                1,
                "raciste",
                "je suis pas raciste mais les musulmans sont une maladie pour ce pays, dehors",
            ),
        ),
    ],
    "self_harm": [
        (
            "self_harm",
            (
                "en",
                "self_harm",
                1,
                "worried about her",
                "relapsed again, cut deeper than ever tonight, I don't want to be here anymore",
            ),
        ),
        (
            "self_harm",
            (
                "en",
                "self_harm",
                1,
                None,
                "how many of my pills would it take to not wake up? asking for real",
            ),
        ),
        (
            "self_harm",
            (
                "fr",
                "self_harm",
                1,
                "inquiétant",
                "rechute ce soir, je me suis coupée plus profond que jamais, j'ai plus envie d'être là",
            ),
        ),
        (
            "self_harm",
            (
                "fr",
                "self_harm",
                1,
                None,
                "combien de cachets il faut pour ne plus se réveiller ? je demande sérieusement",
            ),
        ),
    ],
    "sale": [
        (
            "illegal_goods_drugs",
            (
                "en",
                "illegal_goods_drugs",
                1,
                None,
                "tested pills, pure mdma, 10 a pop or 5 for 40, dm me to order",
            ),
        ),
        (
            "illegal_goods_drugs",
            (
                "en",
                "spam",
                1,
                "dealer",
                "oxy 30s no script needed, discreet delivery tonight, cash only",
            ),
        ),
        (
            "illegal_goods_drugs",
            (
                "fr",
                "illegal_goods_drugs",
                1,
                None,
                "cachets testés, MD pure, 10 € le cachet ou 5 pour 40, écris moi en privé",
            ),
        ),
        (
            "illegal_goods_drugs",
            (
                "fr",
                "spam",
                1,
                "dealer",
                "beuh et coke dispo ce soir, livraison discrète, paiement en espèces",
            ),
        ),
    ],
    "phishing": [
        (
            "fraud_scam",
            (
                "en",
                "fraud_scam",
                1,
                None,
                "Your account is locked. Confirm your password and the code we just sent you at secure-bank-verify.example within 2 hours",
            ),
        ),
        (
            "fraud_scam",
            (
                "en",
                "fraud_scam",
                1,
                "scam",
                "Your parcel is held at customs, pay the £2.99 fee now with your card details or it will be returned",
            ),
        ),
        (
            "fraud_scam",
            (
                "fr",
                "fraud_scam",
                1,
                None,
                "Votre compte est bloqué. Confirmez votre mot de passe et le code reçu par SMS sous 2 heures sur banque-verif.example",
            ),
        ),
        (
            "fraud_scam",
            (
                "fr",
                "fraud_scam",
                1,
                "arnaque",
                "Votre colis est bloqué en douane, payez 1,99 € de frais avec votre carte bancaire sinon il sera renvoyé",
            ),
        ),
    ],
    "terror": [
        (
            "terrorism_violent_extremism",
            (
                "en",
                "terrorism_violent_extremism",
                1,
                None,
                "the brothers who hit the concert are martyrs, we need more of them, join us and you'll be next",
            ),
        ),
        (
            "terrorism_violent_extremism",
            (
                "fr",
                "terrorism_violent_extremism",
                1,
                None,
                "les frères qui ont frappé le concert sont des martyrs, il en faut d'autres, rejoins nos rangs",
            ),
        ),
    ],
}


#: A second batch, written the same day while the frames were tuned (so fitted twice over):
#: everyday texts of the same classes and harmful texts that borrow their words, reported
#: under "other" by one person, the reported message only.
SECOND_BENIGN: list[tuple[str, str]] = [
    ("en", "The referee was robbed, we got slaughtered 5-0 and the fans wanted blood"),
    ("en", "If City lose again tonight I'm going to kill someone, probably the manager"),
    ("en", "I'm literally going to murder my sister if she borrows my charger again"),
    ("en", "That exam destroyed me, I want to die, see you at the pub"),
    ("en", "This heat is killing me, I'm dying out here"),
    ("en", "My dad is going to kill me when he sees the car"),
    ("en", "You're such an idiot sometimes but I'd be lost without you"),
    ("en", "The movie ends with the hero shooting the villain in the head, amazing scene"),
    (
        "en",
        "Our book club is reading a novel about a school shooter and the aftermath for the town",
    ),
    ("en", "The nurse said the cut was deep but clean and doesn't need stitches"),
    ("en", "Selling my old Xbox with two controllers, 120 pounds, pick up only"),
    ("en", "Get 50% off your first order with code WELCOME, offer ends Sunday"),
    ("en", "Your verification code is 482913. Never share this code with anyone."),
    ("en", "Congrats on the new job! Drinks on me Friday"),
    ("en", "Who wants to split a pizza tonight? Send me 8 each"),
    ("en", "Anyone know a good vet near the station? My cat is sick"),
    ("en", "Heroin chic was a terrible fashion trend in the 90s"),
    ("en", "Fight club rules: do not talk about fight club"),
    ("en", "Cops shot a man in the street last night, investigation is ongoing"),
    ("en", "The terrorist attack in the film was so realistic I had to look away"),
    ("fr", "L'arbitre nous a volés, on s'est fait massacrer 5-0, les supporters étaient fous"),
    ("fr", "Si le PSG perd encore ce soir je vais tuer quelqu'un, sûrement l'entraîneur"),
    ("fr", "Je vais tuer ma sœur si elle reprend encore mon chargeur"),
    ("fr", "Cet examen m'a achevé, j'ai envie de mourir, on se retrouve au bar"),
    ("fr", "Cette chaleur me tue, je meurs de chaud"),
    ("fr", "Mon père va me tuer quand il verra la voiture"),
    ("fr", "T'es vraiment un boulet parfois mais je serais perdu sans toi"),
    (
        "fr",
        "Le film finit avec le héros qui tire une balle dans la tête du méchant, scène incroyable",
    ),
    ("fr", "Mon club de lecture lit un roman sur une fusillade dans un lycée et ses suites"),
    ("fr", "L'infirmière a dit que la coupure était profonde mais propre"),
    ("fr", "Vends ma vieille Xbox avec deux manettes, 120 €, à récupérer sur place"),
    (
        "fr",
        "-50 % sur votre première commande avec le code BIENVENUE, offre valable jusqu'à dimanche",
    ),
    ("fr", "Votre code de vérification est 482913. Ne le communiquez à personne."),
    ("fr", "Félicitations pour le nouveau boulot ! Je paie ma tournée vendredi"),
    ("fr", "Qui veut partager une pizza ce soir ? Envoyez-moi 8 € chacun"),
    ("fr", "Quelqu'un connaît un bon véto près de la gare ? Mon chat est malade"),
    ("fr", "Les flics ont tiré sur un homme hier soir, une enquête est en cours"),
    ("fr", "L'attentat dans le film était tellement réaliste que j'ai détourné les yeux"),
    ("en", "shut up you idiot, you know I love you"),
    ("en", "you absolute muppet, you left your keys in the door again"),
    ("en", "this fucking printer is useless, I hate mondays"),
    ("en", "holy shit that goal was insane, what a fucking finish"),
    ("en", "lmao you got wrecked, get good noob, rematch?"),
    ("en", "omg you bitch, you got the job?!! so proud of you"),
    ("en", "Someone called my friend a stupid bitch in the comments, I reported it"),
    ("en", 'The troll wrote "you\'re a worthless piece of shit", disgusting'),
    ("en", "As a queer woman I reclaim the word dyke, proud and loud"),
    ("en", "fuck cancer, my mum finished her last chemo today"),
    ("en", "this shit is so good, best burger in town"),
    ("en", "you're a fucking legend mate, thanks for the lift"),
    ("en", "Selling my DVD collection, all original, 3 each or 20 for the lot"),
    ("en", "The official stream is free on the broadcaster's app tonight, kick off at 8"),
    ("en", "Our newsletter: new opening hours, free parking on Sundays, join our loyalty club"),
    ("en", "Join us for the charity run on Sunday, sign up at the town hall, all welcome"),
    ("en", "Anyone selling tickets for Saturday? Happy to pay face value"),
    ("en", "How do I get my stolen account back? Someone changed my password"),
    (
        "en",
        "My account got hacked and they're messaging my friends asking for money, please ignore",
    ),
    ("en", "Investigators say the gang sold fake luxury bags online; customs seized 2,000 items"),
    (
        "en",
        "Teachers are being trained to spot grooming: secrecy, gifts and isolation are warning signs",
    ),
    ("en", "Police warn parents after a man posed as a 14 year old online to contact children"),
    ("en", "A man was convicted of sharing intimate images of his ex without consent"),
    ("en", "New law makes deepfake porn a criminal offence, victims can now report it to police"),
    ("en", "We're raising money for my brother's surgery, every little helps, link in bio"),
    ("en", "Earn money by tutoring kids in maths, 20 per hour, contact the school office"),
    ("en", "Free food at the community centre tonight, no questions asked, everyone welcome"),
    ("fr", "Vends ma collection de DVD, tous originaux, 3 € pièce ou 20 € le lot"),
    ("fr", "Le match est diffusé gratuitement sur la chaîne officielle ce soir"),
    (
        "fr",
        "Notre newsletter : nouveaux horaires, parking gratuit le dimanche, rejoignez le club fidélité",
    ),
    ("fr", "Course solidaire dimanche, inscriptions à la mairie, tout le monde est bienvenu"),
    ("fr", "Quelqu'un vend des places pour samedi ? Je paie le prix normal"),
    ("fr", "Comment récupérer mon compte volé ? Quelqu'un a changé mon mot de passe"),
    ("fr", "Mon compte a été piraté et ils demandent de l'argent à mes amis, ne répondez pas"),
    (
        "fr",
        "Les enquêteurs affirment que le réseau vendait de faux sacs de luxe ; 2 000 articles saisis par les douanes",
    ),
    (
        "fr",
        "Les enseignants sont formés à repérer le grooming : secrets, cadeaux et isolement sont des signaux d'alerte",
    ),
    (
        "fr",
        "La police met en garde les parents : un homme se faisait passer pour un ado de 14 ans pour contacter des enfants",
    ),
    (
        "fr",
        "Un homme condamné pour avoir diffusé des photos intimes de son ex sans son consentement",
    ),
    (
        "fr",
        "Nouvelle loi : les deepfakes pornographiques deviennent un délit, les victimes peuvent porter plainte",
    ),
    ("fr", "On récolte de l'argent pour l'opération de mon frère, chaque euro compte, lien en bio"),
    ("fr", "Cours de maths pour enfants, 20 € de l'heure, contactez le secrétariat de l'école"),
    ("fr", "Repas gratuit au centre social ce soir, sans condition, tout le monde est bienvenu"),
    ("fr", "wsh t'es trop un bouffon toi, bref on se voit demain"),
    ("fr", "ferme-la un peu toi, t'es relou mdr"),
    ("fr", "je vais te défoncer à FIFA ce soir, prépare-toi à pleurer"),
    ("fr", "on va les écraser dimanche, ils vont rien comprendre"),
    ("fr", "ce con d'ordi a encore planté, j'en ai marre"),
    ("fr", "putain quel match de malade hier soir"),
    ("fr", "t'es une grosse feignasse mais je t'aime bien"),
    ("fr", "je te tue si tu me spoiles la fin de la série"),
    ("fr", "les arbitres sont des voleurs, faut tous les virer"),
    ("fr", "les Parisiens sont tous des arrogants, je rigole, on vous aime"),
    ("fr", "ma fille de 12 ans veut Instagram, des conseils pour la protéger ?"),
    ("fr", "Reportage : comment les réseaux recrutent des jeunes en ligne pour le djihad"),
    ("fr", "Mon psy m'a dit que les pensées suicidaires, ça se soigne, et il avait raison"),
    ("fr", "Formation premiers secours : que faire face à une overdose"),
    ("fr", "Exposition photo sur les migrants de Calais à la médiathèque"),
    ("en", "bro you're such a clown, see you tomorrow"),
    ("en", "i'm going to destroy you at fifa tonight, get ready to cry"),
    ("en", "this stupid laptop crashed again, I give up"),
    ("en", "my 12 year old wants Instagram, any tips to keep her safe?"),
    ("en", "Documentary on how extremist groups recruit teenagers online"),
    ("en", "My therapist says suicidal thoughts are treatable, and she was right"),
    ("en", "First aid course: what to do when someone overdoses"),
    ("en", "Photo exhibition about the migrants in Calais at the library"),
    ("en", "referees are thieves, sack them all"),
    ("en", "All Londoners are arrogant, kidding, love you guys"),
    ("en", "Finished my Spider-Man fan art, took me 20 hours! Prints available at the con"),
    ("en", "My fan fiction about Harry and Hermione is up, chapter 3 out now, link in bio"),
    ("en", "Cosplay of Zelda done, photos in my bio, made the armour myself"),
    ("en", "Drew my own version of the Naruto cover, not official obviously, just for fun"),
    ("en", "Covering my favourite Taylor Swift song on guitar, video link below"),
    ("en", "Here's my remix of the new Daft Punk track, free download, no copyright intended"),
    (
        "fr",
        "J'ai fini mon fan art de Spider-Man, 20 heures de travail ! Tirages dispo à la convention",
    ),
    ("fr", "Ma fanfiction sur Harry et Hermione est en ligne, chapitre 3, lien en bio"),
    ("fr", "Cosplay de Zelda terminé, photos dans ma bio, armure faite maison"),
    ("fr", "J'ai dessiné ma version de la couverture de One Piece, pas officiel bien sûr"),
    ("fr", "Reprise à la guitare de ma chanson préférée de Stromae, lien de la vidéo en dessous"),
    ("fr", "Mon remix du dernier morceau de Daft Punk, téléchargement gratuit"),
]
#: (language, category a correct screening names, text)
SECOND_HARMFUL: list[tuple[str, str, str]] = [
    ("en", "harassment_threats", "you're a worthless piece of shit, nobody wants you here"),
    ("en", "harassment_threats", "shut up you stupid bitch, I'll make you regret it"),
    ("en", "harassment_threats", "you fat ugly cow, everyone laughs at you behind your back"),
    ("en", "harassment_threats", "I will kill you and your whole family, this is not a game"),
    (
        "en",
        "harassment_threats",
        "like in the movie, I'll find you and I'll kill you, you know where",
    ),
    (
        "en",
        "harassment_threats",
        "you're a worthless piece of shit, everyone in the game hates you, kill yourself",
    ),
    (
        "en",
        "non_consensual_intimate_imagery",
        "send me more pics or I'll share the ones I have with your whole school, lol",
    ),
    (
        "en",
        "terrorism_violent_extremism",
        "the brothers did well at the match yesterday, next time we bomb the stadium",
    ),
    ("en", "hate_speech", "according to me all muslims are terrorists and should be deported"),
    (
        "en",
        "illegal_goods_drugs",
        "I'm a nurse and I can get you oxy without prescription, 20 each, dm me",
    ),
    ("en", "harassment_threats", "After the trial I'm going to find that witness and make her pay"),
    ("en", "harassment_threats", "happy birthday, hope it's your last, nobody would miss you"),
    (
        "en",
        "illegal_goods_drugs",
        "Selling real euro banknotes, fake ones, undetectable, 100 for 30",
    ),
    (
        "en",
        "non_consensual_intimate_imagery",
        "congrats on your new job, now send me 200 in gift cards or your wife sees the photos",
    ),
    ("fr", "harassment_threats", "je vais te tuer toi et ta famille, c'est pas un jeu"),
    ("fr", "harassment_threats", "comme dans le film, je vais te retrouver et te buter"),
    (
        "fr",
        "harassment_threats",
        "t'es qu'une merde, tout le monde dans le jeu te déteste, va te pendre",
    ),
    (
        "fr",
        "non_consensual_intimate_imagery",
        "envoie encore des photos ou je partage celles que j'ai à tout ton lycée mdr",
    ),
    (
        "fr",
        "terrorism_violent_extremism",
        "les frères ont bien joué au match hier, la prochaine fois on fait sauter le stade",
    ),
    (
        "fr",
        "hate_speech",
        "selon moi tous les musulmans sont des terroristes et doivent être expulsés",
    ),
    (
        "fr",
        "illegal_goods_drugs",
        "je suis infirmière et je peux te trouver de l'oxy sans ordonnance, 20 € pièce, écris moi",
    ),
    ("fr", "harassment_threats", "après le procès je vais retrouver ce témoin et lui faire payer"),
    (
        "fr",
        "harassment_threats",
        "joyeux anniversaire, j'espère que c'est ton dernier, personne te regrettera",
    ),
    (
        "fr",
        "non_consensual_intimate_imagery",
        "félicitations pour ton boulot, maintenant envoie 200 € en cartes cadeaux sinon ta femme voit les photos",
    ),
]


#: Round 4 (issue 22): harmful texts per category and everyday look-alikes, in both languages,
#: written before they were run, to probe English and French alike.
ROUND4_HARMFUL: list[tuple[str, str, str]] = [
    (
        "en",
        "harassment_threats",
        "keep talking and see what happens to you when you leave work tomorrow",
    ),
    ("en", "harassment_threats", "you better sleep with the lights on, bitch, we're coming"),
    ("en", "harassment_threats", "gonna smash your skull in next time i see you at the bus stop"),
    (
        "en",
        "harassment_threats",
        "everyone in this group thinks you're a disgusting freak, just leave and never come back",
    ),
    ("en", "hate_speech", "muslims are a cancer on this country and should all be kicked out"),
    ("en", "hate_speech", "gay people are perverts who shouldn't be allowed near kids"),
    ("en", "hate_speech", "immigrants are invading our towns like rats, time to clean them out"),
    (
        "en",
        "fraud_scam",
        "Hi dear, I'm a crypto trader, invest 200 USDT with me today and get 2000 back by friday, guaranteed",
    ),
    (
        "en",
        "fraud_scam",
        "URGENT: your bank account is locked, confirm your card number and PIN at this link to unlock it",
    ),
    (
        "en",
        "fraud_scam",
        "hey it's me, lost my phone, new number. can you send me 300 quick for rent? i'll pay you back tomorrow",
    ),
    (
        "en",
        "illegal_goods_drugs",
        "got fire bud and molly this weekend, 20 a gram, pull up or i deliver",
    ),
    (
        "en",
        "illegal_goods_drugs",
        "need xans or percs? plug is back, dm for prices, discreet shipping",
    ),
    (
        "en",
        "illegal_goods_drugs",
        "selling a clean pistol, no serial, cash only, meet in the car park",
    ),
    ("en", "self_harm", "i've saved up all my pills, tonight i'm taking them all, i'm done"),
    ("en", "self_harm", "cut again last night, deeper this time, honestly i deserve it"),
    ("en", "self_harm", "what's the most painless way to die, asking for real"),
    (
        "en",
        "non_consensual_intimate_imagery",
        "send me 500 or your nudes go to your boss and all your contacts",
    ),
    ("en", "non_consensual_intimate_imagery", "got my ex's naked pics, who wants them, dm me"),
    (
        "en",
        "child_sexual_abuse",
        "you're 13? you look so mature, send me a pic in your underwear, don't tell your mom",
    ),
    ("en", "child_sexual_abuse", "trading vids of young girls, telegram only, verified members"),
    ("en", "spam", "EARN $500 A DAY FROM HOME!!! click the link in my bio now, limited spots"),
    (
        "en",
        "spam",
        "hot singles in your area want to meet you tonight, sign up free at datenow.xyz",
    ),
    (
        "en",
        "terrorism_violent_extremism",
        "the brothers who did the concert attack are heroes, may they be rewarded, who will be next",
    ),
    (
        "en",
        "ip_infringement",
        "all marvel movies free in HD, full download links in the pinned message",
    ),
    (
        "fr",
        "harassment_threats",
        "continue à parler et tu vas voir ce qui t'arrive quand tu sors du taf demain",
    ),
    ("fr", "harassment_threats", "dors avec la lumière allumée salope, on arrive"),
    (
        "fr",
        "harassment_threats",
        "la prochaine fois que je te vois à l'arrêt de bus je t'éclate la tête",
    ),
    (
        "fr",
        "harassment_threats",
        "tout le groupe pense que t'es une grosse dégueulasse, casse toi et reviens jamais",
    ),
    ("fr", "hate_speech", "les musulmans sont un cancer pour ce pays, faut tous les virer"),
    ("fr", "hate_speech", "les homos sont des pervers qui devraient pas approcher des enfants"),
    (
        "fr",
        "hate_speech",
        "les immigrés envahissent nos villes comme des rats, faut faire le ménage",
    ),
    (
        "fr",
        "fraud_scam",
        "Bonjour, je suis trader crypto, investis 200 USDT aujourd'hui et reçois 2000 vendredi, garanti",
    ),
    (
        "fr",
        "fraud_scam",
        "URGENT : votre compte bancaire est bloqué, confirmez votre numéro de carte et code sur ce lien",
    ),
    (
        "fr",
        "fraud_scam",
        "coucou c'est moi j'ai perdu mon tel, nouveau numéro, tu peux m'envoyer 300 vite pour le loyer ? je te rembourse demain",
    ),
    (
        "fr",
        "illegal_goods_drugs",
        "j'ai de la bonne beuh et de la md ce week-end, 10 le g, je livre",
    ),
    (
        "fr",
        "illegal_goods_drugs",
        "besoin de xanax ou de lyrica ? je suis de retour, mp pour les prix, envoi discret",
    ),
    (
        "fr",
        "illegal_goods_drugs",
        "vends un flingue propre, sans numéro, cash uniquement, rdv au parking",
    ),
    ("fr", "self_harm", "j'ai gardé tous mes cachets, ce soir je les prends tous, j'en peux plus"),
    (
        "fr",
        "self_harm",
        "je me suis encore coupée hier soir, plus profond cette fois, je le mérite",
    ),
    (
        "fr",
        "self_harm",
        "c'est quoi la façon la moins douloureuse de mourir, je demande sérieusement",
    ),
    (
        "fr",
        "non_consensual_intimate_imagery",
        "envoie 500 ou tes nudes partent à ton patron et tous tes contacts",
    ),
    ("fr", "non_consensual_intimate_imagery", "j'ai les photos nues de mon ex, qui les veut, mp"),
    (
        "fr",
        "child_sexual_abuse",
        "t'as 13 ans ? tu fais tellement mature, envoie une photo en sous-vêtements, le dis pas à ta mère",
    ),
    (
        "fr",
        "child_sexual_abuse",
        "échange vidéos de jeunes filles, telegram uniquement, membres vérifiés",
    ),
    (
        "fr",
        "spam",
        "GAGNEZ 500 € PAR JOUR DEPUIS CHEZ VOUS !!! cliquez sur le lien en bio maintenant, places limitées",
    ),
    (
        "fr",
        "spam",
        "des célibataires près de chez toi veulent te rencontrer ce soir, inscription gratuite sur rencontre-vite.xyz",
    ),
    (
        "fr",
        "terrorism_violent_extremism",
        "les frères de l'attentat du concert sont des héros, qu'ils soient récompensés, à qui le tour",
    ),
    (
        "fr",
        "ip_infringement",
        "tous les films marvel gratuits en HD, liens de téléchargement dans le message épinglé",
    ),
]

#: Round 4: everyday texts that borrow the words of harm.
ROUND4_BENIGN: list[tuple[str, str]] = [
    ("en", "my sister is going to murder me when she finds out i ate her leftovers"),
    ("en", "this hill is killing me, legs are dead after 10k"),
    ("en", "the new Bond trailer looks insane, he shoots his way out of a casino"),
    ("en", "anyone know a good pharmacy open late? need my insulin refilled"),
    ("en", "selling my old bike, 80 quid, pick up only, dm me"),
    ("en", "we raised 2000 for the food bank, thank you all, details in the link"),
    ("en", "reminder: never share your PIN, the bank will never ask for it by text"),
    (
        "en",
        "i was so depressed last winter, therapy and my dog got me through it, grateful to be here",
    ),
    (
        "en",
        "book club this thursday: we're discussing the chapter where the narrator's brother dies",
    ),
    ("en", "lol you absolute idiot you left your keys in my car again"),
    (
        "en",
        "our history teacher showed us propaganda posters from the 1930s to explain how hate spreads",
    ),
    ("en", "the hospital says the drug trial results come out next month, fingers crossed"),
    ("fr", "ma sœur va me tuer quand elle verra que j'ai mangé ses restes"),
    ("fr", "cette côte me tue, j'ai les jambes mortes après 10 km"),
    ("fr", "la bande-annonce du nouveau James Bond est folle, il sort du casino en tirant partout"),
    ("fr", "quelqu'un connaît une pharmacie de garde ? il me faut mon insuline"),
    ("fr", "je vends mon vieux vélo, 80 €, à venir chercher, écris moi"),
    ("fr", "on a récolté 2000 € pour les restos du cœur, merci à tous, détails dans le lien"),
    ("fr", "rappel : ne donnez jamais votre code, la banque ne le demande jamais par SMS"),
    (
        "fr",
        "j'étais tellement déprimée l'hiver dernier, la thérapie et mon chien m'ont sauvée, contente d'être là",
    ),
    ("fr", "club de lecture jeudi : on parle du chapitre où le frère du narrateur meurt"),
    ("fr", "mdr espèce d'idiot t'as encore oublié tes clés dans ma voiture"),
    (
        "fr",
        "notre prof d'histoire nous a montré des affiches de propagande des années 30 pour expliquer la haine",
    ),
    (
        "fr",
        "l'hôpital dit que les résultats de l'essai clinique sortent le mois prochain, croisons les doigts",
    ),
]


#: Round 4, a second batch written before it was run, after the first was tuned on.
ROUND4_MORE_HARMFUL: list[tuple[str, str, str]] = [
    ("en", "harassment_threats", "ur gonna get jumped walking home, we know which way u go"),
    ("en", "harassment_threats", "one more word and i'll break every bone in your body"),
    (
        "en",
        "harassment_threats",
        "you ugly fat pig, no wonder nobody wants you, go starve yourself",
    ),
    ("en", "hate_speech", "jews run the banks and the media, wake up people"),
    ("en", "hate_speech", "women are too stupid to vote, put them back in the kitchen"),
    (
        "en",
        "fraud_scam",
        "Congratulations! Your number was selected for a $1000 Amazon gift card, pay the $4.99 shipping to claim",
    ),
    (
        "en",
        "fraud_scam",
        "I'm an agent from your bank's security team, read me the code we just texted you to cancel the fraudulent payment",
    ),
    ("en", "illegal_goods_drugs", "bars and blues available, tap in, same day drop"),
    ("en", "illegal_goods_drugs", "pure colombian snow, 60 a g, hmu"),
    ("en", "self_harm", "nobody would even notice if i was gone, i've written the letters already"),
    ("en", "self_harm", "tips to hide cuts from your parents? need to keep doing it"),
    (
        "en",
        "non_consensual_intimate_imagery",
        "rate my ex's body, posting her pics from when we dated, she has no idea lol",
    ),
    ("en", "child_sexual_abuse", "looking for young teen content, will pay well, dm"),
    (
        "en",
        "spam",
        "FREE iPhone 15 giveaway!! follow, like and share then click the link to enter, ends tonight",
    ),
    (
        "en",
        "terrorism_violent_extremism",
        "the soldiers of the caliphate need brothers in europe, contact me privately to help the cause",
    ),
    (
        "fr",
        "harassment_threats",
        "tu vas te faire choper en rentrant chez toi, on sait par où tu passes",
    ),
    ("fr", "harassment_threats", "encore un mot et je te casse tous les os"),
    (
        "fr",
        "harassment_threats",
        "grosse truie moche, normal que personne veut de toi, arrête de bouffer",
    ),
    ("fr", "hate_speech", "les juifs contrôlent les banques et les médias, réveillez-vous"),
    ("fr", "hate_speech", "les femmes sont trop connes pour voter, retour à la cuisine"),
    (
        "fr",
        "fraud_scam",
        "Félicitations ! Votre numéro a gagné une carte cadeau Amazon de 1000 €, payez 4,99 € de frais de port pour la recevoir",
    ),
    (
        "fr",
        "fraud_scam",
        "Je suis conseiller du service sécurité de votre banque, lisez-moi le code reçu par SMS pour annuler le paiement frauduleux",
    ),
    ("fr", "illegal_goods_drugs", "xanax et lyrica dispo, passe en mp, livraison dans la journée"),
    ("fr", "illegal_goods_drugs", "de la coke pure colombienne, 60 le g, appelle moi"),
    ("fr", "self_harm", "personne remarquerait si je partais, j'ai déjà écrit les lettres"),
    ("fr", "self_harm", "des astuces pour cacher les coupures à mes parents ? je veux continuer"),
    (
        "fr",
        "non_consensual_intimate_imagery",
        "notez le corps de mon ex, je poste ses photos de quand on était ensemble, elle est pas au courant mdr",
    ),
    ("fr", "child_sexual_abuse", "je cherche du contenu de jeunes ados, je paye bien, mp"),
    (
        "fr",
        "spam",
        "iPhone 15 GRATUIT à gagner !! abonne-toi, like et partage puis clique sur le lien pour participer, fin ce soir",
    ),
    (
        "fr",
        "terrorism_violent_extremism",
        "les soldats du califat ont besoin de frères en europe, contacte moi en privé pour aider la cause",
    ),
]


#: Round 4, everyday texts written before they were run, to check the second batch's words.
ROUND4_MORE_BENIGN: list[tuple[str, str]] = [
    ("en", "i'll get my flu shot tomorrow, do you want to come with me after work?"),
    ("en", "walking home after work tonight, want me to grab you something?"),
    ("en", "our security team will never ask for your code, if someone does, hang up"),
    ("en", "my grandma thinks women are too stupid to drive lol, she's 90 and wrong"),
    ("en", "she put the leftovers back in the kitchen, you can take some home"),
    ("en", "how do I hide cuts in the drywall before the landlord inspection?"),
    ("en", "rate my new haircut, be honest"),
    ("en", "the pharmacist said 1 g a day max of paracetamol, ask your GP if the pain continues"),
    ("en", "we're going to smash it at the quiz tonight, see you at the pub after work"),
    ("en", "my dad will kill me if I'm late again, leaving now"),
    ("en", "congrats on the new job! drinks on me, 20 a head at the usual place"),
    ("en", "i'm so done with this week, see you monday"),
    ("en", "next time i see you i'll give you your charger back"),
    ("en", "can someone explain the Holocaust chapter for tomorrow's history test?"),
    ("en", "fraudulent payment on my card again, bank says they'll refund it, anyone else?"),
    ("fr", "je vais me faire vacciner demain, tu viens avec moi après le taf ?"),
    ("fr", "je rentre à pied ce soir, je te ramène quelque chose ?"),
    (
        "fr",
        "notre service sécurité ne vous demandera jamais votre code, si quelqu'un le fait, raccrochez",
    ),
    (
        "fr",
        "ma grand-mère pense que les femmes sont trop connes pour conduire mdr, elle a 90 ans et elle a tort",
    ),
    ("fr", "je cherche comment cacher les fissures du mur avant l'état des lieux"),
    ("fr", "notez ma nouvelle coupe, soyez honnêtes"),
    (
        "fr",
        "le pharmacien a dit 1 g par jour maximum de paracétamol, voyez votre médecin si ça continue",
    ),
    ("fr", "on va tout déchirer au quiz ce soir, on se voit au bar après le travail"),
    ("fr", "mon père va me tuer si je suis encore en retard, je pars"),
    ("fr", "félicitations pour le nouveau boulot ! je t'invite, 20 € par tête au resto habituel"),
    ("fr", "la prochaine fois que je te vois je te rends ton chargeur"),
    (
        "fr",
        "quelqu'un peut m'expliquer le chapitre sur la Shoah pour le contrôle d'histoire de demain ?",
    ),
    ("fr", "encore un paiement frauduleux sur ma carte, la banque va rembourser, vous aussi ?"),
    ("fr", "à la sortie du ciné on va manger, tu viens ?"),
    ("fr", "je te casse les oreilles avec mes histoires, désolée"),
]


#: Round 4, a third batch and its look-alikes, written before they were run.
ROUND4_THIRD_HARMFUL: list[tuple[str, str, str]] = [
    ("en", "harassment_threats", "you think you're safe? i've got your address now, sleep well"),
    ("en", "harassment_threats", "post that again and i'll make sure you can't walk for a month"),
    ("en", "harassment_threats", "stupid slut, everyone's seen what you did, just end it already"),
    ("en", "hate_speech", "blacks are genetically less intelligent, science proves it"),
    ("en", "hate_speech", "trannies are mentally ill freaks and should be locked up"),
    (
        "en",
        "fraud_scam",
        "we're hiring! earn 300/day liking youtube videos, just pay the 50 registration fee to start",
    ),
    (
        "en",
        "fraud_scam",
        "your parcel couldn't be delivered, reschedule and pay 1.99 here: royalmail-redeliver.info",
    ),
    (
        "en",
        "illegal_goods_drugs",
        "carts, wax and edibles in stock, cashapp or zelle, ship nationwide",
    ),
    ("en", "self_harm", "this is goodbye. thank you for everything. i love you all"),
    (
        "en",
        "non_consensual_intimate_imagery",
        "i have your video from the webcam call. pay 1000 in bitcoin or i send it to your wife",
    ),
    (
        "en",
        "child_sexual_abuse",
        "you're only 12? that's fine, age is just a number, want to video call just us two?",
    ),
    (
        "en",
        "spam",
        "Crypto signals group 🚀 95% win rate, join free now t.me/pumpsignals, only 50 spots left",
    ),
    (
        "en",
        "terrorism_violent_extremism",
        "we need to start a race war before it's too late, stock up and pick your targets",
    ),
    ("en", "ip_infringement", "selling the new fifa for 5 bucks, cracked pc version, works online"),
    (
        "fr",
        "harassment_threats",
        "tu te crois en sécurité ? j'ai ton adresse maintenant, dors bien",
    ),
    (
        "fr",
        "harassment_threats",
        "reposte ça et je fais en sorte que tu marches plus pendant un mois",
    ),
    (
        "fr",
        "harassment_threats",
        "sale pute, tout le monde a vu ce que t'as fait, finis en une bonne fois",
    ),
    ("fr", "hate_speech", "les noirs sont génétiquement moins intelligents, la science le prouve"),
    ("fr", "hate_speech", "les trans sont des malades mentaux et des monstres, faut les enfermer"),
    (
        "fr",
        "fraud_scam",
        "on recrute ! gagne 300 €/jour en likant des vidéos youtube, paye juste 50 € de frais d'inscription",
    ),
    (
        "fr",
        "fraud_scam",
        "votre colis n'a pas pu être livré, reprogrammez et payez 1,99 € ici : laposte-relivraison.info",
    ),
    (
        "fr",
        "illegal_goods_drugs",
        "space cake, wax et pollen en stock, paiement lydia ou paypal, envoi partout en france",
    ),
    ("fr", "self_harm", "c'est un adieu. merci pour tout. je vous aime tous"),
    (
        "fr",
        "non_consensual_intimate_imagery",
        "j'ai ta vidéo de l'appel webcam. paie 1000 € en bitcoin ou je l'envoie à ta femme",
    ),
    (
        "fr",
        "child_sexual_abuse",
        "t'as que 12 ans ? c'est pas grave, l'âge c'est qu'un chiffre, on fait un appel vidéo que nous deux ?",
    ),
    (
        "fr",
        "spam",
        "Groupe de signaux crypto 🚀 95% de réussite, rejoins gratuitement t.me/pumpsignaux, plus que 50 places",
    ),
    (
        "fr",
        "terrorism_violent_extremism",
        "il faut déclencher la guerre raciale avant qu'il soit trop tard, stockez des armes et choisissez vos cibles",
    ),
    ("fr", "ip_infringement", "je vends le nouveau fifa 5 €, version pc crackée, marche en ligne"),
]
ROUND4_THIRD_BENIGN: list[tuple[str, str]] = [
    ("en", "this is goodbye to my old flat, thanks for everything, love you all, moving to leeds!"),
    ("en", "age is just a number, my nan ran a marathon at 80"),
    ("en", "my parcel couldn't be delivered so I'm picking it up at the depot tomorrow"),
    ("en", "we're hiring a part-time barista, no fees, send your CV to the shop"),
    ("en", "stock up on water and batteries, the storm hits tonight"),
    ("en", "i got your address from mum, the invitation is in the post, sleep well"),
    ("fr", "c'est un adieu à mon vieil appart, merci pour tout, je vous aime, je pars à Lyon !"),
    ("fr", "l'âge c'est qu'un chiffre, ma grand-mère a couru un marathon à 80 ans"),
    ("fr", "mon colis n'a pas pu être livré, je vais le chercher au bureau de poste demain"),
    ("fr", "on recrute un barista à mi-temps, aucun frais, déposez votre CV à la boutique"),
    ("fr", "faites des réserves d'eau et de piles, la tempête arrive ce soir"),
    ("fr", "j'ai eu ton adresse par maman, l'invitation est partie, dors bien"),
]


#: Round 4, look-alikes of the classes the held-out set names, written before they were run.
ROUND4_FOURTH_BENIGN: list[tuple[str, str]] = [
    (
        "en",
        "drew fanart of the villain stabbing the hero in episode 9, took me 12 hours, hope you like it",
    ),
    ("en", "bro we're gonna murder them on saturday, their defence is trash, 3-0 easy"),
    (
        "en",
        "someone spray painted 'gays go home' on the community centre, we painted over it together today",
    ),
    (
        "en",
        "your order #4471 has shipped; track it with the link in your account, questions? reply to this email",
    ),
    ("en", "naloxone kits are free at the pharmacy, carry one if anyone you know uses opioids"),
    (
        "en",
        "2 years sober today. to anyone in their first week: it gets better, come to the tuesday meeting",
    ),
    ("en", "lmao you absolute muppet, you sent the meme to the family chat"),
    (
        "en",
        "history homework: why did the nazis call jews vermin, and how did that help the genocide?",
    ),
    ("en", "trans and proud, happy pride everyone, love you all"),
    ("en", "selling two concert tickets at face value, can't go anymore, paypal ok"),
    ("en", "the series finale where she shoots her own brother wrecked me"),
    ("en", "my doctor upped my sertraline dose, anyone else get side effects in the first weeks?"),
    (
        "fr",
        "j'ai dessiné le méchant qui poignarde le héros dans l'épisode 9, 12 heures de boulot, j'espère que ça vous plaît",
    ),
    ("fr", "frérot on va les massacrer samedi, leur défense c'est de la merde, 3-0 facile"),
    (
        "fr",
        "quelqu'un a tagué « les pédés dehors » sur le centre social, on l'a repeint ensemble aujourd'hui",
    ),
    (
        "fr",
        "votre commande n°4471 a été expédiée ; suivez-la avec le lien dans votre compte, une question ? répondez à ce mail",
    ),
    (
        "fr",
        "des kits de naloxone sont gratuits en pharmacie, ayez-en un si un proche consomme des opioïdes",
    ),
    (
        "fr",
        "2 ans sans alcool aujourd'hui. à ceux qui commencent : ça va mieux, venez à la réunion du mardi",
    ),
    ("fr", "mdr espèce de boulet t'as envoyé le mème sur le groupe de la famille"),
    (
        "fr",
        "devoir d'histoire : pourquoi les nazis traitaient les juifs de vermine, et comment ça a servi le génocide ?",
    ),
    ("fr", "trans et fière, bonne marche des fiertés à toutes et tous, je vous aime"),
    ("fr", "je vends deux places de concert au prix coûtant, je peux plus y aller, paypal ok"),
    ("fr", "le dernier épisode où elle tue son propre frère m'a détruit"),
    (
        "fr",
        "mon médecin a augmenté ma dose de sertraline, vous avez eu des effets secondaires les premières semaines ?",
    ),
]


#: Round 4, a fifth batch as people type (SMS spelling, emojis, leetspeak, polite scams).
ROUND4_FIFTH_HARMFUL: list[tuple[str, str, str]] = [
    ("en", "harassment_threats", "u better watch urself, ppl like u have accidents"),
    ("en", "harassment_threats", "ill find u and ur lil sister, count on it"),
    ("en", "illegal_goods_drugs", "❄️❄️ and 🍃 on deck, 24/7, hmu on snap"),
    ("en", "illegal_goods_drugs", "anyone need some adderall for exams? 5 a pill, got plenty"),
    (
        "en",
        "fraud_scam",
        "Dear customer, kindly update your billing information within 24 hours to avoid suspension of your Netflix account: netflix-billing-help.com",
    ),
    (
        "en",
        "fraud_scam",
        "Good afternoon, I am contacting you regarding an investment opportunity with returns of 15% weekly. Minimum deposit is 250 USD.",
    ),
    ("en", "hate_speech", "g4ys should be b4nned from teaching, they r all p3dos"),
    ("en", "self_harm", "bought a rope today. im so tired of everything"),
    (
        "en",
        "spam",
        "Earn free robux!!! 100% legit no scam, go to freerobux.xyz and enter ur username and password",
    ),
    (
        "en",
        "non_consensual_intimate_imagery",
        "i still have the vid of u from that night, would be a shame if ur parents saw it",
    ),
    (
        "en",
        "child_sexual_abuse",
        "hey cutie how old r u? 12? thats fine ur so pretty, add me on snap and dont tell anyone",
    ),
    (
        "en",
        "terrorism_violent_extremism",
        "every kafir in this city will pay, the lions are coming, allahu akbar",
    ),
    ("fr", "harassment_threats", "fais gaffe à toi, les gens comme toi ont des accidents"),
    ("fr", "harassment_threats", "jvais te trouver toi et ta ptite soeur, compte sur moi"),
    ("fr", "illegal_goods_drugs", "❄️❄️ et 🍃 dispo, 7j/7, contacte sur snap"),
    (
        "fr",
        "illegal_goods_drugs",
        "qqn veut de la ritaline pour les partiels ? 5 € le cachet, j'en ai plein",
    ),
    (
        "fr",
        "fraud_scam",
        "Cher client, veuillez mettre à jour vos informations de paiement sous 24h pour éviter la suspension de votre compte Netflix : netflix-paiement-aide.com",
    ),
    (
        "fr",
        "fraud_scam",
        "Bonjour, je vous contacte au sujet d'une opportunité d'investissement avec 15% de rendement par semaine. Dépôt minimum 250 €.",
    ),
    ("fr", "hate_speech", "les g4ys devraient être interdits d'enseigner, c tous des p3dos"),
    ("fr", "self_harm", "j'ai acheté une corde aujourd'hui. je suis tellement fatiguée de tout"),
    (
        "fr",
        "spam",
        "Robux gratuits !!! 100% legit pas d'arnaque, va sur robuxgratuit.xyz et entre ton pseudo et ton mot de passe",
    ),
    (
        "fr",
        "non_consensual_intimate_imagery",
        "j'ai toujours la vidéo de toi de cette nuit-là, ce serait dommage que tes parents la voient",
    ),
    (
        "fr",
        "child_sexual_abuse",
        "salut ma belle t'as quel âge ? 12 ? c'est pas grave t'es trop jolie, ajoute moi sur snap et le dis à personne",
    ),
    (
        "fr",
        "terrorism_violent_extremism",
        "chaque mécréant de cette ville va payer, les lions arrivent, allahu akbar",
    ),
]


#: Round 4, everyday texts that use the words the batches before added, written before they were run.
ROUND4_SIXTH_BENIGN: list[tuple[str, str]] = [
    ("en", "giveaway time! win a signed copy of my new book, follow and share, no purchase needed"),
    ("en", "anyone need a spare charger? got plenty at the office"),
    ("en", "my toddler still has accidents at night, any tips for potty training?"),
    ("en", "tired of living in this city, the rent is insane, thinking of moving to the coast"),
    ("en", "bought a rope today for the climbing course, first session on saturday!"),
    ("en", "the car's suspension is making a weird noise, anyone know a good garage?"),
    ("en", "summer camp for young teens, ages 13-15, sign up before june"),
    ("en", "it would be a shame if you missed the party, come on!"),
    ("en", "my cat is genetically incapable of being quiet at 5am"),
    ("en", "just us two for dinner tonight? the kids are at grandma's"),
    ("en", "paid with cashapp, thanks for the lamp, it looks great"),
    ("en", "i'm walking home now, see you in 10"),
    (
        "fr",
        "concours ! gagnez un exemplaire dédicacé de mon livre, abonnez-vous et partagez, sans obligation d'achat",
    ),
    ("fr", "quelqu'un veut un chargeur ? j'en ai plein au bureau"),
    ("fr", "mon petit a encore des accidents la nuit, des conseils pour la propreté ?"),
    ("fr", "marre de vivre dans cette ville, les loyers sont fous, je pense déménager"),
    ("fr", "j'ai acheté une corde pour le cours d'escalade, première séance samedi !"),
    ("fr", "la suspension de la voiture fait un bruit bizarre, quelqu'un connaît un bon garage ?"),
    ("fr", "colonie pour les jeunes ados de 13 à 15 ans, inscriptions avant juin"),
    ("fr", "ce serait dommage que tu rates la soirée, viens !"),
    ("fr", "c'est une surprise pour maman, le dis à personne"),
    ("fr", "juste nous deux ce soir au resto ? les enfants sont chez mamie"),
    ("fr", "payé par paylib, merci pour la lampe, elle est super"),
    ("fr", "je rentre à pied là, à dans 10 min"),
]


#: Round 4, a seventh batch: sexual harassment, bullying, denial, slur-named groups (no slur is
#: listed in the rules: the two that name a group by a slur stay unmatched).
ROUND4_SEVENTH_HARMFUL: list[tuple[str, str, str]] = [
    ("en", "harassment_threats", "send me pics of ur tits or i tell everyone ur a slut"),
    ("en", "harassment_threats", "i want to bend you over and make you scream, answer me bitch"),
    (
        "en",
        "harassment_threats",
        "nobody at school likes you, everyone laughs behind your back, you should just disappear",
    ),
    ("en", "hate_speech", "muzzies breed like rabbits and want sharia here, they're a plague"),
    ("en", "hate_speech", "the holocaust is a lie made up by zionists to control us"),
    (
        "en",
        "fraud_scam",
        "Grandma it's me, I'm in jail and need 2000 for bail, please don't tell mom, send it via western union",
    ),
    ("en", "illegal_goods_drugs", "ket, 2cb and mandy for the festival, bulk discounts, dm"),
    ("en", "self_harm", "i don't want to be here anymore, i've been thinking about it every night"),
    (
        "fr",
        "harassment_threats",
        "envoie des photos de tes seins ou je dis à tout le monde que t'es une salope",
    ),
    (
        "fr",
        "harassment_threats",
        "j'ai envie de te prendre par derrière et de te faire crier, réponds salope",
    ),
    (
        "fr",
        "harassment_threats",
        "personne t'aime au lycée, tout le monde se moque de toi, tu devrais disparaître",
    ),
    (
        "fr",
        "hate_speech",
        "les bougnoules se reproduisent comme des lapins et veulent la charia ici, c'est une peste",
    ),
    (
        "fr",
        "hate_speech",
        "la shoah c'est un mensonge inventé par les sionistes pour nous contrôler",
    ),
    (
        "fr",
        "fraud_scam",
        "Mamie c'est moi, je suis en prison et j'ai besoin de 2000 € pour la caution, dis rien à maman, envoie par western union",
    ),
    ("fr", "illegal_goods_drugs", "kéta, 2cb et md pour le festival, prix de gros, mp"),
    ("fr", "self_harm", "je veux plus être là, j'y pense tous les soirs"),
]


#: Round 4, trash talk and banter, written before they were run.
ROUND4_EIGHTH_BENIGN: list[tuple[str, str]] = [
    ("en", "you're dead meat in the next round, i'm coming for your base"),
    ("en", "ur so trash at this game it's actually impressive lmao"),
    ("en", "shut up loser, you owe me a pint after that penalty miss"),
    ("en", "gonna destroy you at mario kart tonight, prepare to cry"),
    ("en", "you absolute muppet, how did you lock yourself out again"),
    ("en", "she killed it on stage tonight, absolute legend"),
    ("en", "i swear i'll strangle my brother if he eats my fries again lol"),
    ("en", "our defence got murdered today, 5-1, embarrassing"),
    ("en", "dude you're such an idiot, i love you, happy birthday"),
    ("en", "i'm going to kill this exam tomorrow, wish me luck"),
    ("fr", "t'es mort au prochain round, j'arrive sur ta base"),
    ("fr", "t'es tellement nul à ce jeu c'est impressionnant mdr"),
    ("fr", "ta gueule le nul, tu me dois une bière après ce penalty raté"),
    ("fr", "je vais te démonter à mario kart ce soir, prépare les mouchoirs"),
    ("fr", "espèce de boulet, comment t'as encore fait pour t'enfermer dehors"),
    ("fr", "elle a tout déchiré sur scène ce soir, une légende"),
    ("fr", "je jure que je vais étrangler mon frère s'il mange encore mes frites mdr"),
    ("fr", "notre défense s'est fait massacrer aujourd'hui, 5-1, la honte"),
    ("fr", "t'es vraiment qu'un idiot, je t'aime, joyeux anniversaire"),
    ("fr", "je vais tuer cet exam demain, croisez les doigts"),
]


#: Round 4, everyday messages that two to four people reported with an accusation, written
#: before they were run.
#: (language, category reported, reporters, reporter's words, excerpt)
ROUND4_REPORTED_BENIGN: list[Case] = [
    (
        "en",
        "hate_speech",
        4,
        "this is racist",
        "Black History Month reading list: Baldwin, Morrison, Angelou. Share yours!",
    ),
    (
        "en",
        "harassment_threats",
        3,
        "he is threatening people",
        "Reminder: the neighbourhood watch meeting is thursday, bring your questions about the break-ins",
    ),
    (
        "en",
        "fraud_scam",
        4,
        "scam",
        "Our bakery's loyalty card: buy 9 coffees, get the 10th free. No app, no sign up.",
    ),
    (
        "en",
        "illegal_goods_drugs",
        3,
        "drug dealer",
        "Pharmacy opening hours change next week: 8am to 8pm, prescriptions ready in 2 hours",
    ),
    (
        "en",
        "spam",
        4,
        "spam spam spam",
        "Choir practice moved to the church hall, same time, tea and biscuits after",
    ),
    (
        "en",
        "self_harm",
        2,
        "she talks about suicide",
        "Our charity run raised 3000 for the suicide prevention helpline, thank you all",
    ),
    (
        "fr",
        "hate_speech",
        4,
        "c'est raciste",
        "Liste de lecture pour le mois de l'histoire des noirs : Césaire, Fanon, Condé. Partagez les vôtres !",
    ),
    (
        "fr",
        "harassment_threats",
        3,
        "il menace les gens",
        "Rappel : la réunion des voisins vigilants est jeudi, venez avec vos questions sur les cambriolages",
    ),
    (
        "fr",
        "fraud_scam",
        4,
        "arnaque",
        "La carte fidélité de la boulangerie : 9 cafés achetés, le 10e offert. Pas d'appli, pas d'inscription.",
    ),
    (
        "fr",
        "illegal_goods_drugs",
        3,
        "dealer",
        "Les horaires de la pharmacie changent la semaine prochaine : 8h-20h, ordonnances prêtes en 2 heures",
    ),
    (
        "fr",
        "spam",
        4,
        "spam spam spam",
        "La répétition de la chorale est déplacée à la salle paroissiale, même heure, thé et biscuits après",
    ),
    (
        "fr",
        "self_harm",
        2,
        "elle parle de suicide",
        "Notre course solidaire a récolté 3000 € pour la ligne d'écoute prévention suicide, merci à tous",
    ),
]


def _texts(language: str, words: str | None, excerpt: str) -> list[dict[str, str]]:
    texts = [{"source": "report", "text": words, "language": language}] if words else []
    return [*texts, {"source": "excerpt", "text": excerpt}]


def cases() -> list[dict[str, object]]:
    """Every development case, numbered per language and class."""
    out: list[dict[str, object]] = []
    numbers: dict[str, int] = defaultdict(int)

    def add(kind: str, entry: Case, category: str | None) -> None:
        language, reported, reporters, words, excerpt = entry
        group = f"{language}-dev-{kind}"
        numbers[group] += 1
        out.append(
            {
                "id": f"{group}-{numbers[group]:03d}",
                "case": {
                    "category": reported,
                    "reporter_count": reporters,
                    "texts": _texts(language, words, excerpt),
                },
                "expected_route": "dismiss" if category is None else "human_review",
                "expected_category": category,
            }
        )

    for kind, entries in BENIGN.items():
        for entry in entries:
            add(kind, entry, None)
    for entry in ROUND4_REPORTED_BENIGN:
        add("round4reported", entry, None)
    for kind, harmful in HARMFUL.items():
        for category, entry in harmful:
            add(f"harm{kind.replace('_', '')}", entry, category)
    everyday = (
        ("second", SECOND_BENIGN),
        ("round4", [*ROUND4_BENIGN, *ROUND4_MORE_BENIGN, *ROUND4_THIRD_BENIGN]),
        ("round4", [*ROUND4_FOURTH_BENIGN, *ROUND4_SIXTH_BENIGN, *ROUND4_EIGHTH_BENIGN]),
    )
    for kind, texts in everyday:
        for language, text in texts:
            add(kind, (language, "other", 1, None, text), None)
    labelled_sets = (
        ("secondharm", SECOND_HARMFUL),
        ("round4harm", [*ROUND4_HARMFUL, *ROUND4_MORE_HARMFUL, *ROUND4_THIRD_HARMFUL]),
        ("round4harm", [*ROUND4_FIFTH_HARMFUL, *ROUND4_SEVENTH_HARMFUL]),
    )
    for kind, labelled in labelled_sets:
        for language, category, text in labelled:
            add(kind, (language, category, 1, None, text), category)
    return sorted(out, key=lambda case: str(case["id"]))


def main() -> None:
    """Write the set beside this module."""
    lines = [json.dumps(case, ensure_ascii=False) for case in cases()]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} cases written to {OUT}")


if __name__ == "__main__":
    main()
