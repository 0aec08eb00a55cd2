"""The grounds that turn on persons and states' positions: protected status and
persecution, the death penalty (with the requested state's own obligations), torture and
ne bis in idem. Each reads its provisions from `grounds.yaml`; what only the facts of
persons can tell (register matches, the requesting state's death-penalty status) is
handled here. Pure."""

from __future__ import annotations

from typing import Any

from judicare.legal_basis.domain import Citation
from judicare.screening.domain import Finding, PersonFacts, RequestFacts
from judicare.screening.grounds import (
    Item,
    bound,
    category,
    citation,
    grounds_data,
    name_of,
    provisions,
    unknown_conditions,
    unverified,
)

EXTRADITION_KINDS = frozenset({"extradition", "provisional_arrest"})
SOUGHT_ROLES = frozenset({"person_sought", "accused", "suspect"})
# A state's position in an instrument, as a person reads it (never a bare None).
STATUS_WORDS = {
    "party": "a party",
    "ratified_pending": "ratified, not yet in force for it",
    "signatory": "a signatory only",
    "withdrawn": "withdrawn",
    "not_party": "not a party",
    "unknown": "unknown in the data",
}


def status_word(status: str | None) -> str:
    return STATUS_WORDS.get(status or "unknown", status or "unknown in the data")


def held_items(ground: str, facts: RequestFacts) -> list[Item]:
    """The ground's provisions that govern the request (participation unknown included)."""
    return [item for item, _ in provisions(ground, facts)]


def _where(item: Item) -> str:
    article = item.get("article")
    return name_of(item["instrument"]) + (f" art. {article}" if article else "")


def persecution_indicators(facts: RequestFacts) -> list[dict[str, Any]]:
    """Persons protected against the requesting state: declared in the request, or found
    in a register (a match not rejected by a person)."""
    statuses = set(grounds_data()["grounds"]["protected_status"]["protected_statuses"])
    found: list[dict[str, Any]] = []
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


def persecution(facts: RequestFacts) -> list[Finding]:
    held = provisions("persecution", facts)
    indicators = persecution_indicators(facts)
    if not held and not indicators:
        return []
    cites = [citation(p) for p, _ in held]
    against = [
        i for i in indicators if i.get("against_requesting_state") or i["source"] == "request"
    ]
    severity = "high" if against else ("medium" if indicators else "low")
    lists = []
    for item, holds in held:
        line = f"{_where(item)}: on account of {item['reasons']}"
        if holds == "unknown":
            line += f" (if {unknown_conditions(facts, item)}; the data cannot tell)"
        lists.append(line)
    text = (
        "Refusal is required or allowed where there are substantial grounds to believe the "
        "request is made to prosecute or punish a person for a reason the instrument lists, "
        "each in its own words — " + "; ".join(lists)
        if lists
        else "No instrument governing the request holds a persecution clause in the data, "
        "but persons concerned are protected"
    )
    definite = [p for p, holds in held if holds == "yes"]
    return [
        Finding(
            "persecution",
            category(definite or [p for p, _ in held]) if held else "attention",
            severity,
            tuple(cites),
            text
            + (
                f"; {len(against)} person(s) concerned are protected against the requesting state"
                if against
                else ""
            )
            + "."
            + unverified(cites),
            {"indicators": indicators},
            "Examine the purpose of the request; ask the requesting state for information "
            "if needed.",
        )
    ]


# The register that indexes the persons named in the node's requests (`persons.registers.
# REQUESTS`; its entry ids are "REFERENCE#PERSON_ID", `requests.registration`): a status found
# there is the one another request recorded, not a register's own decision.
REQUESTS_INDEX = "requests"


def reference_of(entry_id: str) -> str:
    """The reference of the request an entry of the requests index stands for."""
    reference, sep, _ = entry_id.rpartition("#")
    return reference if sep else entry_id


