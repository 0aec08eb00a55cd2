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
    objection: tuple[str, date, bool] | tuple[str, date, bool, str] | None = None,
    withdrawal_effective: date | None = None,
) -> NotificationText:
    """`objection` is (reference of the reservation's notification, the objecting state's
    last day to object, late?, and what ended the period: "twelve_months" (the default) or
    "consent", the state's consent to be bound when later, VCLT art. 20(5))."""
    when, why = entry_into_force if entry_into_force else (None, "")
    base = notification_text(instrument, action, number, when, why)
    english, french = [base.english], [base.french]
    if action.kind is ActionKind.RESERVATION:
        english.append(
            "Under article 20(5) of the Vienna Convention on the Law of Treaties, a State that "
            "raises no objection within twelve months after the date of this notification, or "
            "by the date on which it expresses its consent to be bound, whichever is later, is "
            "considered to have accepted the reservation."
        )
        french.append(
            "Conformément à l'article 20, paragraphe 5, de la Convention de Vienne sur le droit "
            "des traités, un État qui n'a pas formulé d'objection dans les douze mois suivant "
            "la date de la présente notification, ou à la date à laquelle il exprime son "
            "consentement à être lié si celle-ci est postérieure, est réputé avoir accepté la "
            "réserve."
        )
    if objection is not None:
        en, fr = _objection_words(*objection)
        english.append(en)
        french.append(fr)
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


def _objection_words(
    reference: str, deadline: date, late: bool, end: str = "twelve_months"
) -> tuple[str, str]:
    vclt_en = "article 20(5) of the Vienna Convention on the Law of Treaties"
    vclt_fr = "article 20, paragraphe 5, de la Convention de Vienne sur le droit des traités"
    if end == "consent":
        when_en = "after" if late else "within"
        ends_en = "ended" if late else "ends"
        when_fr = "après l'expiration du" if late else "dans le"
        ends_fr = "qui a expiré" if late else "qui expire"
        return (
            f"The objection concerns the reservation notified in {reference}; it was received "
            f"{when_en} the period to object, which {ends_en} on {_en(deadline)}, the date on "
            "which the objecting State expressed its consent to be bound, later than the end "
            f"of the twelve months ({vclt_en}).",
            f"L'objection concerne la réserve notifiée par {reference} ; elle a été reçue "
            f"{when_fr} délai d'objection, {ends_fr} le {_fr(deadline)}, date à laquelle "
            "l'État auteur de l'objection a exprimé son consentement à être lié, postérieure "
            f"à l'expiration des douze mois ({vclt_fr}).",
        )
    if late:
        return (
            f"The objection concerns the reservation notified in {reference}; it was "
            f"received after the twelve-month period, which ended on {_en(deadline)} "
            f"({vclt_en}).",
            f"L'objection concerne la réserve notifiée par {reference} ; elle a été reçue "
            f"après l'expiration du délai de douze mois, le {_fr(deadline)} ({vclt_fr}).",
        )
    return (
        f"The objection concerns the reservation notified in {reference}; it was "
        f"received within the twelve-month period, which ends on {_en(deadline)} ({vclt_en}).",
        f"L'objection concerne la réserve notifiée par {reference} ; elle a été reçue "
        f"dans le délai de douze mois, qui expire le {_fr(deadline)} ({vclt_fr}).",
    )


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
