"""The screening rules: one function per ground, a general rule plus named exceptions, each
citing the provisions held in `grounds.yaml`. Pure: facts in, findings out. A finding says
that a ground could bear on the request and why; it never decides."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources

import yaml

from judicare.screening.domain import Finding, RequestFacts

EXTRADITION_KINDS = frozenset({"extradition", "provisional_arrest"})
SOUGHT_ROLES = frozenset({"person_sought", "accused", "suspect"})


@cache
def grounds_data() -> dict:
    text = (resources.files("judicare.screening") / "grounds.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _source(key: str | None) -> str | None:
    return grounds_data()["sources"].get(key) if key else None


def citation(item: dict) -> dict:
    return {
        "instrument": item["instrument"],
        "article": item.get("article"),
        "verified": bool(item.get("verified")),
        "source_url": _source(item.get("source")),
        "note": item.get("note", ""),
    }


def _provisions(ground: str, facts: RequestFacts) -> list[dict]:
    """The ground's provisions in the instruments that govern this request, for its kind."""
    found = []
    for item in grounds_data()["grounds"][ground]["provisions"]:
        if item["instrument"] not in facts.instruments or facts.kind not in item["kinds"]:
            continue
        if item.get("crimes") and not set(item["crimes"]) & set(facts.crimes):
            continue
        if item.get("measures") and not set(item["measures"]) & set(facts.measures):
            continue
        found.append(item)
    return found


def _exceptions(ground: str, facts: RequestFacts) -> list[dict]:
    return [
        item
        for item in grounds_data()["grounds"][ground].get("exceptions", [])
        if item["instrument"] in facts.instruments
        and facts.kind in item["kinds"]
        and set(item["crimes"]) & set(facts.crimes)
    ]


def _unverified(citations) -> str:
    if any(not c["verified"] for c in citations):
        return " At least one citation is unverified (not read in the instrument's text)."
    return ""


def _category(provisions: list[dict]) -> str:
    if any(p["character"] == "mandatory" for p in provisions):
        return "mandatory_refusal"
    return "optional_refusal"


def _persecution_indicators(facts: RequestFacts) -> list[dict]:
    """Persons protected against the requesting state: declared in the request, or found
    in a register (a match not rejected by a person)."""
    statuses = set(grounds_data()["grounds"]["protected_status"]["protected_statuses"])
    found = []
    for person in facts.persons:
        if person.protected_status in statuses:
            found.append(
                {"person": person.names[0], "source": "request", "status": person.protected_status}
            )
        for match in person.matches:
            rejected = (match.get("adjudication") or {}).get("decision") == "rejected"
            if match.get("status") in statuses and not rejected:
                found.append(
                    {
                        "person": person.names[0],
                        "source": f"{match['register']}/{match['id']}",
                        "status": match["status"],
                        "feared": match.get("country_of_feared_persecution"),
                        "against_requesting_state": match.get("country_of_feared_persecution")
                        == facts.requesting,
                    }
                )
    return found


# --- the grounds -------------------------------------------------------------------------


def political_offence(facts: RequestFacts) -> list[Finding]:
    provisions = _provisions("political_offence", facts)
    if not provisions:
        return []
    exceptions = _exceptions("political_offence", facts)
    excluded = {c for e in exceptions for c in e["crimes"]} & set(facts.crimes)
    cites = [citation(p) for p in provisions] + [citation(e) for e in exceptions]
    if facts.crimes and excluded == set(facts.crimes):
        return [
            Finding(
                "political_offence",
                "attention",
                "low",
                tuple(cites),
                "The political-offence ground exists, but an exception removes the crimes "
                "concerned "
                f"from it: {'; '.join(e['text'] for e in exceptions)}." + _unverified(cites),
                {"crimes": list(facts.crimes), "exceptions": [e["name"] for e in exceptions]},
                "Record that the exception applies.",
            )
        ]
    high = bool(_persecution_indicators(facts)) or not facts.crimes
    return [
        Finding(
            "political_offence",
            _category(provisions),
            "high" if high else "medium",
            tuple(cites),
            "The requested state may or must refuse where it considers the offence political or "
            "connected with a political offence"
            + (f"; the exceptions cover only {', '.join(sorted(excluded))}" if excluded else "")
            + (
                ". The request names no international crime, so the question is open"
                if not facts.crimes
                else ""
            )
            + "."
            + _unverified(cites),
            {
                "crimes": list(facts.crimes),
                "exceptions": [e["name"] for e in exceptions],
                "protected_persons": _persecution_indicators(facts),
            },
            "Decide whether the offence is political; consult the requesting state if "
            "it is unclear.",
        )
    ]


