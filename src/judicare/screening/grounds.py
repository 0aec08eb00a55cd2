"""The screening engine's data half: `grounds.yaml` loaded, its citations built, and the
generic rule that turns a ground held as data (provisions, exceptions, conditions on which
instruments bind the two states) into a finding. A new ground or exception is added to
`grounds.yaml` with its cases in `cases/rules.yaml`; no code changes. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

import yaml

from judicare.legal_basis.domain import Citation
from judicare.screening.domain import Finding, RequestFacts

Item = dict[str, Any]

CATEGORY_OF = {
    "mandatory": "mandatory_refusal",
    "assurance": "assurance_required",
    "optional": "optional_refusal",
    "question": "attention",
    "outside_scope": "attention",
    "information": "attention",
}
_CATEGORY_RANK = ("mandatory_refusal", "assurance_required", "optional_refusal", "attention")
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
_EXCEPTED = "An exception that binds both states takes the crimes concerned out of this ground"


@cache
def grounds_data() -> dict[str, Any]:
    text = (resources.files("judicare.screening") / "grounds.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _source(key: str | None) -> str | None:
    if not key:
        return None
    found: str | None = grounds_data()["sources"].get(key)
    return found


def name_of(instrument: str) -> str:
    """The instrument's name as a person reads it (never its file or id alone)."""
    found: str = grounds_data()["names"].get(instrument, instrument)
    return found


def citation(item: Item) -> Citation:
    """The one citation type of the application, built from a provision held as data. The
    instrument's own words, where quoted, travel in the note."""
    article = item.get("article")
    note = str(item.get("note", ""))
    if item.get("quote"):
        note = f"“{item['quote']}”" + (f"; {note}" if note else "")
    return Citation(
        instrument=item["instrument"],
        article=None if article is None else str(article),
        verified=bool(item.get("verified")),
        source_url=_source(item.get("source")),
        note=note,
    )


def unverified(citations: Iterable[Citation]) -> str:
    if any(not c.verified for c in citations):
        return (
            " At least one citation is unverified (its wording was not read in the "
            "instrument's text)."
        )
    return ""


# --- which instruments bind the two states ----------------------------------------------


def bound(facts: RequestFacts, instrument: str, who: str) -> str:
    """Whether `instrument` binds the requesting state, the requested state or both
    (`who`) on the request's date: "yes", "no" or "unknown"."""
    entry = facts.binding.get(instrument, {})
    sides = ("requesting", "requested") if who == "both" else (who,)
    values = [entry.get(side, "unknown") for side in sides]
    if "no" in values:
        return "no"
    if "unknown" in values:
        return "unknown"
    return "yes"


def _combine(values: Iterable[str]) -> str:
    seen = set(values)
    if "no" in seen:
        return "no"
    return "unknown" if "unknown" in seen else "yes"


def _needs(item: Item, key: str) -> list[Item]:
    value = item.get(key) or []
    return [value] if isinstance(value, dict) else list(value)


def condition(facts: RequestFacts, item: Item) -> str:
    """Whether a provision or exception holds between the two states: "yes", "no" or
    "unknown". `governed_by` (default: the item's own instrument, when it names no
    `requires`) must be an instrument that governs the request; each of `requires` must
    bind (`who`: both, requesting or requested); none of `unless` may bind."""
    values = []
    governed = item.get("governed_by")
    if governed is None and not item.get("requires"):
        governed = item["instrument"]
    if governed is not None:
        values.append("yes" if governed in facts.instruments else "no")
    for need in _needs(item, "requires"):
        values.append(bound(facts, need["instrument"], need.get("who", "both")))
    for need in _needs(item, "unless"):
        status = bound(facts, need["instrument"], need.get("who", "both"))
        values.append({"yes": "no", "no": "yes"}.get(status, "unknown"))
    return _combine(values)


def unknown_names(facts: RequestFacts, item: Item) -> list[str]:
    """The instruments whose participation the data cannot tell, for this item."""
    names = []
    for need in _needs(item, "requires") + _needs(item, "unless"):
        if bound(facts, need["instrument"], need.get("who", "both")) == "unknown":
            names.append(name_of(need["instrument"]))
    return names


def unknown_conditions(facts: RequestFacts, item: Item) -> str:
    """What must hold for the item, among what the data cannot tell, in words."""
    words = []
    for key, verb in (("requires", "binds"), ("unless", "does not bind")):
        for need in _needs(item, key):
            who = need.get("who", "both")
            if bound(facts, need["instrument"], who) == "unknown":
                whom = "both states" if who == "both" else f"the {who} state"
                words.append(f"{name_of(need['instrument'])} {verb} {whom}")
    return " and ".join(words)


def applies_to(facts: RequestFacts, item: Item) -> bool:
    """The item concerns this kind of request, its crimes and its measures."""
    if facts.kind not in item["kinds"]:
        return False
    if item.get("crimes") and not set(item["crimes"]) & set(facts.crimes):
        return False
    return not (item.get("measures") and not set(item["measures"]) & set(facts.measures))


