"""The screening rules: one function per ground, each citing the provisions held in
`grounds.yaml`. Grounds that need nothing but the data (`rule: generic`) go through
`grounds.evaluate`; the grounds about persons are in `safeguards`. Pure: facts in,
findings out. A finding says that a ground could bear on the request and why; it never
decides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from judicare.legal_basis.domain import Citation
from judicare.screening.completeness import ITEM_TEXT, completeness, consultation_required
from judicare.screening.domain import Finding, RequestFacts
from judicare.screening.grounds import (
    SEVERITY_RANK,
    category,
    citation,
    evaluate,
    grounds_data,
    unverified,
)
from judicare.screening.safeguards import (
    EXTRADITION_KINDS,
    SOUGHT_ROLES,
    death_penalty,
    held_items,
    ne_bis_in_idem,
    persecution,
    persecution_indicators,
    protected_status,
    torture,
)

__all__ = ["ITEM_TEXT", "RULES", "completeness", "consultation_required", "screen"]

# --- grounds held as data, with what the persons add ------------------------------------


def political_offence(facts: RequestFacts) -> list[Finding]:
    found = evaluate("political_offence", facts)
    if not found or found[0].evidence.get("excepted"):
        return found
    finding = found[0]
    indicators = persecution_indicators(facts)
    open_question = (
        " The request names no international crime, so the question is open."
        if not facts.crimes
        else ""
    )
    return [
        replace(
            finding,
            severity="high" if indicators or not facts.crimes else "medium",
            explanation=finding.explanation + open_question,
            evidence={**finding.evidence, "protected_persons": indicators},
        )
    ]


def _generic(ground: str) -> Callable[[RequestFacts], list[Finding]]:
    def rule(facts: RequestFacts) -> list[Finding]:
        return evaluate(ground, facts)

    rule.__name__ = ground
    return rule


def nationality(facts: RequestFacts) -> list[Finding]:
    if facts.kind not in EXTRADITION_KINDS:
        return []
    cites = tuple(citation(p) for p in held_items("nationality", facts))
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
                    "refused on that ground, the case must be submitted to the competent "
                    "authorities for prosecution (aut dedere aut judicare).",
                    {"person": list(person.names), "nationality": person.nationality},
                    "Decide on extradition; if refused on nationality, submit the case for "
                    "prosecution.",
                    follow_up={
                        "kind": "submit_for_prosecution",
                        "description": "Submit the case to the competent authorities for "
                        "prosecution",
                        "citations": [c.as_dict() for c in cites],
                    },
                )
            )
    return findings


def immunity_and_essential_interests(facts: RequestFacts) -> list[Finding]:
    held = held_items("immunity_and_essential_interests", facts)
    excepted = [
        e
        for e in grounds_data()["grounds"]["immunity_and_essential_interests"]["exceptions"]
        if e["instrument"] in facts.instruments
        and facts.kind in e["kinds"]
        and set(e["crimes"]) & set(facts.crimes)
    ]
    cites: tuple[Citation, ...] = tuple(citation(p) for p in held + excepted)
    return [
        Finding(
            "immunity_and_essential_interests",
            "attention",
            "low",
            cites,
            "For a person to judge: whether a person concerned enjoys immunity, and whether "
            "execution would harm the requested state's sovereignty, security, public order or "
            "other essential interests."
            + (" " + "; ".join(e["text"] for e in excepted) + "." if excepted else "")
            + unverified(cites),
            {},
            "Check for immunities and essential interests.",
        )
    ]


def dual_criminality(facts: RequestFacts) -> list[Finding]:
    held = held_items("dual_criminality", facts)
    if not held:
        return []
    cites = tuple(citation(p) for p in held)
    reservations = facts.texts.get("coe-mla-1959", [])
    return [
        Finding(
            "dual_criminality",
            category(held),
            "low",
            cites,
            "The instrument requires (or lets the requested state require) that the acts be "
            "punishable in both states: " + "; ".join(p.get("note", "") for p in held) + ".",
            {"requested_state_reservations": reservations},
            "Check that the acts are punishable in the requested state.",
        )
    ]


_DEDICATED: dict[str, Callable[[RequestFacts], list[Finding]]] = {
    "political_offence": political_offence,
    "persecution": persecution,
    "protected_status": protected_status,
    "death_penalty": death_penalty,
    "torture": torture,
    "ne_bis_in_idem": ne_bis_in_idem,
    "nationality": nationality,
    "immunity_and_essential_interests": immunity_and_essential_interests,
    "dual_criminality": dual_criminality,
}


def rules() -> dict[str, Callable[[RequestFacts], list[Finding]]]:
    """Every ground of `grounds.yaml`: its own function, or the generic rule."""
    found = {}
    for ground, data in grounds_data()["grounds"].items():
        if ground in _DEDICATED:
            found[ground] = _DEDICATED[ground]
        elif data.get("rule") == "generic":
            found[ground] = _generic(ground)
        else:
            raise ValueError(f"ground {ground!r} has no rule: give it `rule: generic`")
    return found


RULES = rules()


def screen(facts: RequestFacts) -> list[Finding]:
    findings = [f for rule in RULES.values() for f in rule(facts)]
    return sorted(findings, key=lambda f: (SEVERITY_RANK[f.severity], f.ground))