def persecution(facts: RequestFacts) -> list[Finding]:
    provisions = _provisions("persecution", facts)
    indicators = _persecution_indicators(facts)
    if not provisions and not indicators:
        return []
    cites = [citation(p) for p in provisions]
    against = [
        i for i in indicators if i.get("against_requesting_state") or i["source"] == "request"
    ]
    severity = "high" if against else ("medium" if indicators else "low")
    return [
        Finding(
            "persecution",
            _category(provisions) if provisions else "attention",
            severity,
            tuple(cites),
            "Refusal is required where there are serious grounds to believe the request is "
            "made to prosecute or punish a person on account of race, religion, nationality, "
            "ethnic origin, "
            "political opinion, sex or similar"
            + (
                f"; {len(against)} person(s) concerned are protected against the requesting state"
                if against
                else ""
            )
            + "."
            + _unverified(cites),
            {"indicators": indicators},
            "Examine the purpose of the request; ask the requesting state for information "
            "if needed.",
        )
    ]


def protected_status(facts: RequestFacts) -> list[Finding]:
    data = grounds_data()["grounds"]["protected_status"]
    statuses = set(data["protected_statuses"])
    cites = tuple(citation(p) for p in data["provisions"])
    findings = []
    for person in facts.persons:
        for match in person.matches:
            if match.get("status") not in statuses:
                continue
            decision = (match.get("adjudication") or {}).get("decision")
            feared = match.get("country_of_feared_persecution")
            against = feared == facts.requesting
            severity = "low" if decision == "rejected" else ("high" if against else "medium")
            refusal = facts.kind in EXTRADITION_KINDS and against
            findings.append(
                Finding(
                    "protected_status",
                    "mandatory_refusal" if refusal else "attention",
                    severity,
                    cites,
                    f"{person.names[0]} matches {match['register']}/{match['id']} "
                    f"({match['status']}"
                    + (f", fearing persecution by {feared}" if feared else "")
                    + ")"
                    + (
                        ": the requesting state is the country of feared persecution"
                        if against
                        else ""
                    )
                    + (f"; a person has {decision} this match" if decision else "")
                    + ". Non-refoulement (Refugee Convention art. 33) bars returning a refugee to "
                    "the "
                    "persecutor, and no act of assistance may expose the person to it.",
                    {
                        "person": list(person.names),
                        "match": {
                            k: match.get(k)
                            for k in (
                                "register",
                                "id",
                                "score",
                                "status",
                                "country_of_feared_persecution",
                                "explanation",
                                "adjudication",
                            )
                        },
                    },
                    "Confirm or reject the match; if confirmed, consult the asylum authority and "
                    "examine the request with the utmost caution.",
                )
            )
        if person.protected_status in statuses and not person.matches:
            findings.append(
                Finding(
                    "protected_status",
                    "attention",
                    "medium",
                    cites,
                    f"The request itself says {person.names[0]} has the status "
                    f"{person.protected_status}.",
                    {"person": list(person.names)},
                    "Check the status with the asylum authority.",
                )
            )
    return findings