def protected_status(facts: RequestFacts) -> list[Finding]:
    """A refugee or other protected person: always flagged to a person. Refugee Convention
    art. 33(1) bars returning a refugee to the persecutor (extradition); for assistance
    that moves nobody, the finding asks for caution. When a refugee is sought, the text's
    own exclusion clauses (arts 1F and 33(2)) are questions for a person, never decided
    here.

    One finding per match in a register of persons; the matches in the requests index (the
    other requests that record the person's status) are folded into one finding per person,
    which lists those requests: a refugee named in ten requests is one card, not ten."""
    data = grounds_data()["grounds"]["protected_status"]
    statuses = set(data["protected_statuses"])
    rules = [p for p in data["provisions"] if facts.kind in p["kinds"]]
    cites = tuple(citation(p) for p in rules)
    rules_text = "; ".join(f"{_where(p)}: {p['text']}" for p in rules)
    findings = []
    for person in facts.persons:
        sought = person.role in SOUGHT_ROLES and facts.kind in EXTRADITION_KINDS
        questions = list(data.get("questions", [])) if sought else []
        asked = tuple(citation(q) for q in questions)
        protected = [m for m in person.matches if m.get("status") in statuses]
        recorded = [m for m in protected if m.get("register") == REQUESTS_INDEX]
        for match in protected:
            if match.get("register") == REQUESTS_INDEX:
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
                    cites + asked,
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
                    + ". "
                    + rules_text
                    + "."
                    + _questions_text(questions),
                    {
                        "person": list(person.names),
                        "match": {k: match.get(k) for k in _MATCH_KEYS},
                        "questions_for_a_person": [_question(q) for q in questions],
                    },
                    "Confirm or reject the match; if confirmed, consult the asylum authority and "
                    "examine the request with the utmost caution.",
                )
            )
        if recorded:
            findings.append(_recorded_elsewhere(facts, person, recorded, cites + asked,
                                                rules_text, questions))  # fmt: skip
        if person.protected_status in statuses and not person.matches:
            findings.append(
                Finding(
                    "protected_status",
                    "attention",
                    "medium",
                    cites + asked,
                    f"The request itself says {person.names[0]} has the status "
                    f"{person.protected_status}." + _questions_text(questions),
                    {
                        "person": list(person.names),
                        "questions_for_a_person": [_question(q) for q in questions],
                    },
                    "Check the status with the asylum authority.",
                )
            )
    return findings


_MATCH_KEYS = ("register", "id", "score", "status", "country_of_feared_persecution",
               "explanation", "adjudication")  # fmt: skip


def _recorded_elsewhere(
    facts: RequestFacts,
    person: PersonFacts,
    recorded: list[dict[str, Any]],
    cites: tuple[Citation, ...],
    rules_text: str,
    questions: list[Item],
) -> Finding:
    """One finding for the other requests that record `person`'s protected status (the
    requests index's matches), each listed by its reference; its severity and category the
    gravest of what each match alone would have given (a match a person rejected: low)."""
    rows: list[dict[str, Any]] = []
    severities, refusal, rejected = [], False, 0
    for match in recorded:
        decision = (match.get("adjudication") or {}).get("decision")
        feared = match.get("country_of_feared_persecution")
        against = feared == facts.requesting
        severities.append("low" if decision == "rejected" else ("high" if against else "medium"))
        refusal = refusal or (
            facts.kind in EXTRADITION_KINDS and against and decision != "rejected"
        )
        rejected += decision == "rejected"
        rows.append({"reference": reference_of(match["id"]), "role": match.get("role"),
                     **{k: match.get(k) for k in _MATCH_KEYS}})  # fmt: skip
    severity = next(s for s in ("high", "medium", "low") if s in severities)
    gravest = recorded[severities.index(severity)]
    kinds: list[str] = sorted({str(r["status"]) for r in rows})
    fearing: list[str] = sorted({str(r["country_of_feared_persecution"]) for r in rows
                                 if r["country_of_feared_persecution"]})  # fmt: skip
    number = len(rows)
    return Finding(
        "protected_status",
        "mandatory_refusal" if refusal else "attention",
        severity,
        cites,
        f"{person.names[0]} is recorded as {' or '.join(kinds)} in {number} other "
        f"request{'s' if number > 1 else ''} of the register ("
        + ", ".join(str(r["reference"]) for r in rows)
        + ")"
        + (f", fearing persecution by {', '.join(fearing)}" if fearing else "")
        + (
            ": the requesting state is the country of feared persecution"
            if facts.requesting in fearing
            else ""
        )
        + (f"; a person has rejected {rejected} of these matches" if rejected else "")
        + ". "
        + rules_text
        + "."
        + _questions_text(questions),
        {
            "person": list(person.names),
            # as in every protected-status finding (the API's readers look for it): the
            # match that set the severity; the others are in `recorded_in`
            "match": {k: gravest.get(k) for k in _MATCH_KEYS},
            "status": kinds[0] if len(kinds) == 1 else None,
            "recorded_in": rows,
            "questions_for_a_person": [_question(q) for q in questions],
        },
        "Confirm or reject the match; if confirmed, consult the asylum authority and "
        "examine the request with the utmost caution.",
    )


def _question(item: Item) -> dict[str, Any]:
    return {"instrument": item["instrument"], "article": item["article"], "text": item["text"]}


