"""Depositary notifications: the text the depositary sends to states for each accepted
action, in English and French. Pure: values in, text out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_date

from judicare.states import state_name
from judicare.treaties.domain import Action, ActionKind, Instrument

_WHAT_EN = {
    ActionKind.FULL_POWERS: "presented full powers for the signature of",
    ActionKind.SIGNATURE: "signed",
    ActionKind.RATIFICATION: "deposited its instrument of ratification of",
    ActionKind.ACCEPTANCE: "deposited its instrument of acceptance of",
    ActionKind.APPROVAL: "deposited its instrument of approval of",
    ActionKind.ACCESSION: "deposited its instrument of accession to",
    ActionKind.SUCCESSION: "deposited a notification of succession to",
    ActionKind.RESERVATION: "made a reservation to",
    ActionKind.DECLARATION: "made a declaration in respect of",
    ActionKind.OBJECTION: "made an objection in respect of",
    ActionKind.WITHDRAWAL: "notified its withdrawal from",
    ActionKind.CENTRAL_AUTHORITY: "designated its central authority under",
    ActionKind.ANNEX_ACCEPTANCE: "accepted an annex to",
}
_WHAT_FR = {
    ActionKind.FULL_POWERS: "a présenté les pleins pouvoirs pour la signature de l'instrument",
    ActionKind.SIGNATURE: "a signé l'instrument",
    ActionKind.RATIFICATION: "a déposé son instrument de ratification de l'instrument",
    ActionKind.ACCEPTANCE: "a déposé son instrument d'acceptation de l'instrument",
    ActionKind.APPROVAL: "a déposé son instrument d'approbation de l'instrument",
    ActionKind.ACCESSION: "a déposé son instrument d'adhésion à l'instrument",
    ActionKind.SUCCESSION: "a déposé une notification de succession à l'instrument",
    ActionKind.RESERVATION: "a formulé une réserve à l'instrument",
    ActionKind.DECLARATION: "a fait une déclaration relative à l'instrument",
    ActionKind.OBJECTION: "a formulé une objection relative à l'instrument",
    ActionKind.WITHDRAWAL: "a notifié son retrait de l'instrument",
    ActionKind.CENTRAL_AUTHORITY: "a désigné son autorité centrale au titre de l'instrument",
    ActionKind.ANNEX_ACCEPTANCE: "a accepté une annexe de l'instrument",
}


@dataclass(frozen=True, slots=True)
class NotificationText:
    english: str
    french: str


def notification_text(
    instrument: Instrument,
    action: Action,
    number: int,
    entry_into_force_for_state: date | None = None,
    entry_into_force_explanation: str = "",
) -> NotificationText:
    """The notification for one accepted action. The title stays in English in the French
    text because the catalogue holds no sourced French title."""
    assert action.date is not None
    reference = f"{instrument.id.upper()}/{number}"
    name_en = state_name(action.state, "en")
    name_fr = state_name(action.state, "fr")
    english = (
        f"Depositary notification {reference}. {instrument.title}. "
        f"On {format_date(action.date, 'long', locale='en')}, {name_en} "
        f"{_WHAT_EN[action.kind]} the {instrument.short_title}."
    )
    french = (
        f"Notification dépositaire {reference}. « {instrument.title} ». "
        f"Le {format_date(action.date, 'long', locale='fr')}, l'État suivant : {name_fr}, "
        f"{_WHAT_FR[action.kind]} « {instrument.short_title} »."
    )
    if action.notes.strip():
        english += f" Text or subject: {action.notes.strip()}"
        french += f" Texte ou objet : {action.notes.strip()}"
    if entry_into_force_for_state is not None:
        english += (
            f" The instrument enters into force for {name_en} on "
            f"{format_date(entry_into_force_for_state, 'long', locale='en')}"
            f" ({entry_into_force_explanation})."
        )
        french += (
            f" L'instrument entre en vigueur à l'égard de cet État le "
            f"{format_date(entry_into_force_for_state, 'long', locale='fr')}"
            f" ({entry_into_force_explanation})."
        )
    return NotificationText(english=english, french=french)