def death_penalty(facts: RequestFacts) -> list[Finding]:
    data = grounds_data()["grounds"]["death_penalty"]
    sources = facts.death_penalty
    if not sources:
        return [
            Finding(
                "death_penalty",
                "information_missing",
                "medium",
                (),
                f"No death-penalty status for {facts.requesting} in the data.",
                {},
                "Establish the requesting state's law on the death penalty.",
            )
        ]
    statuses = {name: row["status"] for name, row in sources.items()}
    safe = set(data["safe_statuses"])
    disagree = len(set(statuses.values())) > 1
    if all(s in safe for s in statuses.values()) and not disagree:
        return []
    provisions = _provisions("death_penalty", facts)
    cites = [citation(p) for p in provisions]
    retentionist = "retentionist" in statuses.values()
    return [
        Finding(
            "death_penalty",
            "assurance_required",
            "high" if retentionist else "medium",
            tuple(cites),
            f"The requesting state's status: {', '.join(f'{k}: {v}' for k, v in statuses.items())}"
            + ("; the sources disagree" if disagree else "")
            + ". Assurances that the death penalty will not be imposed or carried out are needed."
            + (
                ""
                if cites
                else " No provision of the governing instruments in the data covers it;"
                " the requested state's own law and abolition protocols apply."
            )
            + _unverified(cites),
            {
                "sources": sources,
                "disagreement": disagree,
                "abolition_protocols": {
                    k: v
                    for k, v in facts.context.items()
                    if k in ("iccpr-op2-1989", "echr-p6", "echr-p13", "achr-dp-1990")
                },
            },
            "Ask for assurances before any decision.",
        )
    ]


def torture(facts: RequestFacts) -> list[Finding]:
    provisions = _provisions("torture", facts)
    if facts.kind not in EXTRADITION_KINDS:
        return []
    cites = [citation(p) for p in grounds_data()["grounds"]["torture"]["provisions"]]
    bound = facts.context.get("cat-1984", {}).get("requested")
    severity = "high" if _persecution_indicators(facts) else "medium"
    return [
        Finding(
            "torture",
            "mandatory_refusal",
            severity,
            tuple(cites),
            "No extradition where there are substantial grounds to believe the person would be in "
            f"danger of torture (CAT art. 3; the requested state's status under CAT: {bound})."
            + (
                ""
                if provisions
                else " CAT is not a basis of this request, but art. 3 binds its parties."
            ),
            {"requested_state_cat_status": bound},
            "Assess the risk in the requesting state; ask for assurances or refuse.",
        )
    ]


def ne_bis_in_idem(facts: RequestFacts) -> list[Finding]:
    data = grounds_data()["grounds"]["ne_bis_in_idem"]
    judged = set(data["judgment_statuses"])
    provisions = _provisions("ne_bis_in_idem", facts)
    cites = tuple(citation(p) for p in provisions)
    findings = []
    for person in facts.persons:
        for match in person.matches:
            if match.get("status") in judged:
                findings.append(
                    Finding(
                        "ne_bis_in_idem",
                        "mandatory_refusal" if provisions else "attention",
                        "high",
                        cites,
                        f"{person.names[0]} matches {match['register']}/{match['id']} with status "
                        f"{match['status']}: a final judgment for the same acts may bar the "
                        "request."
                        + (
                            ""
                            if cites
                            else " The governing instrument's provision is not in the data."
                        ),
                        {"person": list(person.names), "match": match},
                        "Compare the acts of the earlier judgment with those of the request.",
                    )
                )
    return findings


