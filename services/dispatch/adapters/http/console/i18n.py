"""The console's words in English and French, chosen by the browser's language or a switch.

Reviewers of a French-speaking market read French; the switch (a cookie) overrides the
browser. A missing translation falls back to English, never to a key.
"""

from __future__ import annotations

from shared.console import i18n as shared_i18n

LANGUAGES = shared_i18n.LANGUAGES

_WORDS: dict[str, tuple[str, str]] = {
    # key: (English, French)
    "title": ("Crible review console", "Console de modération Crible"),
    "sign_in": ("Sign in", "Se connecter"),
    "token": ("Reviewer token", "Jeton de modérateur"),
    "token_help": (
        "The token an administrator issued you with crible reviewers token.",
        "Le jeton qu'un administrateur vous a remis (crible reviewers token).",
    ),
    "bad_token": ("Unknown or disabled token.", "Jeton inconnu ou désactivé."),
    "queue": ("Queue", "File"),
    "appeals": ("Appeals", "Recours"),
    "supervisor": ("Supervision", "Supervision"),
    "next_case": ("Take the next case", "Prendre le cas suivant"),
    "no_case": ("No case is waiting for you.", "Aucun cas ne vous attend."),
    "category": ("Category", "Catégorie"),
    "band": ("Priority band", "Niveau de priorité"),
    "waiting": ("Waiting", "En attente"),
    "oldest": ("Oldest", "Plus ancien"),
    "overdue": ("Past deadline", "En retard"),
    "leased": ("Being reviewed", "En cours d'examen"),
    "your_shift": ("Your shift", "Votre service"),
    "decisions_shift": ("Decisions this shift", "Décisions pendant ce service"),
    "allowance": ("Graphic cases left this shift", "Cas choquants restants pour ce service"),
    "subject": ("Subject", "Objet"),
    "reported_as": ("Reported as", "Signalé comme"),
    "screened_as": ("Screened as", "Classé comme"),
    "severity": ("Severity", "Gravité"),
    "priority": ("priority", "priorité"),
    "reports": ("Reports", "Signalements"),
    "reporters": ("Distinct reporters", "Signaleurs distincts"),
    "no_text": ("(no text)", "(sans texte)"),
    "evidence": ("Evidence", "Éléments"),
    "excerpt": ("Message excerpt", "Extrait du message"),
    "links": ("Links (not clickable)", "Liens (non cliquables)"),
    "media": ("Media", "Médias"),
    "media_hidden": (
        "Hidden. Revealing counts against your graphic-exposure allowance.",
        "Masqué. L'afficher compte dans votre limite d'exposition.",
    ),
    "reveal": ("Reveal", "Afficher"),
    "no_media_source": (
        "The platform does not provide this media: hashes only.",
        "La plateforme ne fournit pas ce média : empreintes seulement.",
    ),
    "screening": ("Screening", "Analyse automatique"),
    "fired": ("fired", "a réagi"),
    "no_match": ("no match", "aucune correspondance"),
    "surges": ("Surges", "Pics de signalements"),
    "viral": ("viral", "viral"),
    "coordinated": ("coordinated (discounted)", "coordonné (minoré)"),
    "history": ("History", "Historique"),
    "revision": ("Revision", "Révision"),
    "appeal": ("Appeal", "Recours"),
    "sla_due": ("Due", "Échéance"),
    "lease_ends": ("Your lease ends", "Votre réservation se termine"),
    "renew": ("Renew lease", "Prolonger"),
    "release": ("Give back", "Rendre"),
    "decide": ("Decide", "Décider"),
    "outcome": ("Decision", "Décision"),
    "policy_reason": ("Policy reason", "Motif"),
    "explanation": ("Explanation (never personal data)", "Explication (sans données personnelles)"),
    "confirm_irreversible": (
        "I confirm this decision, which cannot be undone by the user",
        "Je confirme cette décision, que l'utilisateur ne peut pas annuler",
    ),
    "needs_confirmation": (
        "This decision needs your confirmation.",
        "Cette décision demande votre confirmation.",
    ),
    "escalate": ("Escalate to a senior", "Transmettre à un senior"),
    "hold": ("Put on hold", "Mettre en attente"),
    "escalate_reason": (
        "Why a senior should decide (escalation)",
        "Pourquoi un senior doit décider (transmission)",
    ),
    "hold_reason": (
        "What the case waits for (hold)",
        "Ce que le cas attend (mise en attente)",
    ),
    "choose_reason": ("Choose the reason of your decision", "Choisissez le motif de la décision"),
    "reasons_violation": ("Violation", "Infraction"),
    "reason_required": (
        "Choose the reason of your decision.",
        "Choisissez le motif de votre décision.",
    ),
    "reason_mismatch": (
        (
            "That reason does not fit this decision: a violation needs a reason of a "
            "violation, no violation one of its own."
        ),
        (
            "Ce motif ne correspond pas à la décision : une infraction demande un motif "
            "d'infraction, l'absence d'infraction un motif qui lui est propre."
        ),
    ),
    "decided": ("Decision recorded.", "Décision enregistrée."),
    "first_review": (
        "First review recorded; a second reviewer will decide too.",
        "Premier examen enregistré ; un second modérateur décidera aussi.",
    ),
    "escalated": ("Sent to a senior.", "Transmis à un senior."),
    "held": ("Put on hold.", "Mis en attente."),
    "released": ("Given back to the queue.", "Rendu à la file."),
    "renewed": ("Lease renewed.", "Réservation prolongée."),
    "lease_expired": (
        "Your lease on this case expired: it went back to the queue.",
        "Votre réservation a expiré : le cas est retourné dans la file.",
    ),
    "not_yours": ("This case is not leased to you.", "Ce cas ne vous est pas attribué."),
    "forbidden": (
        "You are not cleared to see this case.",
        "Vous n'êtes pas habilité à voir ce cas.",
    ),
    "not_found": ("No such case.", "Ce cas n'existe pas."),
    "csrf": (
        "The form was refused: it did not come from this console. Reload the page.",
        "Formulaire refusé : il ne vient pas de cette console. Rechargez la page.",
    ),
    "error": ("Something went wrong", "Une erreur est survenue"),
    "back": ("Back to the queue", "Retour à la file"),
    "original_reviewer": ("Decided by", "Décidé par"),
    "original_outcome": ("Decision appealed", "Décision contestée"),
    "filed": ("Filed", "Déposé"),
    "no_appeals": ("No open appeal.", "Aucun recours en cours."),
    "reviewer": ("Reviewer", "Modérateur"),
    "decisions_8h": ("Decisions (8 h)", "Décisions (8 h)"),
    "decisions_24h": ("Decisions (24 h)", "Décisions (24 h)"),
    "per_hour": ("Per hour (8 h)", "Par heure (8 h)"),
    "agreement": ("Agreement in dual review", "Accord en double examen"),
    "upheld": ("Upheld on appeal", "Confirmées en recours"),
    "shortcuts": (
        "Shortcuts: n next case, r renew, 1-7 choose a decision, d decide, e escalate, h hold",
        (
            "Raccourcis : n cas suivant, r prolonger, 1-7 choisir une décision, d décider, "
            "e transmettre, h mettre en attente"
        ),
    ),
    "category.child_sexual_abuse": ("Child sexual abuse", "Abus sexuels sur mineurs"),
    "category.terrorism_violent_extremism": (
        "Terrorism and violent extremism",
        "Terrorisme et extrémisme violent",
    ),
    "category.illegal_goods_drugs": ("Illegal goods and drugs", "Biens illicites et drogues"),
    "category.ip_infringement": ("Intellectual property", "Propriété intellectuelle"),
    "category.fraud_scam": ("Fraud and scams", "Fraude et arnaques"),
    "category.non_consensual_intimate_imagery": (
        "Non-consensual intimate imagery",
        "Images intimes sans consentement",
    ),
    "category.hate_speech": ("Hate speech", "Discours de haine"),
    "category.harassment_threats": ("Harassment and threats", "Harcèlement et menaces"),
    "category.self_harm": ("Self-harm", "Automutilation"),
    "category.spam": ("Spam", "Spam"),
    "category.other": ("Other", "Autre"),
    "severity.low": ("low", "faible"),
    "severity.medium": ("medium", "moyenne"),
    "severity.high": ("high", "élevée"),
    "severity.critical": ("critical", "critique"),
    "state.queued": ("waiting", "en attente"),
    "state.leased": ("being reviewed", "en cours d'examen"),
    "state.held": ("on hold", "mis de côté"),
    "state.escalated": ("escalated to a senior", "transmis à un senior"),
    "state.awaiting_second_review": ("awaiting a second review", "en attente d'un second examen"),
    "state.decided": ("decided", "décidé"),
    "state.appealed": ("appealed", "en recours"),
    "state.dismissed": ("dismissed by screening", "classé par l'analyse automatique"),
    "route.act_now": ("acted on at once", "traité immédiatement"),
    "route.human_review": ("human review", "examen humain"),
    "route.dismiss": ("dismissed", "classé"),
    "usability.used": ("used", "utilisé"),
    "usability.no_input": ("nothing to read", "rien à analyser"),
    "usability.unusable": ("unusable input", "données inexploitables"),
    "usability.unavailable": ("unavailable", "indisponible"),
    "match.hash": ("hash", "empreinte"),
    "match.rule": ("rule", "règle"),
    "match.domain": ("domain", "domaine"),
    "match.model": ("model", "modèle"),
    "subject.message": ("message", "message"),
    "subject.user": ("user", "utilisateur"),
    "subject.group": ("group", "groupe"),
    "subject.channel": ("channel", "chaîne"),
    "outcome.no_violation": ("No violation", "Pas d'infraction"),
    "outcome.remove_content": ("Remove the content", "Retirer le contenu"),
    "outcome.restrict_user": ("Restrict the user", "Restreindre l'utilisateur"),
    "outcome.suspend_user": ("Suspend the user", "Suspendre l'utilisateur"),
    "outcome.ban_user": ("Ban the user", "Bannir l'utilisateur"),
    "outcome.ban_group_or_channel": ("Ban the group or channel", "Bannir le groupe ou la chaîne"),
    "outcome.report_to_authorities": ("Report to the authorities", "Signaler aux autorités"),
}


def choose(accept_language: str | None, switch: str | None) -> str:
    """The language: the switch's if valid, else the browser's first supported one."""
    return shared_i18n.choose(accept_language, switch)


def translator(language: str) -> dict[str, str]:
    """Every word in ``language`` (English where French is missing)."""
    return shared_i18n.translator(_WORDS, language)
