"""Write ``prescreen_fresh.jsonl``: 240 pre-screening text cases, 120 English and 120 French.

Written from the categories' meaning only (DOMAIN.md, DSA-SOR.md, issue 22), never reading how
pre-screening decides nor the other labelled sets. Run: ``.venv/bin/python <this file>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from shared.events import Category

OUT = Path(__file__).with_name("prescreen_fresh.jsonl")

CSA = Category.CHILD_SEXUAL_ABUSE
TER = Category.TERRORISM
NCII = Category.NON_CONSENSUAL_IMAGERY
HAR = Category.HARASSMENT
FRAUD = Category.FRAUD
HATE = Category.HATE_SPEECH
DRUGS = Category.ILLEGAL_GOODS
SELF = Category.SELF_HARM
SPAM = Category.SPAM
IP = Category.IP_INFRINGEMENT
OTHER = Category.OTHER


@dataclass(frozen=True, slots=True)
class Said:
    """One text of a case: the reporter's own words or an excerpt of the reported message."""

    source: str
    text: str


@dataclass(frozen=True, slots=True)
class Case:
    """A case as reported, and the category a moderator would file it under (None: benign)."""

    filed: Category | None
    reported: Category
    texts: tuple[Said, ...]
    reporters: int


def ex(text: str) -> Said:
    """An excerpt of the reported message."""
    return Said("excerpt", text)


def rep(text: str) -> Said:
    """The reporter's own words."""
    return Said("report", text)


def harm(filed: Category, reported: Category, *texts: Said, n: int = 1) -> Case:
    """A harmful case that a person must look at."""
    return Case(filed, reported, texts, n)


def ok(reported: Category, *texts: Said, n: int = 1) -> Case:
    """A benign look-alike that should be dismissed."""
    return Case(None, reported, texts, n)