def nationality(facts: RequestFacts) -> list[Finding]:
    if facts.kind not in EXTRADITION_KINDS:
        return []
    provisions = _provisions("nationality", facts)
    cites = tuple(citation(p) for p in provisions)
    findings = []
    for person in facts.persons:
        if person.role in SOUGHT_ROLES and person.nationality == facts.requested:
            findings.append(
                Finding(
                    "nationality",
                    "optional_refusal",
                    "medium",
                    cites,
                    f"{person.names[0]} is a national of the requested state. If extradition is "
                    "refused "
                    "on that ground, the case must be submitted to the competent authorities for "
                    "prosecution (aut dedere aut judicare).",
                    {"person": list(person.names), "nationality": person.nationality},
                    "Decide on extradition; if refused on nationality, submit the case for "
                    "prosecution.",
                    follow_up={
                        "kind": "submit_for_prosecution",
                        "description": "Submit the case to the competent authorities for "
                        "prosecution",
                        "citations": list(cites),
                    },
                )
            )
    return findings


def statute_of_limitations(facts: RequestFacts) -> list[Finding]:
    provisions = _provisions("statute_of_limitations", facts)
    exceptions = _exceptions("statute_of_limitations", facts)
    if not provisions and not exceptions:
        return []
    cites = tuple(citation(p) for p in provisions + exceptions)
    if exceptions and set(facts.crimes) <= {c for e in exceptions for c in e["crimes"]}:
        return [
            Finding(
                "statute_of_limitations",
                "attention",
                "low",
                cites,
                "Lapse of time is not a ground for the crimes concerned: "
                + "; ".join(e["text"] for e in exceptions)
                + "."
                + _unverified(cites),
                {"crimes": list(facts.crimes)},
                "Record that the exception applies.",
            )
        ]
    return [
        Finding(
            "statute_of_limitations",
            _category(provisions),
            "medium",
            cites,
            "Extradition is barred where prosecution or punishment has become statute-"
            "barred under the law of either state." + _unverified(cites),
            {"crimes": list(facts.crimes)},
            "Check limitation under both states' law for each offence.",
        )
    ]


def immunity_and_essential_interests(facts: RequestFacts) -> list[Finding]:
    provisions = _provisions("immunity_and_essential_interests", facts)
    exceptions = _exceptions("immunity_and_essential_interests", facts)
    cites = tuple(citation(p) for p in provisions + exceptions)
    return [
        Finding(
            "immunity_and_essential_interests",
            "attention",
            "low",
            cites,
            "For a person to judge: whether a person concerned enjoys immunity, and whether "
            "execution would harm the requested state's sovereignty, security, public order or "
            "other essential interests."
            + (" " + "; ".join(e["text"] for e in exceptions) + "." if exceptions else "")
            + _unverified(cites),
            {},
            "Check for immunities and essential interests.",
        )
    ]


def dual_criminality(facts: RequestFacts) -> list[Finding]:
    provisions = _provisions("dual_criminality", facts)
    if not provisions:
        return []
    cites = tuple(citation(p) for p in provisions)
    reservations = facts.texts.get("coe-mla-1959", [])
    return [
        Finding(
            "dual_criminality",
            _category(provisions),
            "low",
            cites,
            "The instrument requires (or lets the requested state require) that the acts be "
            "punishable in both states: " + "; ".join(p.get("note", "") for p in provisions) + ".",
            {"requested_state_reservations": reservations},
            "Check that the acts are punishable in the requested state.",
        )
    ]


RULES: dict[str, Callable[[RequestFacts], list[Finding]]] = {
    "political_offence": political_offence,
    "persecution": persecution,
    "protected_status": protected_status,
    "death_penalty": death_penalty,
    "torture": torture,
    "ne_bis_in_idem": ne_bis_in_idem,
    "nationality": nationality,
    "statute_of_limitations": statute_of_limitations,
    "immunity_and_essential_interests": immunity_and_essential_interests,
    "dual_criminality": dual_criminality,
}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def screen(facts: RequestFacts) -> list[Finding]:
    findings = [f for rule in RULES.values() for f in rule(facts)]
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.ground))


def consultation_required(instruments: frozenset[str]) -> list[dict]:
    return [
        citation({**c, "article": None})
        for c in grounds_data()["consultation_before_refusal"]
        if c["instrument"] in instruments
    ]


def completeness(facts: RequestFacts) -> dict:
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
