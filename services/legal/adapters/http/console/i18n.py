"""The officers' console in English and French (the switch, else the browser's language)."""

from __future__ import annotations

from shared.console import i18n as shared_i18n

WORDS: dict[str, tuple[str, str]] = {
    # key: (English, French)
    "title": ("Crible legal requests", "Crible · réquisitions judiciaires"),
    "sign_in": ("Sign in", "Se connecter"),
    "token": ("Legal officer token", "Jeton d'officier juridique"),
    "token_help": (
        (
            "The token an operator issued you with crible legal officers add. It is asked once; "
            "the session then proves who you are."
        ),
        (
            "Le jeton remis par un opérateur (crible legal officers add). Il n'est demandé "
            "qu'une fois ; la session prouve ensuite votre identité."
        ),
    ),
    "bad_token": ("Unknown or disabled token.", "Jeton inconnu ou désactivé."),
    "requests": ("Requests", "Réquisitions"),
    "preservations": ("Preservation orders", "Conservations"),
    "audit": ("Audit trail", "Journal d'audit"),
    "authorities": ("Authorities", "Autorités"),
    "officers": ("Officers", "Officiers"),
    "transparency": ("Transparency", "Transparence"),
    "state": ("State", "État"),
    "all_authorities": ("All authorities", "Toutes les autorités"),
    "open_states": ("Open (to handle)", "Ouvertes (à traiter)"),
    "filter": ("Filter", "Filtrer"),
    "instrument": ("Instrument", "Instrument"),
    "authority": ("Authority", "Autorité"),
    "country": ("Country", "Pays"),
    "received": ("Received", "Reçue"),
    "due": ("Due", "Échéance"),
    "time_left": ("Time left", "Temps restant"),
    "prepared_by": ("Prepared by", "Préparée par"),
    "approved_by": ("Approved by", "Approuvée par"),
    "overdue": ("overdue", "en retard"),
    "emergency": ("Emergency", "Urgence"),
    "narrowed": ("narrowed", "restreinte"),
    "no_requests": ("No request in this view.", "Aucune réquisition ici."),
    "shown_of": ("shown of", "affichées sur"),
    "next_page": ("Next page", "Page suivante"),
    "previous_page": ("Previous page", "Page précédente"),
    "asked": ("What was asked", "Ce qui est demandé"),
    "official": ("Official", "Magistrat ou agent"),
    "authorisation": ("Authorisation", "Autorisation"),
    "none": ("none", "aucune"),
    "case_reference": ("Case reference", "Référence de procédure"),
    "offence": ("Offence", "Infraction"),
    "penalty": ("Maximum penalty", "Peine encourue"),
    "years": ("years", "ans"),
    "online": ("committed online", "commise en ligne"),
    "target": ("Target", "Cible"),
    "categories": ("Categories", "Catégories"),
    "period": ("Period", "Période"),
    "non_disclosure": ("No notice to the user until", "Pas d'information de l'usager avant"),
    "deadline": ("Deadline", "Délai"),
    "checks": ("The law's checks", "Contrôles juridiques"),
    "passed": ("passed", "conforme"),
    "failed": ("refused", "refusé"),
    "document": ("Signed document", "Document signé"),
    "read_document": (
        "Read the signed document (recorded in the audit trail)",
        "Lire le document signé (consigné au journal d'audit)",
    ),
    "reading_recorded": (
        "This reading is recorded in the audit trail.",
        "Cette lecture est consignée au journal d'audit.",
    ),
    "signed_container": (
        "Content of the signed container (.p7m); check the signature on the original.",
        "Contenu de l'enveloppe signée (.p7m) ; vérifiez la signature sur l'original.",
    ),
    "not_shown": (
        "This document cannot be shown in the page; download the original.",
        "Ce document ne peut pas être affiché ; téléchargez l'original.",
    ),
    "download_original": (
        "Download the original (recorded)",
        "Télécharger l'original (consigné)",
    ),
    "page": ("Page", "Page"),
    "disclosure": ("What approval would disclose", "Ce que l'approbation communiquerait"),
    "counts_only": (
        "Counts only: no value is read or shown before approval.",
        "Décomptes seulement : aucune valeur n'est lue ni affichée avant l'approbation.",
    ),
    "target.found": ("The target names one account.", "La cible désigne un compte."),
    "target.none": (
        "The platform knows no such account: approval answers “no data”.",
        "La plateforme ne connaît pas ce compte : l'approbation répondra « aucune donnée ».",
    ),
    "target.several": (
        "The target names several accounts: ask the authority before approving.",
        "La cible désigne plusieurs comptes : interrogez l'autorité avant d'approuver.",
    ),
    "count.accounts": ("account", "compte"),
    "count.phone_numbers": ("phone numbers", "numéros de téléphone"),
    "count.sessions": ("connections (IP address, port, time)", "connexions (IP, port, heure)"),
    "count.traffic": ("none held", "aucune détenue"),
    "narrow": ("Narrow", "Restreindre"),
    "narrow_help": (
        "Keep fewer categories or a shorter period; the narrower scope is checked again.",
        (
            "Gardez moins de catégories ou une période plus courte ; le périmètre restreint est "
            "contrôlé à nouveau."
        ),
    ),
    "date_from": ("From (UTC)", "Du (UTC)"),
    "date_to": ("To (UTC)", "Au (UTC)"),
    "reason": ("Reason", "Motif"),
    "prepare": ("Prepare for approval", "Préparer pour approbation"),
    "prepare_help": (
        "You have read the request and its document; a second officer will approve.",
        "Vous avez lu la réquisition et son document ; un second officier approuvera.",
    ),
    "approve": ("Approve", "Approuver"),
    "approve_help": (
        "Approving builds the package from exactly this scope, encrypted to the authority.",
        "L'approbation construit le paquet sur exactement ce périmètre, chiffré pour l'autorité.",
    ),
    "confirm_approve": (
        "I approve this disclosure as the second officer",
        "J'approuve cette communication en tant que second officier",
    ),
    "prepared_note": ("Prepared by {who} on {when}.", "Préparée par {who} le {when}."),
    "you_prepared": (
        "You prepared this request: a second, different officer must approve it.",
        "Vous avez préparé cette réquisition : un second officier, différent, doit l'approuver.",
    ),
    "refuse": ("Refuse", "Refuser"),
    "refusal_code": ("Refusal code", "Motif de refus"),
    "choose_code": ("Choose a code", "Choisissez un motif"),
    "explanation": ("Explanation for the authority", "Explication pour l'autorité"),
    "explanation_help": (
        "Sent to the authority with the code and its article; kept sealed.",
        "Transmise à l'autorité avec le motif et son article ; conservée chiffrée.",
    ),
    "confirm_refuse": (
        "I refuse this request; this answers it",
        "Je refuse cette réquisition ; c'est la réponse",
    ),
    "refusals": ("Refusals", "Refus"),
    "history": ("History (audit trail)", "Historique (journal d'audit)"),
    "package": ("Package", "Paquet"),
    "built": ("built", "construit"),
    "link_expires": ("link expires", "lien valable jusqu'au"),
    "downloaded": ("downloaded", "téléchargé"),
    "preserved_until": ("Preserved until", "Conservée jusqu'au"),
    "extended": ("extended", "prolongée"),
    "extended_column": ("Extended", "Prolongée"),
    "extend": ("Extend by 30 days", "Prolonger de 30 jours"),
    "lift": ("Lift (withdrawn)", "Lever (retirée)"),
    "confirm_lift": (
        "The authority withdrew this order; its data follows retention again",
        "L'autorité a retiré cette injonction ; ses données suivent à nouveau la conservation",
    ),
    "no_preservations": ("No running preservation order.", "Aucune conservation en cours."),
    "starts": ("Started", "Début"),
    "ends": ("Ends", "Fin"),
    "chain_state": ("The audit chain", "La chaîne d'audit"),
    "entries": ("Entries", "Entrées"),
    "last_entry": ("Last entry", "Dernière entrée"),
    "last_checkpoint": ("Last signed checkpoint", "Dernier point de contrôle signé"),
    "no_checkpoint": ("none yet", "aucun encore"),
    "not_anchored": ("Entries not yet anchored", "Entrées pas encore ancrées"),
    "schema_guard": ("Schema guard installed", "Garde du schéma installée"),
    "yes": ("yes", "oui"),
    "no": ("no", "non"),
    "verify": ("Verify the chain now", "Vérifier la chaîne maintenant"),
    "verify_help": (
        "Recomputes every keyed hash against the kept checkpoints; the run itself is audited.",
        (
            "Recalcule chaque empreinte contre les points de contrôle conservés ; la vérification "
            "est elle-même consignée."
        ),
    ),
    "intact": ("The chain verifies.", "La chaîne est intègre."),
    "broken": ("The chain does NOT verify", "La chaîne N'EST PAS intègre"),
    "entries_checked": ("entries checked", "entrées vérifiées"),
    "unregistered": (
        "Credentials changed without a registration naming them (crible audit acknowledge):",
        "Identifiants modifiés sans enregistrement qui les nomme (crible audit acknowledge) :",
    ),
    "acknowledged": ("acknowledged by incident", "reconnu par l'incident"),
    "name": ("Name", "Nom"),
    "kind": ("Kind", "Nature"),
    "signing_key": ("Signing key", "Clé de signature"),
    "encryption_key": ("Encryption key", "Clé de chiffrement"),
    "active": ("Active", "Active"),
    "inactive": ("inactive", "inactive"),
    "deactivate": ("Deactivate", "Désactiver"),
    "confirm_deactivate": (
        "Its token and signatures are refused from now on",
        "Son jeton et ses signatures seront refusés dès maintenant",
    ),
    "roles": ("Roles", "Rôles"),
    "live_sessions": ("Live sessions", "Sessions ouvertes"),
    "last_sign_in": ("Last sign-in", "Dernière connexion"),
    "period_label": (
        "Period (YYYY, YYYY-H1, YYYY-Q3…)",
        "Période (AAAA, AAAA-H1, AAAA-Q3…)",
    ),
    "show": ("Show", "Afficher"),
    "bad_period": ("Not a period this report knows.", "Période non reconnue."),
    "transparency_help": (
        (
            "Legal requests of the period, from the audit trail and the requests; the moderation "
            "figures come with crible transparency, which reads the other services' tables."
        ),
        (
            "Réquisitions de la période, d'après le journal d'audit et les réquisitions ; les "
            "chiffres de modération viennent de crible transparency, qui lit les autres services."
        ),
    ),
    "requests_received": ("Received", "Reçues"),
    "accounts_specified": ("Accounts specified", "Comptes visés"),
    "data_disclosed": ("Data disclosed", "Données communiquées"),
    "no_data": ("No data", "Aucune donnée"),
    "refused": ("Refused", "Refusées"),
    "pending": ("Pending", "En cours"),
    "preserved": ("Preserved", "Conservées"),
    "share_disclosed": ("Share disclosed", "Part communiquée"),
    "median_ack": ("Median time to acknowledge", "Délai médian de prise en compte"),
    "median_comply": ("Median time to comply", "Délai médian de réponse"),
    "by_ground": ("Refusals by ground", "Refus par motif"),
    "total": ("All countries", "Tous pays"),
    "chain_read": ("Audit chain read", "Chaîne d'audit lue"),
    "reconciliation": (
        "Requests whose row and trail disagree",
        "Réquisitions dont la ligne et le journal divergent",
    ),
    "error": ("Something went wrong", "Une erreur est survenue"),
    "back": ("Back to the requests", "Retour aux réquisitions"),
    "not_found": ("No such request.", "Cette réquisition n'existe pas."),
    "forbidden": (
        "This page is for legal admins.",
        "Cette page est réservée aux administrateurs juridiques.",
    ),
    "csrf": (
        "The form was refused: it did not come from this console. Reload the page.",
        "Formulaire refusé : il ne vient pas de cette console. Rechargez la page.",
    ),
    # Outcomes, by the handlers' codes.
    "narrowed_done": ("Narrowed; the scope below is checked again.", "Restreinte et recontrôlée."),
    "prepared_done": (
        "Prepared; a second officer approves.",
        "Préparée ; un second officier approuve.",
    ),
    "approved_done": ("Approved.", "Approuvée."),
    "refused_done": ("Refused; the authority is told.", "Refusée ; l'autorité en est informée."),
    "extended_done": ("Extended by 30 days.", "Prolongée de 30 jours."),
    "lifted_done": ("Lifted.", "Levée."),
    "deactivated_done": ("Deactivated.", "Désactivée."),
    "same_person": (
        "Refused: you prepared this request; a second, different officer must approve it.",
        (
            "Refusé : vous avez préparé cette réquisition ; un second officier, différent, doit "
            "l'approuver."
        ),
    ),
    "not_prepared": (
        "Refused: the request must be prepared first.",
        "Refusé : la réquisition doit d'abord être préparée.",
    ),
    "not_an_officer": ("Refused: no legal role.", "Refusé : aucun rôle juridique."),
    "wrong_state": (
        "Refused: the request's state does not allow this step.",
        "Refusé : l'état de la réquisition ne permet pas cette étape.",
    ),
    "already_prepared": ("It is already prepared.", "Elle est déjà préparée."),
    "invalid_narrowing": (
        "A narrowing keeps less, never more, and needs a reason.",
        "Une restriction garde moins, jamais plus, et demande un motif.",
    ),
    "narrowed_scope_refused": (
        "The law refuses the narrowed scope.",
        "Le droit refuse le périmètre restreint.",
    ),
    "invalid_refusal_code": ("Choose a refusal code.", "Choisissez un motif de refus."),
    "invalid_explanation": (
        "Write an explanation (3 to 2,000 characters, no control characters).",
        "Écrivez une explication (3 à 2 000 caractères, sans caractère de contrôle).",
    ),
    "needs_confirmation": ("Tick the confirmation first.", "Cochez d'abord la confirmation."),
    "target_not_unique": (
        "The target names several accounts: ask the authority.",
        "La cible désigne plusieurs comptes : interrogez l'autorité.",
    ),
    "not_preserving": ("No running preservation order.", "Aucune conservation en cours."),
    "not_extendable": (
        "Only a European Preservation Order is extended so.",
        "Seule une injonction européenne de conservation se prolonge ainsi.",
    ),
    "already_extended": ("It was already extended once.", "Elle a déjà été prolongée."),
    "ended": ("The order has ended.", "La conservation a pris fin."),
    "authority_unknown": ("The authority is not registered.", "L'autorité n'est pas enregistrée."),
    "not_deactivated": ("It was not active.", "Elle n'était pas active."),
    # Enumerations.
    "state.received": ("awaiting its checks", "en contrôle"),
    "state.accepted": ("accepted", "acceptée"),
    "state.narrowed": ("narrowed", "restreinte"),
    "state.prepared": ("prepared, awaiting approval", "préparée, à approuver"),
    "state.approved": ("approved", "approuvée"),
    "state.refused": ("refused", "refusée"),
    "state.package_ready": ("package ready", "paquet prêt"),
    "state.no_data": ("no data", "aucune donnée"),
    "state.downloaded": ("downloaded", "téléchargée"),
    "state.link_expired": ("link expired", "lien expiré"),
    "state.preserving": ("preserving", "conservation en cours"),
    "state.preservation_ended": ("preservation ended", "conservation terminée"),
    "instrument.fr_cpp_60_1": ("Réquisition, CPP 60-1", "Réquisition, CPP 60-1"),
    "instrument.fr_cpp_60_2": ("Preservation, CPP 60-2", "Conservation, CPP 60-2"),
    "instrument.fr_cpp_77_1_1": ("Réquisition, CPP 77-1-1", "Réquisition, CPP 77-1-1"),
    "instrument.fr_cpp_99_3": ("Réquisition, CPP 99-3", "Réquisition, CPP 99-3"),
    "instrument.eu_epoc": ("European Production Order", "Injonction européenne de production"),
    "instrument.eu_epoc_pr": (
        "European Preservation Order",
        "Injonction européenne de conservation",
    ),
    "instrument.emergency_disclosure": (
        "Emergency disclosure request",
        "Demande de communication d'urgence",
    ),
    "category.subscriber": ("Subscriber data", "Données d'abonné"),
    "category.identification": ("Identification data (IP)", "Données d'identification (IP)"),
    "category.traffic": ("Other traffic data", "Autres données de trafic"),
    "ground.threat_to_life": ("threat to life", "menace pour la vie"),
    "ground.threat_to_physical_integrity": (
        "threat to physical integrity",
        "menace pour l'intégrité physique",
    ),
    "ground.threat_to_safety": ("threat to safety", "menace pour la sécurité"),
    "ground.critical_infrastructure": (
        "threat to a critical infrastructure",
        "menace pour une infrastructure critique",
    ),
    "check.authority": ("Registered, active authority", "Autorité enregistrée et active"),
    "check.jurisdiction": ("Jurisdiction", "Compétence"),
    "check.issuer": ("Issuer and authorisation", "Auteur et autorisation"),
    "check.categories": ("Categories for the offence", "Catégories selon l'infraction"),
    "check.emergency": ("Emergency", "Urgence"),
    "check.period": ("Period held by the platform", "Période détenue par la plateforme"),
    "code.document_invalid": (
        "The document does not support the request",
        "Le document ne fonde pas la réquisition",
    ),
    "code.authority_not_confirmed": (
        "The authority could not be confirmed (call-back)",
        "L'autorité n'a pu être confirmée (contre-appel)",
    ),
    "code.over_broad": ("Too broad to narrow", "Trop large pour être restreinte"),
    "code.not_an_emergency": ("Not an emergency", "Pas une urgence"),
    "code.category_not_allowed_for_offence": (
        "Categories not allowed for the offence",
        "Catégories non permises pour l'infraction",
    ),
    "code.authorisation_missing": ("Authorisation missing", "Autorisation manquante"),
    "code.wrong_jurisdiction": ("Wrong jurisdiction", "Incompétence"),
    "kind.police": ("police", "police"),
    "kind.gendarmerie": ("gendarmerie", "gendarmerie"),
    "kind.prosecutor": ("prosecutor", "parquet"),
    "kind.investigating_judge": ("investigating judge", "juge d'instruction"),
    "kind.court": ("court", "juridiction"),
    "role.legal_officer": ("legal officer", "officier juridique"),
    "role.legal_admin": ("legal admin", "administrateur juridique"),
    "ground_label.unverified_authority": ("unverified authority", "autorité non vérifiée"),
    "ground_label.no_legal_basis": ("no legal basis", "absence de base légale"),
    "ground_label.over_broad": ("over-broad", "trop large"),
    "ground_label.wrong_jurisdiction": ("wrong jurisdiction", "incompétence"),
}

#: Messages after a step that went well (shown calm); every other message is a refusal.
DONE = frozenset(k for k in WORDS if k.endswith("_done"))


def choose(accept_language: str | None, switch: str | None) -> str:
    """The page's language."""
    return shared_i18n.choose(accept_language, switch)


def translator(language: str) -> dict[str, str]:
    """Every word in ``language`` (English where French is missing)."""
    return shared_i18n.translator(WORDS, language)