# fmt: off
EN_HARMFUL = [
    # child sexual abuse: grooming, sextortion of minors, trading; nothing explicit is written
    harm(CSA, HAR,
         ex("how old r u again? 13 is fine dont worry ur way more mature than girls ur age 😊 "
            "just delete our chats ok, ur mom wouldnt get it"),
         rep("this grown man keeps dming my little sister, she is 13")),
    harm(CSA, CSA,
         ex("new folders in. young only, 11-14, real not AI. trade only, u send first. "
            "no newfags no cops"),
         rep("people in this group are swapping pictures of kids")),
    harm(CSA, SPAM,
         ex("🍭🍭 fresh lil pack 🍭🍭 jailbait, real girls not gen. 25$ btc, dm for the mega 🔞"),
         rep("spam bot joined and posts this every hour"), n=2),
    harm(CSA, CSA,
         ex("ur so pretty for 12 honestly. send me one in ur swimsuit? just for me, our secret 🤫"),
         rep("adult man asking my daughter (12) for photos on here")),
    harm(CSA, CSA,
         ex("anyone got the rest of that bathtub series w the little one? paying well, "
            "paypal or crypto")),
    harm(CSA, CSA,
         ex("if u dont send another one ill show everyone at ur school the first. "
            "ur 14, who do u think theyll believe"),
         rep("someone is blackmailing my son's friend, he is 14, he is terrified")),
    harm(CSA, CSA,
         ex("hey cutie im 15 too 😉 wanna vc? cam on. are ur parents home tonight?"),
         rep("this account claims to be 15 but its obviously an adult, it messages "
             "kids in the gaming server"), n=3),
    # terrorism and violent extremism: recruitment, glorification, propaganda
    harm(TER, TER,
         ex("Brothers, the time for words is over. Whoever sits at home while they bomb our "
            "people has no excuse before Allah. The caravan is leaving, contact the brother "
            "on the channel for the hijra, bring nothing that can be traced.")),
    harm(TER, HATE,
         ex("the replacement wont stop itself. he showed the way in christchurch. "
            "who will be next to get the high score? 🔫 saint T"),
         rep("racist crap in the group")),
    harm(TER, TER,
         ex("Praise be to the lions who struck the concert hall. May they be accepted among "
            "the martyrs. What is coming is worse for you, wait and see.")),
    harm(TER, OTHER,
         ex("voting changed nothing and it never will. the grid is the weak point, rural "
            "substations have no guards. read the pinned doc and form your cell. accelerate."),
         rep("this guy is talking about attacking power stations??")),
    harm(TER, SPAM,
         ex("📢 New issue out now. PDF on the usual mirror. Share only with trusted brothers, "
            "especially those who are preparing. Do not post it on open groups."),
         rep("bot posting pdfs in every group")),
    harm(TER, TER,
         ex("anyone still got the full stream + the manifesto from the mosque one? "
            "need it before it gets nuked again, will reupload on a mirror")),
    harm(TER, TER,
         ex("local chapter forming. we train in the woods on weekends, vetting by voice "
            "call, no feds no larpers. rahowa is not a meme, it is a plan"), n=2),
    # non-consensual intimate imagery: leaks, sextortion of adults, deepfakes, hidden cameras
    harm(NCII, HAR,
         ex("remember the pics u sent me in june? imagine ur new bf getting them. or ur dad. "
            "500 by friday and they stay on my phone"),
         rep("my ex is threatening me")),
    harm(NCII, NCII,
         ex("lol look what jess sent me last summer 🍑🍑 boys u know what to do, share it"),
         rep("he is posting my private photos in the group chat, I never agreed to this, "
             "please take them down")),
    harm(NCII, SPAM,
         ex("got a crush who wont send? 😏 send us her insta, we make the 'real' pics in 24h "
            "💦 15$ per girl, satisfaction guaranteed")),
    harm(NCII, NCII,
         ex("got the vid from saturday night. she was completely out of it lmaooo want it?"),
         rep("they filmed my friend when she was passed out and now they're sending it round"),
         n=2),
    harm(NCII, NCII,
         ex("sent the whole folder to her contact list 😂 thats what u get for leaving me"),
         rep("my cousin's ex did something horrible to her")),
    harm(NCII, NCII,
         ex("changing room cam, womens side, 40 clips, new gym on 5th. 10$ for all")),
    harm(NCII, NCII,
         ex("made a really convincing one of Ms Harper from accounting with that undress app "
            "haha. dm if u want it, she'll never know"),
         rep("a colleague is sharing fake nude pictures of another colleague")),
    # harassment and threats: stalking, doxxing, intimidation without the obvious words
    harm(HAR, HAR,
         ex("You leave work at 6:10. Nice blue coat today. Tell me again you're too busy "
            "to answer.")),
    harm(HAR, HATE,
         ex("nobody in this class wants u here. do us all a favour and just disappear. "
            "we voted lol 37 to 0"),
         rep("my daughter gets this every day from her class group")),
    harm(HAR, HAR,
         ex("It would be a real shame if something happened to that nice car. Or the kid. "
            "Drop the complaint and we all move on.")),
    harm(HAR, HAR,
         ex("posted ur address in the server, 14 Elm Road right? some of the lads are "
            "already heading over to say hi 👋 leave the porch light on"), n=2),
    harm(HAR, SPAM,
         ex("you blocked me on four accounts. this is the fifth. I will always find you. "
            "Always."),
         rep("same person again and again, new account every day")),
    harm(HAR, HAR,
         ex("saw ur selfie, u fat ugly cow. ur husband must be blind. the whole office "
            "laughs at u when u leave, ask anyone")),
    harm(HAR, HAR,
         ex("keep talking and youll find out what happens to people who talk. "
            "i know where ur mum works, the bakery on king st"),
         rep("this is about me testifying next month"), n=2),
    # fraud and scams: polite phishing, impersonation, advance fee, investment scams
    harm(FRAUD, FRAUD,
         ex("Hi Mum it's me, dropped my phone down the loo 🙈 this is my new number, "
            "save it. Could you help me with a bill today? I'll pay you back tomorrow, "
            "can't log into my banking on this phone xx")),
    harm(FRAUD, FRAUD,
         ex("Royal Mail: your parcel could not be delivered due to an unpaid fee of £1.99. "
            "Please update your details within 24 hours: royalmail-redelivery-uk.com/track")),
    harm(FRAUD, FRAUD,
         ex("Good afternoon, this is the security department of your bank. We have blocked "
            "an unusual payment of £849. To cancel it, please read me the code you have "
            "just received by text. Please do not share it with anyone else."),
         rep("pretending to be my bank")),
    harm(FRAUD, SPAM,
         ex("Hello! I am Anna, recruiter at a digital agency 😊 We offer part-time remote "
            "work: like videos on YouTube, earn 200-800 USD per day, paid daily. "
            "Reply YES to learn more!")),
    harm(FRAUD, OTHER,
         ex("my uncle trades gold on this platform, I made 38% this month honestly. "
            "open an account with 1000 and I'll guide you step by step, trust me "
            "darling ❤️ we'll build our future together"),
         rep("I met him on here 3 weeks ago, now he wants me to invest")),
    harm(FRAUD, FRAUD,
         ex("Congratulations! Your account has been selected for the blue verification "
            "badge ✅ Confirm ownership within 2h or the account will be suspended: "
            "t-verify-badge.net/confirm")),
    harm(FRAUD, FRAUD,
         ex("PS5 Pro brand new sealed, 150. bank transfer only sorry no paypal, "
            "I'm abroad for work so I'll ship the same day I receive it"),
         rep("sold the same console to 3 people in this group, nobody got anything"), n=3),
    # hate speech: dehumanising a protected group, coded and obfuscated
    harm(HATE, HATE,
         ex("they breed like rats and then cry about housing. send every last one of them "
            "back, boats and all")),
    harm(HATE, HAR,
         ex("go back to the jungle u came from 🐒🍌 nobody wants ur kind here"),
         rep("he sends this to my friend after every match")),
    harm(HATE, HATE,
         ex("tr*nnies are mentally ill groomers, keep them away from society and "
            "especially from our kids")),
    harm(HATE, HATE,
         ex("who owns the banks? who owns the media? (((they))) do. the j00s are replacing "
            "u and laughing. wake up")),
    harm(HATE, SPAM,
         ex("Muzz1es out! Every m0sque is a terror cell. Share if you agree 🇬🇧🇬🇧"),
         rep("getting this in every local group")),
    harm(HATE, HATE,
         ex("gays are a disease. if my son turned out like that he'd be dead to me "
            "and yours should be too"), n=2),
    # illegal goods and drugs: menus, slang, weapons and documents
    harm(DRUGS, DRUGS,
         ex("🍁🍄❄️💊 MENU UPDATED 💊❄️🍄🍁 za 10/g, caps, pressies, snow 80. "
            "drops 7 days, tap in on the snap")),
    harm(DRUGS, SPAM,
         ex("plug back in town 🔌 got the gas n some bars, hmu same number")),
    harm(DRUGS, DRUGS,
         ex("anyone need blues? 30s, pharma not pressed, meet downtown or I post")),
    harm(DRUGS, OTHER,
         ex("switches for glocks in stock, auto sears too, ships discreet, crypto only"),
         rep("he's selling gun parts??")),
    harm(DRUGS, DRUGS,
         ex("Buy registered passports, ID cards and driving licences, real database entry, "
            "all EU countries. Fast and discreet. Message on telegram")),
    harm(DRUGS, DRUGS,
         ex("got k and mandy for saturday, 2 for 50, can drop before the rave 🕺")),
    # self-harm: intent, method seeking, pro-eating-disorder and cutting groups
    harm(SELF, SELF,
         ex("been saving my pills for weeks. tonight's the night. thanks for nothing everyone"),
         rep("my friend just posted this and isnt answering")),
    harm(SELF, OTHER,
         ex("rules this week: under 500 cal, if u go over u punish urself. post ur thighs "
            "for check ✨ no excuses #proana #meanspo")),
    harm(SELF, SELF,
         ex("whats the least painful way. asking seriously. i dont want to fail again")),
    harm(SELF, HAR,
         ex("got a new blade, who wants to start a streak w me? pics in the vent chat")),
    harm(SELF, SELF,
         ex("bought the rope. this weekend its done. dont try to talk me out of it"), n=2),
    harm(SELF, SELF,
         ex("thinspo thursday 💀 collarbones or nothing, day 3 of water fast, who's joining "
            "the challenge")),
    # spam: bulk promotion, fake engagement, unsolicited group adds
    harm(SPAM, SPAM,
         ex("🔥🔥 BEST CASINO BONUS 500% 🔥🔥 join now slotz-king.xyz 🔥🔥 BEST CASINO "
            "BONUS 500% 🔥🔥 join now"),
         rep("posted in like 40 groups"), n=3),
    harm(SPAM, FRAUD,
         ex("Grow your channel FAST!! 10k real subscribers for $9.99 💯 boostyfam . com 💯 "
            "DM for promo")),
    harm(SPAM, SPAM,
         ex("join my channel join my channel join my channel t.me/+xYz3 best memes 24/7 "
            "join my channel"), n=4),
    harm(SPAM, HAR,
         ex("Hi! I added you to 'Crypto Signals VIP 🚀💰'. Daily 10x calls, don't miss out!!"),
         rep("keeps adding me to groups I never asked for")),
    harm(SPAM, SPAM,
         ex("h0t s1ngles in y0ur area 😘 cl1ck -> d8-n0w.click")),
    harm(SPAM, SPAM,
         ex("cheap followers, likes, views!! IG TikTok YT. fast delivery. bestsmm.shop "
            "use code VIP10")),
    # intellectual property: piracy channels, illegal streaming, counterfeits, leaks
    harm(IP, IP,
         ex("every Marvel movie in 4K, full season of The Bear, new releases day one 🎬 "
            "join the channel for links, no ads")),
    harm(IP, SPAM,
         ex("IPTV 22k channels 📺 all sports, Sky, DAZN, beIN, 12 months 40€, "
            "instant activation")),
    harm(IP, IP,
         ex("leaked the full album 2 weeks before release, mega link pinned, "
            "grab it before the takedown")),
    harm(IP, FRAUD,
         ex("Submariner AAA, looks 100% real, engraved logo, box and papers, 120$"),
         rep("fake rolex")),
    harm(IP, IP,
         ex("full pdf of the campbell bio 12th ed, the paid one, enjoy 📚 dont tell the prof")),
    harm(IP, IP,
         ex("watch tonight's match free here: footy-live-hd.stream no signup, UFC too"),
         n=2),
]