def provisions(ground: str, facts: RequestFacts) -> list[tuple[Item, str]]:
    """The ground's provisions that hold (or may hold) between the states, for this request,
    each with its condition ("yes" or "unknown")."""
    found = []
    for item in grounds_data()["grounds"][ground].get("provisions", []):
        if applies_to(facts, item):
            holds = condition(facts, item)
            if holds != "no":
                found.append((item, holds))
    return found


def exceptions(ground: str, facts: RequestFacts) -> list[tuple[Item, str]]:
    found = []
    for item in grounds_data()["grounds"][ground].get("exceptions", []):
        if facts.kind in item["kinds"] and set(item["crimes"]) & set(facts.crimes):
            holds = condition(facts, item)
            if holds != "no":
                found.append((item, holds))
    return found


def category(items: Iterable[Item]) -> str:
    found = {CATEGORY_OF[i["character"]] for i in items}
    return next((c for c in _CATEGORY_RANK if c in found), "attention")


# --- the generic rule ---------------------------------------------------------------------


def evaluate(ground: str, facts: RequestFacts) -> list[Finding]:
    """A ground held as data: its provisions that hold between the two states, minus the
    crimes its exceptions take out of it. Where the participation data cannot tell
    whether a provision or exception binds the states, the finding says so and keeps
    the more protective reading (the ground stays)."""
    data = grounds_data()["grounds"][ground]
    held = provisions(ground, facts)
    excepted = exceptions(ground, facts)
    crimes = set(facts.crimes)
    certain = {c for e, holds in excepted if holds == "yes" for c in e["crimes"]} & crimes
    # An exception that holds is said even where no provision of the ground governs the
    # request, if the ground asks for it (the crimes are outside the ground altogether).
    if not held and not (data.get("say_exception_alone") and crimes and certain == crimes):
        return []
    cites = [citation(p) for p, _ in held] + [citation(e) for e, _ in excepted]
    evidence: dict[str, Any] = {
        "crimes": list(facts.crimes),
        "provisions": [_item_evidence(facts, p, holds) for p, holds in held],
        "exceptions": [
            {**_item_evidence(facts, e, holds), "name": e["name"]} for e, holds in excepted
        ],
    }
    if crimes and certain == crimes:
        applied = [e for e, holds in excepted if holds == "yes"]
        return [
            Finding(
                ground,
                "attention",
                "low",
                tuple(cites),
                data.get("excepted", _EXCEPTED).rstrip(".")
                + ": "
                + "; ".join(f"{_where(e)}: {e['text']}" for e in applied)
                + "."
                + unverified(citation(e) for e in applied),
                {**evidence, "excepted": True},
                "Record that the exception applies.",
            )
        ]
    definite = [p for p, holds in held if holds == "yes"]
    parts = [data["text"].rstrip(".")]
    for item, holds in held:
        line = f"{_where(item)}: {item['text']}" if item.get("text") else _where(item)
        if holds == "unknown":
            line += (
                f" (only if {unknown_conditions(facts, item)}; the participation data cannot tell)"
            )
        parts.append(line)
    text = ". ".join(parts[:1]) + (": " + "; ".join(parts[1:]) if parts[1:] else "") + "."
    if certain:
        text += f" An exception takes out {', '.join(sorted(certain))}, not every crime named."
    for item, holds in excepted:
        if holds == "unknown":
            text += (
                f" If {unknown_conditions(facts, item)} (the participation data cannot "
                f"tell), {_where(item)} applies: {item['text']}."
            )
    if any(holds == "unknown" for _, holds in [*held, *excepted]):
        text += " What the participation data holds: `judicare treaty sources`."
    if data.get("question"):
        text += " " + data["question"]
    return [
        Finding(
            ground,
            category(definite or [p for p, _ in held]),
            _severity(data, facts),
            tuple(cites),
            text + unverified(cites),
            evidence,
            data.get("next_step", ""),
        )
    ]


def _where(item: Item) -> str:
    article = item.get("article")
    return f"{name_of(item['instrument'])}" + (f" art. {article}" if article else "")


def _item_evidence(facts: RequestFacts, item: Item, holds: str) -> dict[str, Any]:
    return {
        "instrument": item["instrument"],
        "article": item.get("article"),
        "binds_the_states": holds,
        "unknown_participation": unknown_names(facts, item),
    }


def _severity(data: Item, facts: RequestFacts) -> str:
    levels: list[str] = [str(data.get("severity", "medium"))]
    for crime, level in (data.get("severity_by_crime") or {}).items():
        if crime in facts.crimes:
            levels.append(str(level))
    return min(levels, key=SEVERITY_RANK.__getitem__)


def named_instruments() -> frozenset[str]:
    """Every instrument whose participation the grounds ask about (exceptions,
    requirements, obligations of the requested state)."""
    found: set[str] = set()
    for ground in grounds_data()["grounds"].values():
        for item in [*ground.get("provisions", []), *ground.get("exceptions", [])]:
            found.update(n["instrument"] for n in _needs(item, "requires"))
            found.update(n["instrument"] for n in _needs(item, "unless"))
        found.update(o["instrument"] for o in ground.get("obligations", []))
    return frozenset(found)
