"""An issued depositary notification as a PDF/A-3b (issue 19): what a state without a node
is sent. The formal documents' pipeline (`formal_documents.pdf.render_pdf`: WeasyPrint,
system Noto fonts, nothing fetched) renders it, in English or French, with the notification
as it travels over the exchange embedded as `notification.json`. The same issued
notification always gives the same bytes (its dates are the issue's, never the clock's)."""

from __future__ import annotations

import json
from datetime import date, datetime
from html import escape

from babel.dates import format_date

from judicare.errors import InvalidInput
from judicare.formal_documents.pdf import render_pdf
from judicare.formal_documents.templates import PACKAGED
from judicare.states import state_name

LANGUAGES = ("en", "fr")
_WORDS = {
    "en": {
        "title": "Depositary notification",
        "instrument": "Instrument",
        "state": "State",
        "action": "Action",
        "date": "Date of the action",
        "issued": "Issued on",
        "entry": "Entry into force for the State",
        "deadline": "Last day to object (VCLT art. 20(5), twelve months)",
        "embedded": "The notification as data is embedded in this file as notification.json.",
    },
    "fr": {
        "title": "Notification dépositaire",
        "instrument": "Instrument",
        "state": "État",
        "action": "Acte",
        "date": "Date de l'acte",
        "issued": "Émise le",
        "entry": "Entrée en vigueur à l'égard de l'État",
        "deadline": "Dernier jour pour formuler une objection (CVDT art. 20, par. 5, douze mois)",
        "embedded": "La notification est jointe à ce fichier sous forme de données "
        "(notification.json).",
    },
}


def _day(value: str | None, lang: str) -> str:
    return format_date(date.fromisoformat(value), "long", locale=lang) if value else ""


def notification_html(wire: dict, lang: str) -> str:
    """The page: the references as a table, then the notification's text in `lang`."""
    if lang not in LANGUAGES:
        raise InvalidInput(f"lang {lang!r} is not offered for a notification: use en or fr")
    words = _WORDS[lang]
    issued = datetime.fromisoformat(wire["issued_at"]).date().isoformat()
    rows = [
        (words["instrument"], wire["instrument_title"]),
        (words["state"], f"{state_name(wire['state'], lang)} ({wire['state']})"),
        (words["action"], wire["action"]),
        (words["date"], _day(wire.get("action_date"), lang)),
        (words["issued"], _day(issued, lang)),
    ]
    if wire.get("entry_into_force"):
        rows.append((words["entry"], _day(wire["entry_into_force"], lang)))
    if wire.get("objection_deadline"):
        rows.append((words["deadline"], _day(wire["objection_deadline"], lang)))
    css = (PACKAGED / "templates" / "document.css").read_text(encoding="utf-8")
    table = "".join(
        f'<tr><th scope="row">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in rows if v
    )
    text = wire["text_en"] if lang == "en" else wire["text_fr"]
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(words['title'])} {escape(wire['reference'])}</title>"
        '<meta name="generator" content="Judicare">'
        f"<style>{css}</style></head><body>"
        f"<h1>{escape(words['title'])} {escape(wire['reference'])}</h1>"
        f'<table class="references">{table}</table>'
        f"<p>{escape(text)}</p>"
        f'<p class="embedded">{escape(words["embedded"])}</p></body></html>\n'
    )


def notification_pdf(wire: dict, lang: str) -> bytes:
    """`wire` is the notification as `desk_service.wire_notification` makes it."""
    html = notification_html(wire, lang)
    data = json.dumps(wire, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    return render_pdf(
        html, data, created=datetime.fromisoformat(wire["issued_at"]),
        description=f"Depositary notification {wire['reference']}", json_name="notification.json",
    )  # fmt: skip