EN_BENIGN = [
    # news and court reporting
    ok(TER,
       ex("BREAKING: 3 dead after a car was driven into a crowd at the Christmas market. "
          "Police treat it as a terrorist attack, the suspect is in custody. Avoid the "
          "city centre."),
       rep("terrorist attack"), n=5),
    ok(CSA,
       ex("the guy from our old school got 9 years today for grooming kids online. "
          "judge said he contacted over 40 children. glad the girls who testified were "
          "believed")),
    ok(FRAUD,
       ex("Article: how the 'hi mum' scam works: the fraudster claims a new number, then "
          "asks for money for an urgent bill. Never pay without calling the old number.")),
    ok(HATE,
       ex("Court ruled today: the councillor who called migrants 'vermin' on Facebook is "
          "fined and banned from office for two years."), n=3),
    ok(DRUGS,
       ex("police raided the flat above the chippy last night, found 2kg of coke and a "
          "gun apparently. whole street was taped off")),
    # history and remembrance
    ok(HATE,
       ex("Today we remember the 6 million Jews murdered by the Nazis. My great-grandmother "
          "was deported from Lyon in 1942 and never came back. Never again. 🕯️")),
    ok(TER,
       ex("20 years since 7/7. I was on the Piccadilly line that morning. Thinking of "
          "the 52 who didn't get home.")),
    ok(HATE,
       ex("reading about the Rwandan genocide for my history essay, the radio literally "
          "called Tutsis 'cockroaches' for months before. propaganda is terrifying")),
    ok(TER,
       ex("my grandad fought in the resistance, blew up railway lines in 1944. "
          "found his medals in the attic 🎖️"),
       rep("this talks about blowing up railways")),
    # quoting a slur to condemn it
    ok(HATE,
       ex("some guy on the bus called my friend a 'dirty p*ki' today and NOBODY said "
          "anything. this is 2026. do better people"), n=4),
    ok(HATE,
       ex("reminder that 'it's just banter' when you call someone the n-word is not banter. "
          "I'm done explaining this in this server."),
       rep("he wrote the n word")),
    ok(HAR,
       ex("screenshotting the messages I got after my match: 'go kill yourself', 'hope your "
          "family dies'. reporting every one of them. this is what female refs deal with")),
    ok(HATE,
       ex("My son came home asking what 'f*ggot' means because a kid at school said it. "
          "We had a long talk. How do you all handle this?")),
    # medical, harm reduction, suicide prevention
    ok(SELF,
       ex("after my overdose in 2023 the nurse told me paracetamol damage is slow and awful, "
          "not peaceful at all. please if you're thinking about it, call 116 123. "
          "they answered at 3am for me.")),
    ok(SELF,
       ex("If you're having thoughts of suicide you are not alone. Samaritans: 116 123, "
          "free, 24/7. Text SHOUT to 85258. You don't have to be in crisis to call."),
       rep("about suicide"), n=3),
    ok(DRUGS,
       ex("going to the festival? test your pills, the drugs checking tent is next to "
          "the medical tent. start with half, wait 2 hours, drink water but not litres. "
          "look after your mates 💙"),
       n=4),
    ok(DRUGS,
       ex("naloxone kits are free at the pharmacy on Mill St, no questions. fentanyl is in "
          "everything now, carry one if anyone you know uses")),
    ok(CSA,
       ex("Paediatrician here: a rash on a toddler's genital area is usually nappy rash. "
          "Keep the area dry, barrier cream, and see your GP if it lasts more than 3 days.")),
    ok(SELF,
       ex("my therapist said cutting was how i coped and that's not a moral failing, just "
          "a sign i needed better tools. 2 years clean today 🦋")),
    # gaming and sports trash talk
    ok(HAR,
       ex("gg ez. uninstall and go back to minecraft kid, you got absolutely destroyed 💀"),
       rep("toxic player"), n=2),
    ok(HAR,
       ex("next time I see you in ranked I'm gonna end your whole career lmao, "
          "rematch tmrw 8pm"),
       rep("he's threatening me")),
    ok(TER,
       ex("planting the bomb on B, rush with flashes, I'll AWP mid. if we lose this round "
          "I'm blowing up the whole team's houses 😤")),
    ok(HAR,
       ex("Arsenal are going to get MURDERED on sunday. absolute bloodbath. bring tissues"),
       n=3),
    ok(HAR,
       ex("your defence is so bad my nan could score on you. with her zimmer frame. "
          "blindfolded")),
    ok(HAR,
       ex("I'm going to destroy you at padel tomorrow, prepare your excuses and your "
          "ice packs 🎾")),
    # banter and affection
    ok(HAR,
       ex("I could actually kill you for this 😂😂 you told mum about the party???"),
       rep("threat")),
    ok(HAR,
       ex("you absolute idiot I love you. stop dying in every horror movie we watch "
          "and come over")),
    ok(HAR,
       ex("if you eat my leftover pizza again I'm burying you in the garden, final warning")),
    ok(SELF,
       ex("this exam is going to kill me. i want to die. why did i pick engineering 😭")),
    ok(NCII,
       ex("omg send me the pics from last night!!! the ones where we look hot, not the one "
          "where I'm eating 😂")),
    # activism reclaiming words
    ok(HATE,
       ex("Queer and proud 🏳️‍🌈 the dyke march starts at noon, bring water and your "
          "loudest voice"), n=6),
    ok(HATE,
       ex("as a fat woman I'm reclaiming the word fat. it's a description not an insult. "
          "we're doing a body positivity meetup sunday")),
    ok(HATE,
       ex("Black Lives Matter. Read the names. Say the names. Our rally against police "
          "violence is on Saturday at City Hall."), n=3),
    # legitimate shop, delivery, bank and 2FA notices
    ok(FRAUD,
       ex("Your verification code is 482913. Never share this code. We will never call "
          "you or message you to ask for it."),
       rep("my bank code in a chat??"), n=3),
    ok(FRAUD,
       ex("Your Amazon order #204-1183720 has been dispatched and will arrive Thursday. "
          "Track it in the app under Your Orders.")),
    ok(SPAM,
       ex("Hi Sarah, your appointment with Dr Patel is confirmed for Tue 14 May at 10:20. "
          "Reply C to cancel. Riverside Surgery")),
    ok(FRAUD,
       ex("Monzo: you just paid £12.40 at Tesco. Wasn't you? Freeze your card in the app.")),
    ok(SPAM,
       ex("🎉 Spring sale at Bloom & Co: 20% off all houseplants this weekend, "
          "in store only. See you there! Reply STOP to unsubscribe")),
    ok(FRAUD,
       ex("DPD: your parcel is with Jamie, arriving between 13:15 and 14:15. "
          "Track or change the delivery in the DPD app.")),
    # fan fiction, film plots, parody
    ok(TER,
       ex("ok the plot: a sleeper cell plans to bomb the stadium during the final and "
          "the agent has 24 hours to find them. best season of the show imo"),
       rep("talking about bombing a stadium"), n=3),
    ok(CSA,
       ex("ch 12 of my fic is up! Harry and Draco, both 25, finally stop pretending "
          "they hate each other. rated M for language 📖")),
    ok(HAR,
       ex("in the film he stalks her for months, leaves notes in her car, and the twist is "
          "she's been watching him the whole time. so good")),
    ok(DRUGS,
       ex("rewatching breaking bad. walter cooking meth in a RV with a chemistry teacher's "
          "precision is still the best pilot ever")),
    ok(FRAUD,
       ex("PARODY ACCOUNT: Dear customer, the Bank of Nigeria Prince Dept has selected U "
          "for 10 billion dollars. Pls send ur soul and 3 goats. (this is a joke obviously)")),
    ok(HATE,
       ex("satire: 'Local man blames immigrants for his own inability to assemble IKEA "
          "furniture' — The Daily Mash vibes 😂")),
    # recovery groups
    ok(DRUGS,
       ex("NA meeting moved to the church hall on Friday 7pm. Newcomers welcome, "
          "bring a friend who's struggling. 90 days clean for me today 🙏")),
    ok(SELF,
       ex("ED recovery group check-in: I ate a full dinner with my family and didn't "
          "count a single calorie. small wins 💪")),
    # lyrics
    ok(HAR,
       ex("'pull up on the block, no hesitation, leave the whole opp crew in the "
          "conversation' — lyrics from my new drill tune, out friday 🎤🔥"),
       rep("violent threats"), n=2),
    ok(SELF,
       ex("lyrics i wrote for the band: 'I'm sinking in the river of my own mind, "
          "the water's warm, I'm leaving it behind'")),
    ok(HATE,
       ex("that old punk song literally goes 'nazi punks f off' and somehow the nazis "
          "still show up to the gigs lol")),
    # legitimate sales and sharing that look like the harmful kind
    ok(DRUGS,
       ex("selling all our paintball markers + masks, club is closing down 😢 collection "
          "only, cash or bank transfer, first come first served")),
    ok(IP,
       ex("Here's the PDF of my own thesis since a few of you asked, feel free to share 📄")),
    ok(IP,
       ex("Night of the Living Dead (1968) is public domain, full movie on the Internet "
          "Archive. perfect for halloween 🧟")),
    ok(SPAM,
       ex("hey guys, I finally started a cooking channel! first video is my nan's curry. "
          "would mean a lot if you checked it out 🥹"), n=3),
    ok(NCII,
       ex("friendly reminder: never send nudes to anyone you wouldn't trust with your life. "
          "if someone threatens to leak yours, Revenge Porn Helpline 0345 6000 459. "
          "it's not your fault")),
]


