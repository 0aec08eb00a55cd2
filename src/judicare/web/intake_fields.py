"""The intake form's fields by name: the label the officer reads (so the error summary can
say which field each problem is in) and the length limit the schema enforces (stated next
to the field and in the problem). The limits are read from the create schema: one source."""

from __future__ import annotations

from functools import cache
from typing import get_origin

from annotated_types import MaxLen
from pydantic import BaseModel

from judicare.requests.schemas import ExtraditionIn, PersonIn, RequestCreate
from judicare.web.i18n import Translator
from judicare.web.labels import N_

FIELD_LABELS = {
    "direction": N_("Direction"),
    "kind": N_("Kind of cooperation"),
    "requesting_state": N_("Requesting state"),
    "requested_state": N_("Requested state"),
    "requesting_authority": N_("Requesting authority"),
    "requesting_central_authority": N_("Central authority of the requesting state"),
    "requested_central_authority": N_("Central authority of the requested state"),
    "case_reference": N_("National case reference"),
    "requesting_reference": N_("Reference of the requesting authority"),
    "received_on": N_("Received on"),
    "request_date": N_("Date of the request"),
    "urgency": N_("Urgency"),
    "confidentiality": N_("Confidentiality"),
    "legal_basis_instrument": N_("Legal basis chosen"),
    "crimes": N_("Crimes"),
    "facts_summary": N_("Summary of the facts"),
    "subject_and_nature": N_("Subject and nature of the proceedings"),
    "legal_provisions": N_("Legal qualification and penalties"),
    "measures": N_("Measures"),
    "purpose": N_("Purpose of the evidence or information sought"),
    "procedure_wished": N_("Procedure wished"),
    "person_to_serve": N_("Name and address of the person to be served"),
    "requested_execution_date": N_("Execution wished by"),
    "persons": N_("Persons concerned"),
    "documents": N_("Documents to register with the request"),
    "warrant_kind": N_("Warrant or judgment"),
    "warrant_issued_by": N_("Issued by"),
    "warrant_issued_on": N_("Issued on"),
    "warrant_reference": N_("Reference of the warrant or judgment"),
    "offence_time": N_("When the offences were committed"),
    "offence_place": N_("Where the offences were committed"),
    "enactments": N_("Text of the relevant enactments, or a statement of the law"),
    "person_description": N_("Description of the person sought"),
    "whereabouts": N_("Where the person is believed to be"),
    "provisional_arrest": N_("Provisional arrest is asked for"),
    "urgency_reason": N_("Why the matter is urgent"),
    "warrant_exists": N_("An arrest warrant or enforceable judgment exists"),
    "extradition_will_follow": N_("A request for extradition will follow"),
    "issuing_authority_address": N_("Address of the issuing judicial authority"),
    "issuing_authority_phone": N_("Telephone number"),
    "issuing_authority_fax": N_("Fax number"),
    "issuing_authority_email": N_("E-mail address"),
    "participation": N_("Degree of participation of the person sought"),
    "penalty": N_("Penalty imposed, or scale of penalties"),
    "other_consequences": N_("Other consequences of the offence"),
}
PERSON_LABELS = {
    "role": N_("Role"),
    "name": N_("Name in the original script"),
    "romanisations": N_("Romanisations given"),
    "birth_date": N_("Birth date"),
    "nationality": N_("Nationality"),
    "protected_status": N_("Protected status"),
}
# On the outgoing wizard the request's own date is asked as "Date of the request".
OUTGOING_LABELS = {"received_on": N_("Date of the request")}


def _max_lengths(model: type[BaseModel]) -> dict[str, int]:
    found = {}
    for name, info in model.model_fields.items():
        for rule in info.metadata:
            if isinstance(rule, MaxLen) and get_origin(info.annotation) is not list:
                found[name] = rule.max_length
    return found


@cache
def limits() -> dict[str, int]:
    """Field name -> the most characters the schema accepts (text fields only)."""
    texts = {**_max_lengths(RequestCreate), **_max_lengths(ExtraditionIn)}
    for name in ("crimes", "measures", "persons", "extradition"):
        texts.pop(name, None)
    person = _max_lengths(PersonIn)
    texts.update({f"person-{k}": v for k, v in person.items() if k not in ("names",)})
    texts["person-name"] = 300  # NameIn.name
    return texts


def limit_of(name: str) -> int | None:
    if name.startswith("person-"):
        return limits().get("person-" + name.split("-", 2)[-1])
    return limits().get(name)


def field_label(t: Translator, name: str, outgoing: bool = False) -> str:
    """The label of the field named `name`, as the form shows it, in the officer's language."""
    if name.startswith("person-"):
        _, index, part = name.split("-", 2)
        if not index.isdigit() or part not in PERSON_LABELS:
            persons = FIELD_LABELS["persons"]
            return t.gettext(persons)
        return t.gettext(
            "Person %(n)s, %(field)s",
            n=int(index) + 1,
            field=t.gettext(PERSON_LABELS[part]),
        )
    if outgoing and name in OUTGOING_LABELS:
        return t.gettext(OUTGOING_LABELS[name])
    return t.gettext(FIELD_LABELS.get(name, N_("This form")))


def summary(t: Translator, errors: dict[str, str], outgoing: bool = False) -> list[dict[str, str]]:
    """The error summary: each problem with the field it is in, as one sentence."""
    return [
        {
            "field": name,
            "text": t.gettext(
                "%(field)s: %(problem)s",
                field=field_label(t, name, outgoing),
                problem=problem,
            ),
        }
        for name, problem in errors.items()
    ]