def _questions_text(questions: list[Item]) -> str:
    if not questions:
        return ""
    return " For a person to examine (the Convention's own limits, never decided here): " + (
        "; ".join(q["text"] for q in questions) + "."
    )


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
    cites = [citation(p) for p in held_items("death_penalty", facts)]
    obligations = [
        (o, bound(facts, o["instrument"], "requested"))
        for o in data.get("obligations", [])
        if facts.kind in o["kinds"]
    ]
    binding = [o for o, b in obligations if b == "yes"]
    maybe = [o for o, b in obligations if b == "unknown"]
    cites += [citation(o) for o in binding + maybe]
    retentionist = "retentionist" in statuses.values()
    return [
        Finding(
            "death_penalty",
            "assurance_required",
            "high" if retentionist or binding else "medium",
            tuple(cites),
            f"The requesting state's status: {', '.join(f'{k}: {v}' for k, v in statuses.items())}"
            + ("; the sources disagree" if disagree else "")
            + ". Assurances that the death penalty will not be imposed or carried out are needed."
            + _obligations_text(binding, maybe)
            + (
                ""
                if cites
                else " No provision of the governing instruments in the data covers it;"
                " the requested state's own law and abolition protocols apply."
            )
            + unverified(cites),
            {
                "sources": sources,
                "disagreement": disagree,
                "assurances_optional": False if binding else None,
                "requested_state_obligations": {o["instrument"]: b for o, b in obligations},
                "abolition_protocols": {
                    k: v
                    for k, v in facts.context.items()
                    if k in ("iccpr-op2-1989", "echr-p6", "echr-p13", "achr-dp-1990")
                },
            },
            "Ask for assurances before any decision.",
        )
    ]


def _obligations_text(binding: list[Item], maybe: list[Item]) -> str:
    text = ""
    if binding:
        text += (
            " They are not optional: the requested state is bound by "
            + "; ".join(_where(o) for o in binding)
            + ", which it would breach by exposing the person to the death penalty."
        )
    if maybe:
        text += (
            " Whether the requested state is bound by "
            + ", ".join(_where(o) for o in maybe)
            + " is unknown in the participation data (see `judicare treaty sources`)"
            + ("; if it is, assurances are not optional" if not binding else "")
            + "."
        )
    return text


def torture(facts: RequestFacts) -> list[Finding]:
    if facts.kind not in EXTRADITION_KINDS:
        return []
    governing = held_items("torture", facts)
    cites = [citation(p) for p in grounds_data()["grounds"]["torture"]["provisions"]]
    raw = facts.context.get("cat-1984", {}).get("requested")
    severity = "high" if persecution_indicators(facts) else "medium"
    return [
        Finding(
            "torture",
            "mandatory_refusal",
            severity,
            tuple(cites),
            "No extradition where there are substantial grounds to believe the person would be in "
            "danger of torture (CAT art. 3; the requested state's status under CAT: "
            f"{status_word(raw)})."
            + (
                ""
                if governing
                else " CAT is not a basis of this request, but art. 3 binds its parties."
            ),
            {"requested_state_cat_status": raw or "unknown"},
            "Assess the risk in the requesting state; ask for assurances or refuse.",
        )
    ]


def ne_bis_in_idem(facts: RequestFacts) -> list[Finding]:
    """A final judgment found in the registers: ECE art. 9(1) for the requested state's own
    judgments; art. 9(2) (added by ETS 086 art. 2) for a third state's, where that Protocol
    binds both states. A register entry that does not say whose court judged is read both
    ways, and the finding says so."""
    data = grounds_data()["grounds"]["ne_bis_in_idem"]
    judged = set(data["judgment_statuses"])
    held = provisions("ne_bis_in_idem", facts)
    findings = []
    for person in facts.persons:
        for match in person.matches:
            if match.get("status") not in judged:
                continue
            by = match.get("judged_by")
            side = None if by is None else ("requested" if by == facts.requested else "third_state")
            chosen = [(p, h) for p, h in held if side is None or p["judged_by"] == side]
            cites = tuple(citation(p) for p, _ in chosen)
            certain = [p for p, h in chosen if h == "yes"]
            lines = "; ".join(
                f"{_where(p)}: {p['text']}"
                + (
                    f" (if {unknown_conditions(facts, p)}; the data cannot tell)"
                    if h == "unknown"
                    else ""
                )
                for p, h in chosen
            )
            whose = (
                "the register entry does not say which state's court gave it"
                if by is None
                else f"judgment given in {by}"
            )
            findings.append(
                Finding(
                    "ne_bis_in_idem",
                    category(certain) if certain else "attention",
                    "high",
                    cites,
                    f"{person.names[0]} matches {match['register']}/{match['id']} with status "
                    f"{match['status']} ({whose}): a final judgment for the same acts may bar "
                    "the request."
                    + (f" {lines}." if lines else _no_provision(side))
                    + unverified(cites),
                    {"person": list(person.names), "match": match, "judged_by": by or "not stated"},
                    "Compare the acts of the earlier judgment with those of the request.",
                )
            )
    return findings


def _no_provision(side: str | None) -> str:
    if side == "third_state":
        return (
            " The governing instrument's ne bis in idem rule covers only the requested "
            "state's own judgments, and no rule on third states' judgments (ETS 086 art. 2) "
            "binds both states on the date: the requested state's own law decides."
        )
    return " No governing provision is in the data."