FR_HARMFUL = [
    # pédocriminalité : pédopiégeage, sextorsion de mineurs, échanges
    harm(CSA, HAR,
         ex("ta quel age deja? 12 ans c pas grave tu fais bcp plus mature 😊 "
            "par contre efface nos msg, tes parents comprendraient pas"),
         rep("un adulte parle a ma fille de 12 ans en prive")),
    harm(CSA, CSA,
         ex("qqn a les videos de la petite du live tiktok d'hier soir? celle de 10 ans. "
            "je paye en carte cadeau, envoie en prive"),
         rep("ils cherchent des videos d'une enfant de 10 ans dans ce groupe")),
    harm(CSA, CSA,
         ex("t trop belle pour une 5e franchement 😍 envoie une photo en maillot, juste pour "
            "moi. tes parents rentrent a quelle heure ce soir?")),
    harm(CSA, CSA,
         ex("si tu m'envoies pas une autre photo je montre la 1ere a tout ton college. "
            "t'as 13 ans, qui va te croire toi?"),
         rep("mon fils se fait faire du chantage par quelqu'un, il a 13 ans")),
    harm(CSA, CSA,
         ex("c'est ton coach 😊 t'as été top à l'entraînement. viens plus tôt samedi, seul, "
            "je te montrerai des exercices. dis rien aux autres ni à tes parents, ils "
            "seraient jaloux"),
         rep("le coach de mon fils de 11 ans lui écrit ça à minuit"), n=2),
    harm(CSA, SPAM,
         ex("📦 pack jeunettes réel pas IA 🔞 20€ en btc, lien mega en mp, premiers arrivés")),
    # terrorisme et extrémisme violent
    harm(TER, TER,
         ex("Mes frères, le temps des paroles est fini. Celui qui reste assis pendant qu'on "
            "massacre les nôtres n'a aucune excuse. Contactez le frère sur la chaîne pour "
            "partir, n'emportez rien qui puisse être tracé.")),
    harm(TER, HATE,
         ex("gloire aux lions du 13 novembre. que Dieu les accepte. ce qui arrive sera pire "
            "pour vous, mécréants"),
         rep("message raciste")),
    harm(TER, TER,
         ex("les frères là-bas ont besoin de nous. cagnotte « aide humanitaire » lien en bio, "
            "pas de questions. celui qui équipe un combattant a la même récompense que lui")),
    harm(TER, SPAM,
         ex("📢 nouveau numéro dispo, pdf sur le miroir habituel. uniquement entre frères "
            "de confiance, surtout ceux qui se préparent. pas sur les groupes ouverts")),
    harm(TER, TER,
         ex("section locale en création. entraînement en forêt le week-end, recrutement par "
            "vocal, pas de keufs pas de mythos. la remigration se fera pas par les urnes"),
         n=3),
    harm(TER, HAR,
         ex("la prochaine fois ce sera la préfecture. on a déjà fait le repérage. ceux qui "
            "bossent pour ce système sont des cibles légitimes ✊"),
         rep("il menace la prefecture")),
    # images intimes non consenties
    harm(NCII, HAR,
         ex("tu te souviens des photos que tu m'as envoyées cet été? imagine ton nouveau mec "
            "qui les reçoit. ou ton père. 500€ avant vendredi"),
         rep("mon ex me menace")),
    harm(NCII, NCII,
         ex("regardez ce que léa m'a envoyé l'an dernier 🍑 les gars vous savez quoi faire, "
            "partagez"),
         rep("il publie mes photos intimes dans le groupe sans mon accord, svp "
             "supprimez les")),
    harm(NCII, SPAM,
         ex("ta une crush qui veut rien send? 😏 envoie son insta on te fait des "
            "'vraies' photos en 24h 💦 15€ la meuf")),
    harm(NCII, NCII,
         ex("jai la video de samedi soir, elle était complètement défoncée mdrrr tu la veux?"),
         rep("ils ont filmé ma pote quand elle était inconsciente et font tourner la video"),
         n=2),
    harm(NCII, NCII,
         ex("jai envoyé tout le dossier a sa liste de contacts 😂 ça lui apprendra a me "
            "quitter")),
    harm(NCII, NCII,
         ex("vds vidéos caméra cachée vestiaire femmes, la nouvelle salle de sport, "
            "40 clips 10€")),
    # harcèlement et menaces
    harm(HAR, HAR,
         ex("j'ai vu que t'avais changé de numéro. ta soeur a été sympa de me le donner 🙂 "
            "on se voit quand? je passe devant chez toi tous les soirs tu sais")),
    harm(HAR, HATE,
         ex("personne veut de toi dans la classe. rends service a tout le monde et "
            "disparais. on a voté mdr 28 à 0"),
         rep("ma fille reçoit ça tous les jours du groupe de sa classe")),
    harm(HAR, HAR,
         ex("t'as 48h pour me rendre l'oseille. après c'est plus moi qui gère c'est les grands "
            "du quartier, et eux ils savent où t'habites frérot")),
    harm(HAR, SPAM,
         ex("tu m'as bloqué sur 4 comptes. celui-là c'est le 5e. je te retrouverai "
            "toujours. toujours."),
         rep("encore lui, un nouveau compte chaque jour")),
    harm(HAR, HAR,
         ex("continue de parler et tu vas voir ce qu'on fait aux balances. je sais ou "
            "bosse ta daronne, la boulangerie rue Jean Jaurès"),
         rep("c'est parce que je témoigne le mois prochain"), n=2),
    harm(HAR, HAR,
         ex("g mis ton adresse sur le serveur, 12 rue des lilas c ça? y a des gars qui "
            "passent te dire bonjour ce soir 👋 laisse la lumière allumée")),
    # fraude et arnaques
    harm(FRAUD, FRAUD,
         ex("Bonjour, votre canapé m'intéresse, je paie par le service de livraison sécurisé. "
            "Cliquez ici pour recevoir l'argent, il faut juste confirmer votre carte : "
            "leboncoin-paiement-securise.com/recevoir")),
    harm(FRAUD, FRAUD,
         ex("Colissimo : votre colis est en attente, des frais de réexpédition de 1,99€ "
            "sont à régler sous 24h : suivi-colissimo-livraison.info")),
    harm(FRAUD, FRAUD,
         ex("Bonjour, service anti-fraude de votre banque. Une opération de 849€ vient "
            "d'être bloquée. Pour l'annuler, merci de me communiquer le code que vous "
            "venez de recevoir par SMS. Ne le communiquez à personne d'autre."),
         rep("se fait passer pour ma banque")),
    harm(FRAUD, OTHER,
         ex("Bonjour, il vous reste 1 450€ sur votre Compte Formation qui seront perdus au "
            "31/12. Pour les utiliser répondez avec votre numéro de sécu et vos identifiants "
            "FranceConnect, un conseiller vous rappelle 🙂")),
    harm(FRAUD, FRAUD,
         ex("Ameli : votre carte Vitale arrive à expiration. Commandez la nouvelle avant "
            "le 30 pour continuer à être remboursé : ameli-renouvellement-carte.fr")),
    harm(FRAUD, HAR,
         ex("mon oncle fait du trading sur l'or, jai fait +38% ce mois sérieux. ouvre un "
            "compte avec 1000€ je te guide, fais moi confiance mon cœur ❤️ c'est pour notre "
            "avenir"),
         rep("on s'est rencontré ici il y a 3 semaines, maintenant il veut que j'investisse")),
    # discours de haine
    harm(HATE, HATE,
         ex("les roms faut les parquer loin des villes, voleurs de naissance, ça changera "
            "jamais, c'est dans leur sang")),
    harm(HATE, HAR,
         ex("retourne dans ta jungle 🐒🍌 on veut pas de ta race ici"),
         rep("il envoie ça a mon pote apres chaque match")),
    harm(HATE, HATE,
         ex("les tr@ns c des malades mentaux et des prédateurs, faut les tenir loin de "
            "nos gosses")),
    harm(HATE, HATE,
         ex("qui possède les banques, les médias, le gouvernement? toujours les mêmes "
            "(((eux))). le grand remplacement c'est leur plan, réveillez vous")),
    harm(HATE, SPAM,
         ex("Dehors les bougn0ules ! Chaque mosquée est une cellule terroriste. "
            "Partagez si vous êtes d'accord 🇫🇷🇫🇷"),
         rep("ça tourne dans tous les groupes du quartier")),
    harm(HATE, HATE,
         ex("les pd c une maladie, si mon fils était comme ça il serait plus mon fils "
            "et vous devriez faire pareil"), n=2),
    harm(HATE, HATE,
         ex("les femmes voilées ce sont des sacs poubelles ambulants, faut les virer des "
            "transports et des écoles")),
    # produits illicites et drogues (argot)
    harm(DRUGS, DRUGS,
         ex("🍁🍄❄️💊 CARTE À JOUR 💊❄️🍄🍁 beuh 10 le g, champi, taz, la blanche 70. "
            "livraison 7j/7, ajoute le snap")),
    harm(DRUGS, SPAM,
         ex("le plug est back 🔌 ya de la frappe et du jaune, same num que d'hab")),
    harm(DRUGS, DRUGS,
         ex("qui veut de la C? de la vraie, 60 le g, je descends en bas de chez toi en "
            "10 min")),
    harm(DRUGS, OTHER,
         ex("vds 9mm propre + 2 chargeurs, pas de questions, en main propre sur Marseille"),
         rep("il vend une arme??")),
    harm(DRUGS, DRUGS,
         ex("Permis, carte d'identité, passeport, enregistrés dans le fichier officiel. "
            "Tous pays UE. Rapide et discret. Contact sur télégram")),
    harm(DRUGS, DRUGS,
         ex("dispo sur le num habituel : puffs THC, gummies 🍬 et du sirop pour les soirées 💜 "
            "livraison en scoot dans l'heure")),
    harm(DRUGS, DRUGS,
         ex("le ter-ter est ouvert 24/24 jusqu'à dimanche, 20 la barrette, passez par "
            "derrière le bat C, demandez le petit"), n=2),
    # automutilation et suicide
    harm(SELF, SELF,
         ex("ça fait des semaines que je garde mes médocs. c'est ce soir. merci pour rien "
            "tout le monde"),
         rep("mon amie vient de poster ça et répond plus")),
    harm(SELF, OTHER,
         ex("qui fait le jeu du foulard ce soir en live? le dernier qui lâche a gagné 😵 "
            "on commence à 22h"),
         rep("des collégiens organisent ça dans le serveur")),
    harm(SELF, SELF,
         ex("c quoi la facon la moins douloureuse. serieux. je veux pas me rater encore "
            "une fois")),
    harm(SELF, HAR,
         ex("nouvelle lame, qui commence une série avec moi? photos dans le salon vent")),
    harm(SELF, SELF,
         ex("j'ai acheté la corde. ce week end c'est fini. essayez pas de me faire changer "
            "d'avis"), n=2),
    harm(SELF, SELF,
         ex("thinspo du jeudi 💀 les clavicules ou rien, 3e jour de jeûne à l'eau, qui fait "
            "le défi avec moi")),
    harm(SELF, SELF,
         ex("jvais sauter du pont ce soir jen peux plus. dites a ma soeur que je l'aime")),
    # spam
    harm(SPAM, SPAM,
         ex("🔥🔥 MEILLEUR BONUS CASINO 500% 🔥🔥 inscris toi sur slotz-roi.xyz 🔥🔥 "
            "MEILLEUR BONUS CASINO 🔥🔥"),
         rep("posté dans 40 groupes"), n=3),
    harm(SPAM, FRAUD,
         ex("Boostez votre chaîne !! 10k abonnés réels pour 9,99€ 💯 boostyfam . com 💯 "
            "code PROMO10")),
    harm(SPAM, SPAM,
         ex("rejoins ma chaine rejoins ma chaine rejoins ma chaine t.me/+aBc9 les meilleurs "
            "memes 24h/24 rejoins ma chaine"), n=4),
    harm(SPAM, HAR,
         ex("Salut ! Je t'ai ajouté à 'Signaux Crypto VIP 🚀💰'. Des x10 tous les jours, "
            "rate pas ça !!"),
         rep("il arrête pas de m'ajouter a des groupes")),
    harm(SPAM, SPAM,
         ex("🎁 1 personne sur 100 gagne un iPhone 17 !! réponds GAGNANT à ce message et "
            "transfère à 10 contacts 🎁🎁 sinon t'es pas éligible")),
    harm(SPAM, SPAM,
         ex("followers pas chers, likes, vues !! insta tiktok yt. livraison rapide. "
            "meilleursmm.shop")),
    harm(SPAM, OTHER,
         ex("PROMO PROMO -70% sur TOUT jusqu'à minuit !!! 🛍️ lien en bio 🛍️ PROMO PROMO "
            "-70% 🛍️"),
         rep("collé dans tous les groupes de la ville")),
    # propriété intellectuelle : piratage, streaming illégal, contrefaçon
    harm(IP, IP,
         ex("tous les Marvel en 4K, la saison entière de Lupin, les sorties ciné dès le "
            "1er jour 🎬 rejoignez le canal pour les liens")),
    harm(IP, SPAM,
         ex("IPTV 22000 chaînes 📺 tout le sport, Canal+, beIN, DAZN, 12 mois 40€, "
            "activation immédiate")),
    harm(IP, IP,
         ex("l'album complet a leak 2 semaines avant la sortie, lien mega épinglé, chopez le "
            "avant le takedown")),
    harm(IP, FRAUD,
         ex("sac LV réplique qualité miroir, logo identique, boîte + facture, 90€"),
         rep("contrefaçon")),
    harm(IP, IP,
         ex("dispo : Astérix intégrale en scan HD + tous les mangas de la semaine avant la "
            "sortie en librairie, lien dans le canal, faites tourner")),
    harm(IP, IP,
         ex("match de ce soir en direct gratos : foot-direct-hd.stream sans inscription, "
            "UFC aussi"), n=2),
    harm(IP, IP,
         ex("cracks de tous les jeux ubisoft + la suite adobe 2026 activée, torrents dans "
            "le canal, partagez")),
]


