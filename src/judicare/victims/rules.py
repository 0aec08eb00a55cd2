"""The pure rules of victims and witnesses (issue 20): what a protection or special measure
needs before it is complete, who may learn of it, and the plain-language information a
victim may be sent. No I/O beyond reading the package's data files once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
LANGUAGES = ("en", "fr", "nl")  # the languages with plain-language templates
STATUSES = ("requested", "granted", "refused")


@cache
def measures_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((HERE / "measures.yaml").read_text(encoding="utf-8"))
    for name, measure in data["measures"].items():
        for cite in measure["citations"]:
            if "verified" not in cite or cite.get("source", "") not in data["sources"]:
                raise ValueError(f"measure {name}: each citation needs verified and a source")
    return data


@cache
def notices_data() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = yaml.safe_load(
        (HERE / "notices.yaml").read_text(encoding="utf-8")
    )
    steps = set(measures_data()["steps"])
    for language in LANGUAGES:
        if set(data[language]) != steps:
            raise ValueError(f"notices.yaml: language {language} must cover exactly {steps}")
    return data


def measure_kinds() -> tuple[str, ...]:
    return tuple(measures_data()["measures"])


def citations_of(measure: str, *, to_court: bool) -> list[dict[str, Any]]:
    """The articles that provide `measure`, each with its source link and whether it was
    read; the Rome Statute's only when the request concerns the International Criminal Court."""
    data = measures_data()
    out = []
    for cite in data["measures"][measure]["citations"]:
        if cite.get("court_only") and not to_court:
            continue
        entry = {k: v for k, v in cite.items() if k not in ("source", "court_only")}
        entry["source_url"] = data["sources"][cite["source"]]
        out.append(entry)
    return out


@dataclass(frozen=True, slots=True)
class Completeness:
    """What a measure still lacks, each item with the article it comes from (or None)."""

    complete: bool
    missing: tuple[dict[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"complete": self.complete, "missing": list(self.missing)}


def completeness(measure: str, data: dict[str, Any], *, interpreter_needed: bool) -> Completeness:
    """The required data of `measure` that `data` does not give. A consent (a yes/no item)
    counts only when it is yes: a transfer without the person's consent may be refused
    (ECMA art. 11(1)(a)) and needs it before the Court (Rome Statute art. 93(7)(a)(i))."""
    spec = measures_data()["measures"][measure]
    wanted = list(spec.get("required", []))
    if interpreter_needed:
        wanted += spec.get("required_if_interpreter", [])
    sources = measures_data()["sources"]
    cited = {
        item: {**{k: v for k, v in c.items() if k != "source"}, "source_url": sources[c["source"]]}
        for item, c in spec.get("cited", {}).items()
    }
    missing = []
    for item in wanted:
        value = data.get(item)
        given = value is True if item.endswith("_consents") else value not in (None, "", [])
        if not given:
            missing.append({"field": item, "citation": cited.get(item)})
    return Completeness(not missing, tuple(missing))


@dataclass(frozen=True, slots=True)
class Disclosure:
    """Whether a measure may be shown to a state, and why (for the audit trail and tests)."""

    allowed: bool
    reason: str


def disclosure(
    *, recipient: str, request_states: Iterable[str], withhold_from: Iterable[str]
) -> Disclosure:
    """May the state `recipient` learn of a protection measure taken on a request between
    `request_states`? Never a state that was named as one that must not know (the state a
    witness fears, for instance), and never a state outside the request: a measure protects
    a person from exposure, so it goes no further than the two states that need it (LHC art.
    82, protection against retaliation or intimidation; article confirmed, wording not read)."""
    recipient = recipient.upper()
    if recipient in {s.upper() for s in withhold_from}:
        return Disclosure(False, f"{recipient} is named as a state that must not know")
    if recipient not in {s.upper() for s in request_states}:
        return Disclosure(False, f"{recipient} is not a state of the request")
    return Disclosure(True, f"{recipient} is a state of the request and not excluded")


def notice_text(step: str, language: str, *, reference: str, answer: str = "") -> str:
    """The plain-language text of `step` in `language`; an error names the languages that
    have a text (no English fallback: a victim is told in a language they understand)."""
    texts = notices_data()
    if language not in texts:
        raise LookupError(
            f"no plain-language text in {language!r}: the texts exist in {', '.join(LANGUAGES)}; "
            "have the information translated for this victim instead"
        )
    if step not in texts[language]:
        raise LookupError(f"unknown step {step!r}: one of {', '.join(sorted(texts[language]))}")
    if step == "answer_to_question" and not answer.strip():
        raise LookupError("an answer to a question needs the answer's text")
    return texts[language][step].format(reference=reference, answer=answer.strip())


@dataclass(frozen=True, slots=True)
class MayContact:
    allowed: bool
    reason: str


def may_contact(*, consent: bool, channel: str | None) -> MayContact:
    """Information goes to a victim only with their consent, by the channel they chose."""
    if not consent:
        return MayContact(False, "the person has not consented to be contacted")
    if not channel:
        return MayContact(False, "the person has chosen no channel")
    return MayContact(True, f"consent given; channel {channel}")


def information_due(received_on: date) -> date:
    """The internal target date for answering a victim's request for information."""
    return received_on + timedelta(days=int(measures_data()["information_request_days"]))
