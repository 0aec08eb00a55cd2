"""Which rule governs two requests for the same person, and what it asks the requested
state to weigh (issue 20). Pure: plain values in, a `Governing` out, each branch citing its
article. The decision itself is a person's (competing.service), never this module's.

- Between two states: European Convention on Extradition art. 17 (when it binds the states).
- Between the International Criminal Court and a state: Rome Statute art. 90, with its
  branches for a requesting state that is a party and one that is not.
- Anything else: no rule held here; the person decides on the law that applies, and the
  answer says that no rule was found rather than inventing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent


@cache
def rules_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((HERE / "rules.yaml").read_text(encoding="utf-8"))
    return data


def _cite(entry: dict[str, Any]) -> dict[str, Any]:
    out = {k: entry[k] for k in ("instrument", "article", "verified")}
    out["source_url"] = rules_data()["sources"][entry["source"]]
    if "text" in entry:
        out["text"] = entry["text"]
    return out


@dataclass(frozen=True, slots=True)
class CompetingFacts:
    """Two requests for the same person, as the requested state sees them.

    `court` tells whether one of them is the Court's (then `state_*` describe the other);
    unknowns are None, never guessed."""

    court: bool
    ece_binds_all: bool | None = None  # ECE binds the requested state and both requesters
    state_is_rome_party: bool | None = None
    same_conduct: bool | None = None
    court_admissibility: str | None = None  # admissible | inadmissible | pending | None
    obligation_to_extradite: bool | None = None  # to the state, under another instrument


@dataclass(frozen=True, slots=True)
class Governing:
    rule: str  # ece_17 | rome_90(n) | none | question
    outcome: str  # weigh | priority_to_court | may_proceed_not_extradite | may_proceed | ask
    citations: tuple[dict[str, Any], ...]
    criteria: tuple[str, ...] = ()
    duties: tuple[dict[str, Any], ...] = ()
    questions: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "outcome": self.outcome,
            "citations": list(self.citations),
            "criteria": list(self.criteria),
            "duties": list(self.duties),
            "questions": list(self.questions),
        }


def governing(facts: CompetingFacts) -> Governing:
    return _rome_90(facts) if facts.court else _ece_17(facts)


def _ece_17(facts: CompetingFacts) -> Governing:
    spec = rules_data()["ece_17"]
    if facts.ece_binds_all is None:
        return Governing("question", "ask", (), questions=("ece_binds_all",))
    if not facts.ece_binds_all:
        return Governing("none", "weigh", ())
    cite = {**_cite(spec["citation"]), "text": spec["text"]}
    return Governing("ece_17", "weigh", (cite,), criteria=tuple(spec["criteria"]))


def _rome_90(facts: CompetingFacts) -> Governing:
    spec = rules_data()["rome_90"]
    branches = spec["branches"]
    duties = (_cite(spec["notify"]), _cite(spec["after_refusal"]))
    questions = [
        name
        for name, value in (
            ("same_conduct", facts.same_conduct),
            ("state_is_rome_party", facts.state_is_rome_party),
        )
        if value is None
    ]
    if questions:
        return Governing("question", "ask", (), duties=duties, questions=tuple(questions))
    if not facts.same_conduct:
        if facts.obligation_to_extradite is None:
            return Governing("question", "ask", (), duties=duties,
                             questions=("obligation_to_extradite",))  # fmt: skip
        if not facts.obligation_to_extradite:
            return _branch(branches, "other_conduct_no_obligation", "priority_to_court", duties)
        return _branch(branches, "other_conduct_obligation", "weigh", duties,
                       criteria=(*spec["factors_90_6"], "relative_nature_and_gravity"))  # fmt: skip
    admissible = facts.court_admissibility == "admissible"
    if facts.state_is_rome_party:
        if admissible:
            return _branch(branches, "party_admissible", "priority_to_court", duties)
        return _branch(branches, "party_pending", "may_proceed_not_extradite", duties)
    if facts.obligation_to_extradite is None:
        return Governing("question", "ask", (), duties=duties,
                         questions=("obligation_to_extradite",))  # fmt: skip
    if facts.obligation_to_extradite:
        return _branch(branches, "non_party_obligation", "weigh", duties,
                       criteria=tuple(spec["factors_90_6"]))  # fmt: skip
    if admissible:
        return _branch(branches, "non_party_no_obligation_admissible", "priority_to_court", duties)
    return _branch(branches, "non_party_no_obligation_not_admissible", "may_proceed", duties)


def _branch(
    branches: dict[str, Any],
    name: str,
    outcome: str,
    duties: tuple[dict[str, Any], ...],
    criteria: tuple[str, ...] = (),
) -> Governing:
    entry = branches[name]
    return Governing(f"rome_90:{name}", outcome, (_cite(entry),), criteria, duties)
