"""The timeline's words: one translatable template per kind of entry (`requests.timeline`),
filled with named values, never glued from English fragments."""

from __future__ import annotations

from judicare.web.i18n import Translator
from judicare.web.labels import label


def N_(message: str) -> str:
    return message


TEMPLATES = {
    "created": N_("%(actor)s registered the request."),
    "updated": N_("%(actor)s edited the request."),
    "legal_basis": N_("%(actor)s chose the legal basis %(to)s."),
    "assigned": N_("%(actor)s assigned the request to %(users)s."),
    "linked": N_("%(actor)s linked this request to request %(other)s (%(link_type)s)."),
    "status": N_("%(actor)s moved the request from “%(from)s” to “%(to)s”."),
    "screened": N_("%(actor)s screened the persons against the registers."),
    "sent": N_("%(actor)s sent the request to the other central authority."),
    "received": N_("The other central authority's node delivered a message: %(type)s."),
    "decision_proposed": N_("%(actor)s recorded a decision."),
    "decision_approved": N_("%(actor)s approved the decision."),
    "decision_rejected": N_("%(actor)s sent the decision back."),
    "draft_written": N_("%(actor)s wrote a draft decision."),
    "draft_proposed": N_("%(actor)s made the draft a proposed decision."),
    "draft_returned": N_("%(actor)s returned the draft to its author."),
    "document_added": N_("%(actor)s added a document."),
    "document_received": N_("A document arrived through the exchange."),
    "other": N_("%(actor)s: an event recorded as %(code)s."),
}
KINDS = {
    "change": N_("Changes"),
    "status": N_("Status"),
    "decision": N_("Decisions"),
    "document": N_("Documents"),
    "exchange": N_("Exchange"),
    "screening": N_("Screening"),
    "read": N_("Reads"),
    "other": N_("Other"),
}
FIELDS = {
    "urgency": N_("Urgency"),
    "confidentiality": N_("Confidentiality"),
    "facts_summary": N_("Facts"),
    "requested_execution_date": N_("Execution wished by"),
    "legal_basis_instrument": N_("Legal basis chosen"),
    "crimes": N_("Crimes"),
    "requesting_reference": N_("Reference of the requesting authority"),
    "request_date": N_("Date of the request"),
    "person_to_serve": N_("Name and address of the person to be served"),
}
LINK_TYPES = {
    "supplementary": N_("supplementary"),
    "related": N_("related"),
    "competing": N_("competing"),
}
NOT_SET = N_("(not set)")


def describe(t: Translator, entry: dict) -> str:
    """One entry in the user's language."""
    values = entry["values"]
    if entry["kind"] == "read":
        people = t.ngettext("%(num)s person", "%(num)s people", entry["people"])
        return t.ngettext(
            "Read once by %(people)s.", "Read %(count)s times by %(people)s.", entry["count"],
            count=entry["count"], people=people,
        )  # fmt: skip
    if entry["kind"] == "screening" and entry["count"] > 1:
        people = t.ngettext("%(num)s person", "%(num)s people", entry["people"])
        return t.gettext(
            "Screened against the registers %(count)s times by %(people)s.",
            count=entry["count"], people=people,
        )  # fmt: skip
    filled = {"actor": entry["actor"]}
    key = entry["key"]
    if key == "status":
        filled["from"] = t.gettext(label("status", values.get("from"))) or t.gettext(NOT_SET)
        filled["to"] = t.gettext(label("status", values.get("to")))
    elif key == "assigned":
        filled["users"] = ", ".join(str(u) for u in values.get("users") or [])
    elif key == "linked":
        filled["other"] = str(values.get("other"))
        filled["link_type"] = t.gettext(LINK_TYPES.get(values.get("link_type") or "", "related"))
    elif key == "received":
        filled["type"] = t.gettext(label("message_type", values.get("type")))
    elif key in ("legal_basis", "other"):
        filled.update({k: str(v) for k, v in values.items() if v is not None})
        filled.setdefault("to", "")
    return t.gettext(TEMPLATES.get(key, TEMPLATES["other"]), **filled)


def show_value(t: Translator, name: str, value) -> str:
    """An edited field's old or new value, as the officer reads it."""
    if value is None or value == "" or value == []:
        return t.gettext(NOT_SET)
    if name in ("urgency", "confidentiality"):
        return t.gettext(label(name, value))
    if name in ("requested_execution_date", "request_date"):
        return t.date(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 160 else text[:159] + "…"


def changes(t: Translator, entry: dict) -> list[dict]:
    """An edit's fields, old → new, in the user's language."""
    return [
        {
            "field": t.gettext(FIELDS.get(c["field"], c["field"])),
            "from": show_value(t, c["field"], c.get("from")),
            "to": show_value(t, c["field"], c.get("to")),
        }
        for c in entry["values"].get("changes") or []
    ]
