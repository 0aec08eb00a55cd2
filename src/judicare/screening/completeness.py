"""What a request must contain under the instrument that governs it, and the consultation
some instruments require before a refusal. Pure; the clauses are held in `grounds.yaml`."""

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
    "warrant_or_judgment": "the arrest warrant or the enforceable judgment "
    "(original or certified copy)",
}


def consultation_required(instruments: frozenset[str]) -> list[dict[str, Any]]:
    return [
        citation({**c, "article": None}).as_dict()
        for c in grounds_data()["consultation_before_refusal"]
        if c["instrument"] in instruments
    ]


def completeness(facts: RequestFacts) -> dict[str, Any]:
    contents = grounds_data()["required_contents"]
    chosen = next(
        (
            i
            for i in ("coe-extradition-1957", "coe-mla-1959", "lhc-2023")
            if i in facts.instruments and i in contents
        ),
        "default",
    )
    rule = contents[chosen]
    missing = [item for item in rule["items"] if not facts.fields.get(item)]
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
        "instrument": None if chosen == "default" else chosen,
        "article": rule.get("article"),
        "verified": bool(rule.get("verified")),
        "missing": missing,
        "draft_request_for_information": draft,
    }
