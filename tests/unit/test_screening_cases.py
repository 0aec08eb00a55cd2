"""Runs the lawyer-readable cases in src/judicare/screening/cases/rules.yaml.

A case may give `date:` (the request's date): whether the instruments the grounds name bind
the two states is then read from the participation data shipped with Judicare, as the
service does. `bound:` sets it by hand (instrument: yes | no | unknown, for both states,
or {requesting: ..., requested: ...}); an instrument not given is unknown."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from importlib import resources

import pytest
import yaml

from judicare.screening.binding import binding_table
from judicare.screening.domain import PersonFacts, RequestFacts
from judicare.screening.grounds import named_instruments
from judicare.screening.rules import completeness, screen
from judicare.treaties.catalogue import load_catalogue
from judicare.treaties.participation import build_participation
from judicare.treaties.reference import load_actions

DOCUMENT = yaml.safe_load(
    (resources.files("judicare.screening") / "cases" / "rules.yaml").read_text(encoding="utf-8")
)
# What a person must never read: a missing value, the data's own markers or file names.
NOT_FOR_USERS = re.compile(r"\bNone\b|\[UNSURE\]|\.md\b|\.csv\b")


@cache
def participations():
    catalogue = load_catalogue()
    return {
        i: build_participation(catalogue[i], load_actions(catalogue[i])[0])
        for i in named_instruments()
        if i in catalogue
    }


def _binding(values: dict) -> dict:
    table = {}
    if values.get("date"):  # not `on:`, which YAML reads as true
        on = values["date"]
        on = on if isinstance(on, date) else date.fromisoformat(on)
        table = binding_table(
            participations(), named_instruments(), values["requesting"], values["requested"], on
        )
    for instrument, given in (values.get("bound") or {}).items():
        table[instrument] = (
            dict(given) if isinstance(given, dict) else {"requesting": given, "requested": given}
        )
    return table


def _facts(case: dict) -> RequestFacts:
    values = {**DOCUMENT["defaults"], **case}
    persons = tuple(
        PersonFacts(role=p["role"], names=tuple(p["names"]), nationality=p.get("nationality"),
                    protected_status=p.get("protected_status"), matches=tuple(p.get("matches", [])))
        for p in values["persons"]
    )  # fmt: skip
    return RequestFacts(
        requesting=values["requesting"], requested=values["requested"], kind=values["kind"],
        crimes=tuple(values["crimes"]), measures=tuple(values["measures"]), persons=persons,
        instruments=frozenset(values["instruments"]),
        death_penalty={k: {"status": v, "source_url": "https://example.test"}
                       for k, v in values["death_penalty"].items()},
        context=values.get("context", {"cat-1984": {"requesting": "party", "requested": "party"}}),
        binding=_binding(values),
    )  # fmt: skip


@pytest.mark.parametrize("case", DOCUMENT["cases"], ids=lambda c: c["name"])
def test_case(case):
    findings = screen(_facts(case))
    by_ground = {}
    for finding in findings:
        by_ground.setdefault(finding.ground, finding)
    for ground, category in (case.get("expect") or {}).items():
        assert ground in by_ground, sorted(by_ground)
        assert by_ground[ground].category == category, by_ground[ground]
    for ground in case.get("absent", []):
        assert ground not in by_ground, by_ground[ground]
    for ground, level in (case.get("severity") or {}).items():
        assert by_ground[ground].severity == level, by_ground[ground]
    for ground in case.get("follow_up", []):
        assert by_ground[ground].follow_up["kind"] == "submit_for_prosecution"
    for ground in case.get("unverified", []):
        assert "unverified" in by_ground[ground].explanation
    for ground, articles in (case.get("cites") or {}).items():
        cited = {f"{c.instrument} {c.article}" for c in by_ground[ground].citations}
        for article in [articles] if isinstance(articles, str) else articles:
            assert article in cited, (article, sorted(cited))
    for ground, words in (case.get("says") or {}).items():
        for text in [words] if isinstance(words, str) else words:
            assert text in by_ground[ground].explanation, by_ground[ground].explanation
    for ground, words in (case.get("does_not_say") or {}).items():
        for text in [words] if isinstance(words, str) else words:
            assert text not in by_ground[ground].explanation, by_ground[ground].explanation
    for finding in findings:  # every finding explains itself, in the user's language
        assert finding.explanation and finding.category and finding.severity
        assert not NOT_FOR_USERS.search(finding.explanation), finding.explanation


def test_there_are_cases_for_every_ground():
    from judicare.screening.rules import RULES

    named = {g for c in DOCUMENT["cases"] for g in {**(c.get("expect") or {})}}
    assert set(RULES) <= named


def test_completeness_lists_what_is_missing_and_drafts_the_request_for_information():
    facts = _facts({"instruments": ["coe-mla-1959"]})
    report = completeness(facts)
    assert report["instrument"] == "coe-mla-1959" and report["article"] == "14"
    assert "facts_summary" in report["missing"]
    assert report["draft_request_for_information"].startswith("Request for further information")
    full = _facts({"instruments": ["coe-mla-1959"]})
    full = RequestFacts(**{**full.__dict__, "fields": dict.fromkeys(
        ["requesting_authority", "subject_and_nature", "persons_identification",
         "legal_qualification", "facts_summary", "person_to_serve"], True)})  # fmt: skip
    assert completeness(full)["missing"] == []
