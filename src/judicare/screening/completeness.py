"""What a request must contain under the instrument that governs it, per kind of request,
and the consultation some instruments require before a refusal. Pure; the clauses are held
in `grounds.yaml` (`required_contents`), each item with the paragraph it comes from.

An MLA request is checked against ECMA art. 14; an extradition request against the European
arrest warrant's contents (FD 2002/584/JHA art. 8(1)) between Member States applying it, else
ECE art. 12; a request for provisional arrest against ECE art. 16; an extradition request that
also asks for provisional arrest against both."""

from __future__ import annotations

from typing import Any

from judicare.screening.domain import RequestFacts
from judicare.screening.grounds import citation, grounds_data

ITEM_TEXT = {
    "requesting_authority": "the authority making the request",
    "subject_and_nature": "the subject and nature of the investigation, prosecution or proceedings",
    "facts_summary": "a summary of the relevant facts",
    "legal_qualification": "the legal qualification of the offences and the penalties",
    "measures": "a description of the assistance sought",
    "persons_identification": "the identity, nationality and location of each person concerned",
    "purpose": "the purpose for which the evidence or information is sought",
    "time_limits": "the time limits within which execution is desired",
    "procedure_wished": "any particular procedure the requesting state wishes followed",
    "person_to_serve": "the name and address of the person to be served",
    "warrant_or_judgment": "the arrest warrant or the enforceable judgment "
    "(original or certified copy)",
    "offence_time_place": "the time and place the offences were committed",
    "legal_provisions_cited": "a reference to the relevant legal provisions",
    "enactments": "a copy of the relevant enactments or a statement of the relevant law",
    "person_description": "as accurate a description as possible of the person sought",
    "urgency_stated": "why the matter is urgent",
    "warrant_exists": "a statement that an arrest warrant or enforceable judgment exists",
    "extradition_will_follow": "a statement that a request for extradition will be sent",
    "issuing_authority_contact": "the address, telephone number and e-mail address of the "
    "issuing judicial authority",
    "participation": "the degree of participation of the person sought in the offence",
    "penalty": "the penalty imposed, or the scale of penalties prescribed for the offence",
}

PROVISIONAL_ARREST_ASKED = "provisional_arrest_requested"  # a fact, not a content item


def consultation_required(instruments: frozenset[str]) -> list[dict[str, Any]]:
    return [
        citation({**c, "article": None}).as_dict()
        for c in grounds_data()["consultation_before_refusal"]
        if c["instrument"] in instruments
    ]


def _rules() -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in grounds_data()["required_contents"]}


def governing_rule(kind: str, instruments: frozenset[str]) -> dict[str, Any]:
    """The first rule for `kind` whose instrument governs the request, else the kind's
    default (a rule with no instrument), else the general default."""
    rules: list[dict[str, Any]] = grounds_data()["required_contents"]
    for rule in rules:
        if kind in rule["kinds"] and rule["instrument"] in instruments:
            return rule
    for rule in rules:
        if kind in rule["kinds"] and rule["instrument"] is None:
            return rule
    return _rules()["default"]


def _items(rule: dict[str, Any]) -> list[dict[str, Any]]:
    return [i if isinstance(i, dict) else {"item": i, "article": None} for i in rule["items"]]


def _parts(facts: RequestFacts) -> list[dict[str, Any]]:
    rule = governing_rule(facts.kind, facts.instruments)
    parts = [rule]
    if facts.kind == "extradition" and facts.fields.get(PROVISIONAL_ARREST_ASKED):
        extra = grounds_data()["with_provisional_arrest"]
        added = extra.get(rule["instrument"] or "", extra["default"])
        if added:
            parts.append(_rules()[added])
    return parts


def completeness(facts: RequestFacts) -> dict[str, Any]:
    parts = _parts(facts)
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for part in parts:
        for entry in _items(part):
            if entry["item"] not in seen:
                seen.add(entry["item"])
                items.append({**entry, "instrument": part["instrument"]})
    missing = [i["item"] for i in items if not facts.fields.get(i["item"])]
    rule = parts[0]
    chosen = rule["instrument"] or rule["id"]
    where = f"{chosen} art. {rule['article']}" if rule.get("article") else rule.get("note", chosen)
    draft = None
    if missing:
        wanted = "\n".join(f"- {ITEM_TEXT[i]}" for i in missing)
        draft = (
            "Request for further information\n\n"
            f"To examine your request, the following is needed ({where}"
            f"{'' if rule.get('verified') else '; citation unverified'}):\n{wanted}\n"
        )
    return {
        "instrument": rule["instrument"],
        "article": rule.get("article"),
        "verified": all(bool(p.get("verified")) for p in parts),
        "rule": rule["id"],
        "also": [
            {"instrument": p["instrument"], "article": p.get("article"), "rule": p["id"]}
            for p in parts[1:]
        ],
        "items": items,
        "missing": missing,
        "draft_request_for_information": draft,
    }