FR_BENIGN = [
    # presse et chroniques judiciaires
    ok(TER,
       ex("URGENT : une voiture a foncé dans la foule au marché de Noël, 3 morts. Le parquet "
          "national antiterroriste est saisi, le suspect a été interpellé. Evitez le "
          "centre-ville."),
       rep("attentat"), n=5),
    ok(CSA,
       ex("le prof de sport de notre ancien collège a pris 9 ans aujourd'hui pour "
          "pédopiégeage en ligne. plus de 40 victimes selon le juge. respect aux filles "
          "qui ont témoigné")),
    ok(FRAUD,
       ex("Article : comment marche l'arnaque « coucou maman » — l'escroc prétend avoir "
          "un nouveau numéro puis demande un virement urgent. Rappelez toujours l'ancien "
          "numéro avant de payer.")),
    ok(HATE,
       ex("Condamné aujourd'hui : l'élu qui avait qualifié les migrants de « vermine » sur "
          "Facebook écope d'une amende et de 2 ans d'inéligibilité."), n=3),
    ok(DRUGS,
       ex("descente des stups hier soir au bat B, ils ont trouvé 2 kilos de shit et une "
          "arme apparemment. toute la rue était bouclée")),
    # histoire et mémoire
    ok(HATE,
       ex("Aujourd'hui on se souvient de la rafle du Vél d'Hiv. Ma grand-tante avait 8 ans, "
          "elle n'est jamais revenue d'Auschwitz. Plus jamais ça. 🕯️")),
    ok(TER,
       ex("10 ans après le Bataclan. J'étais au concert. Je pense aux 90 qui ne sont "
          "pas rentrés ce soir là, et à ceux qui vivent avec.")),
    ok(HATE,
       ex("pour mon exposé sur le Rwanda : la radio des mille collines appelait les Tutsis "
          "des « cafards » pendant des mois avant le génocide. la propagande ça fait "
          "froid dans le dos")),
    ok(TER,
       ex("mon arrière grand-père était dans la résistance, il faisait sauter les voies "
          "ferrées en 44. on a retrouvé ses médailles au grenier 🎖️"),
       rep("ça parle de faire sauter des trains")),
    ok(HATE,
       ex("Oradour-sur-Glane, 10 juin 1944 : 643 civils massacrés par une division SS. "
          "On y est allés avec la classe, le village est resté tel quel. Bouleversant.")),
    # citer une insulte pour la condamner
    ok(HATE,
       ex("un mec dans le bus a traité ma pote de « sale bougnoule » aujourd'hui et "
          "PERSONNE a rien dit. on est en 2026. réveillez vous"), n=4),
    ok(HAR,
       ex("je poste les messages que j'ai reçus après le match : « va te pendre », "
          "« j'espère que ta famille crève ». je signale tout. voilà ce que vivent les "
          "arbitres femmes")),
    ok(HATE,
       ex("Mon fils m'a demandé ce que voulait dire « pédé » parce qu'un gamin l'a dit à "
          "l'école. On en a longuement parlé. Vous faites comment vous?")),
    ok(HATE,
       ex("rappel : traiter qqn de « sale juif » c pas de « l'humour noir ». j'en ai marre "
          "d'expliquer ça sur ce serveur"),
       rep("propos antisémites")),
    # médecine, réduction des risques, prévention du suicide
    ok(SELF,
       ex("Si vous avez des idées suicidaires, vous n'êtes pas seul·e. Le 3114, numéro "
          "national de prévention du suicide, répond 24h/24, gratuitement."),
       rep("parle de suicide"), n=3),
    ok(SELF,
       ex("après ma TS en 2023 l'infirmière m'a expliqué que le paracétamol c'est une mort "
          "lente et horrible, rien de paisible. si vous y pensez appelez le 3114, ils m'ont "
          "répondu à 3h du mat")),
    ok(DRUGS,
       ex("vous allez au festival? faites analyser vos prods au stand réduction des risques "
          "à côté du poste de secours. commencez par une demi, attendez 2h, buvez de l'eau "
          "mais pas des litres. prenez soin de vos potes 💙"), n=4),
    ok(DRUGS,
       ex("la naloxone est gratuite en pharmacie et au CAARUD, sans ordonnance. si un "
          "proche consomme des opioïdes ayez un kit sur vous")),
    ok(CSA,
       ex("Pédiatre ici : une rougeur sur les parties intimes d'un bébé c'est le plus "
          "souvent un érythème fessier. Changez souvent, crème protectrice, et consultez "
          "si ça dure plus de 3 jours.")),
    ok(SELF,
       ex("ma psy m'a dit que la scarification c'était ma façon de tenir, pas une faute, "
          "juste le signe qu'il me fallait d'autres outils. 2 ans sans aujourd'hui 🦋")),
    # chambrage entre joueurs et supporters
    ok(HAR,
       ex("gg ez. désinstalle et retourne sur minecraft le gamin, tu t'es fait "
          "démonter 💀"),
       rep("joueur toxique"), n=2),
    ok(HAR,
       ex("la prochaine fois que je te croise en ranked je te détruis ta carrière mdr, "
          "revanche demain 20h")),
    ok(TER,
       ex("je pose la bombe en B, rush avec les flashs, je tiens mid à l'AWP. si on perd ce "
          "round je fais exploser vos maisons à tous 😤")),
    ok(HAR,
       ex("dimanche on va les MASSACRER les marseillais. boucherie. prévoyez les "
          "mouchoirs"), n=3),
    ok(HAR,
       ex("t'as vu le clash d'hier? il l'a tué en 3 phases, mort et enterré le pauvre 😂 "
          "RIP")),
    # chambrage entre amis, affection
    ok(HAR,
       ex("je vais te tuer 😂😂 t'as dit à maman pour la soirée???"),
       rep("menace de mort")),
    ok(HAR,
       ex("mon gros bébé je vais te dévorer tout cru ce soir 😘 vivement que tu rentres")),
    ok(HAR,
       ex("toi t'es mort si tu spoiles la fin de la série à ma soeur 🔪😂")),
    ok(SELF,
       ex("ce partiel va me tuer. jveux mourir. pk j'ai pris médecine 😭 literally dying")),
    ok(NCII,
       ex("envoie moi les photos d'hier soir!!! celles où on est trop belles, pas celle "
          "où je mange 😂")),
    ok(HAR,
       ex("wesh le boloss t'es où? ramène toi on t'attend depuis 1h, je vais te défoncer "
          "à fifa ce soir")),
    # militantisme, réappropriation de mots
    ok(HATE,
       ex("Gouines, pédés, trans : fier·es et en colère 🏳️‍🌈 la marche des fiertés part à "
          "14h de Montparnasse, ramenez de l'eau et votre plus belle voix"), n=6),
    ok(HATE,
       ex("en tant que grosse je me réapproprie le mot gros. c'est une description, pas "
          "une insulte. rencontre body positive dimanche")),
    ok(HATE,
       ex("Justice pour les victimes de violences policières. Lisez les noms. Rassemblement "
          "samedi 14h place de la République."), n=3),
    # notifications légitimes : boutique, livraison, banque, code à usage unique
    ok(FRAUD,
       ex("Votre code de vérification est 482913. Ne le communiquez jamais. Votre banque ne "
          "vous le demandera jamais par téléphone ni par message."),
       rep("code bancaire dans une conversation??"), n=3),
    ok(FRAUD,
       ex("Votre commande n°204-1183720 a été expédiée et arrivera jeudi. Suivez-la dans "
          "l'appli, rubrique Vos commandes.")),
    ok(SPAM,
       ex("Bonjour Mme Martin, votre RDV avec le Dr Benali est confirmé le mar. 14 mai à "
          "10h20. Répondez A pour annuler. Cabinet médical des Tilleuls")),
    ok(FRAUD,
       ex("Paiement de 12,40€ chez Carrefour City accepté. Ce n'est pas vous? Bloquez votre "
          "carte dans l'appli.")),
    ok(SPAM,
       ex("🎉 Printemps chez Fleurs & Cie : -20% sur les plantes ce week-end, en magasin "
          "uniquement. À bientôt ! STOP au 36xxx pour vous désabonner")),
    ok(FRAUD,
       ex("Chronopost : votre colis sera livré aujourd'hui entre 13h15 et 14h15 par Karim. "
          "Modifiez la livraison depuis l'appli ou le site chronopost.fr")),
    # fictions, intrigues de films, parodie
    ok(TER,
       ex("le pitch : une cellule dormante veut faire sauter le stade pendant la finale et "
          "l'agent a 24h pour les trouver. meilleure saison du Bureau des légendes pour moi"),
       rep("parle de faire sauter un stade"), n=3),
    ok(CSA,
       ex("le chap 12 de ma fic est en ligne ! les deux persos (25 ans tous les deux) "
          "arrêtent enfin de faire semblant de se détester 📖")),
    ok(HAR,
       ex("dans le film il la suit pendant des mois, laisse des mots sur sa voiture, et le "
          "twist c'est qu'elle l'observait depuis le début. trop bien")),
    ok(DRUGS,
       ex("je regarde Ozark, la famille qui blanchit l'argent du cartel mexicain, j'ai "
          "binge toute la saison en 2 jours")),
    ok(FRAUD,
       ex("COMPTE PARODIQUE : Cher client, le département Prince du Nigeria vous a "
          "sélectionné pour 10 milliards. Envoyez votre âme et 3 chèvres. (c'est une "
          "blague évidemment)")),
    ok(HATE,
       ex("parodie : « un homme accuse les immigrés de l'empêcher de monter son meuble "
          "IKEA » — le Gorafi a encore frappé 😂")),
    # groupes d'entraide
    ok(DRUGS,
       ex("La réunion NA est déplacée à la salle paroissiale vendredi 19h. Nouveaux "
          "bienvenus, ramenez un ami qui galère. 90 jours clean pour moi aujourd'hui 🙏")),
    ok(SELF,
       ex("groupe TCA rétablissement : j'ai mangé un repas entier avec ma famille sans "
          "compter une seule calorie. petites victoires 💪")),
    # paroles
    ok(HAR,
       ex("« j'arrive dans le tieks, pas d'hésitation, toute l'équipe d'en face dans la "
          "conversation » — paroles de mon nouveau son, sortie vendredi 🎤🔥"),
       rep("menaces"), n=2),
    ok(HAR,
       ex("« la rue m'a élevé, la BAC m'a contrôlé, grandi sans daron mais j'ai jamais "
          "volé » — mon couplet pour le concours de rap du lycée, votez pour moi 🙏")),
    # ventes et partages légitimes qui ressemblent aux autres
    ok(DRUGS,
       ex("vds lot de couteaux Sabatier neufs jamais servi, cadeau de mariage en double 😅 "
          "paiement à la remise, pas d'envoi")),
    ok(IP,
       ex("voilà le pdf de mon mémoire pour ceux qui l'ont demandé, partagez librement 📄")),
    ok(IP,
       ex("Les Misérables de Victor Hugo est dans le domaine public, ebook gratuit sur "
          "Gallica. bonne lecture les amis")),
    ok(SPAM,
       ex("coucou tout le monde, j'ai enfin lancé ma chaîne de cuisine ! 1ère vidéo : "
          "le couscous de ma grand-mère. ça me ferait trop plaisir que vous passiez 🥹"),
       n=3),
    ok(NCII,
       ex("rappel : si quelqu'un menace de diffuser vos photos intimes, ce n'est pas votre "
          "faute. Contactez le 3018, gratuit et anonyme, ils aident à faire supprimer")),
]
# fmt: on


def _text(said: Said, *, language: str, index: int) -> dict[str, str]:
    """A text, tagged with its language on some texts only, as platforms do."""
    item = {"source": said.source, "text": said.text}
    tagged = index % 3 != 0 if said.source == "report" else index % 5 == 0
    if tagged:
        item["language"] = language
    return item


def render() -> str:
    """The whole set, one JSON object per line."""
    lines = []
    for language, cases in (("en", EN_HARMFUL + EN_BENIGN), ("fr", FR_HARMFUL + FR_BENIGN)):
        numbers: dict[str, int] = {}
        for index, case in enumerate(cases):
            group = "benign" if case.filed is None else case.filed.value
            numbers[group] = numbers.get(group, 0) + 1
            row = {
                "id": f"{language}-f-{group}-{numbers[group]:03d}",
                "case": {
                    "category": case.reported.value,
                    "reporter_count": case.reporters,
                    "texts": [_text(s, language=language, index=index) for s in case.texts],
                },
                "expected_route": "dismiss" if case.filed is None else "human_review",
                "expected_category": None if case.filed is None else case.filed.value,
            }
            lines.append(json.dumps(row, ensure_ascii=False))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
