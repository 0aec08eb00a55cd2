"""The depositary notification of an instrument received at the desk: the register's text
(`notifications.notification_text`) plus what the desk knows: the objection period of a
reservation, whether an objection came in time, when a withdrawal takes effect. Pure."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date

from judicare.treaties.domain import Action, ActionKind, Instrument
from judicare.treaties.notifications import NotificationText, notification_text


def _en(day: date) -> str:
    return format_date(day, "long", locale="en")


def _fr(day: date) -> str:
    return format_date(day, "long", locale="fr")


def desk_notification_text(
    instrument: Instrument,
    action: Action,
    number: int,
    *,
    entry_into_force: tuple[date, str] | None = None,
    objection: tuple[str, date, bool] | None = None,
    withdrawal_effective: date | None = None,
) -> NotificationText:
    """`objection` is (reference of the reservation's notification, last day to object,
    late?)."""
    when, why = entry_into_force if entry_into_force else (None, "")
    base = notification_text(instrument, action, number, when, why)
    english, french = [base.english], [base.french]
    if action.kind is ActionKind.RESERVATION:
        english.append(
            "Under article 20(5) of the Vienna Convention on the Law of Treaties, a State that "
            "raises no objection within twelve months after the date of this notification is "
            "considered to have accepted the reservation."
        )
        french.append(
            "Conformément à l'article 20, paragraphe 5, de la Convention de Vienne sur le droit "
            "des traités, un État qui n'a pas formulé d'objection dans les douze mois suivant "
            "la date de la présente notification est réputé avoir accepté la réserve."
        )
    if objection is not None:
        reference, deadline, late = objection
        if late:
            english.append(
                f"The objection concerns the reservation notified in {reference}; it was "
                f"received after the twelve-month period, which ended on {_en(deadline)} "
                "(article 20(5) of the Vienna Convention on the Law of Treaties)."
            )
            french.append(
                f"L'objection concerne la réserve notifiée par {reference} ; elle a été reçue "
                f"après l'expiration du délai de douze mois, le {_fr(deadline)} (article 20, "
                "paragraphe 5, de la Convention de Vienne sur le droit des traités)."
            )
        else:
            english.append(
                f"The objection concerns the reservation notified in {reference}; it was "
                f"received within the twelve-month period, which ends on {_en(deadline)} "
                "(article 20(5) of the Vienna Convention on the Law of Treaties)."
            )
            french.append(
                f"L'objection concerne la réserve notifiée par {reference} ; elle a été reçue "
                f"dans le délai de douze mois, qui expire le {_fr(deadline)} (article 20, "
                "paragraphe 5, de la Convention de Vienne sur le droit des traités)."
            )
    if action.kind is ActionKind.WITHDRAWAL:
        if withdrawal_effective is not None:
            english.append(f"The withdrawal takes effect on {_en(withdrawal_effective)}.")
            french.append(f"Le retrait prend effet le {_fr(withdrawal_effective)}.")
        else:
            english.append(
                "The date on which the withdrawal takes effect is not stated: the instrument's "
                "withdrawal clause has not been verified."
            )
            french.append(
                "La date de prise d'effet du retrait n'est pas indiquée : la clause de retrait "
                "de l'instrument n'a pas été vérifiée."
            )
    return NotificationText(english=" ".join(english), french=" ".join(french))


def notification_document(
    reference: str, title: str, issued_on: date, text: NotificationText
) -> bytes:
    """The notification as a self-contained HTML document (English and French), sent to a
    state that has no node to receive it over the exchange."""
    from html import escape

    page = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(reference)}</title></head><body>"
        f"<h1>{escape(reference)}</h1><p>{escape(title)}</p>"
        f"<p>Issued on {escape(_en(issued_on))}.</p>"
        f"<p>{escape(text.english)}</p>"
        f'<div lang="fr"><p>Émise le {escape(_fr(issued_on))}.</p>'
        f"<p>{escape(text.french)}</p></div></body></html>\n"
    )
    return page.encode("utf-8")
