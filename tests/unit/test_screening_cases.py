"""Runs the lawyer-readable cases in src/judicare/screening/cases/rules.yaml."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from judicare.screening.domain import PersonFacts, RequestFacts
from judicare.screening.rules import completeness, screen

DOCUMENT = yaml.safe_load(
    (resources.files("judicare.screening") / "cases" / "rules.yaml").read_text(encoding="utf-8")
)


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
        context={"cat-1984": {"requesting": "party", "requested": "party"}},
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
    for finding in findings:  # every finding explains itself and cites, or says why not
        assert finding.explanation and finding.category and finding.severity


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
         "legal_qualification", "facts_summary"], True)})  # fmt: skip
    assert completeness(full)["missing"] == []
