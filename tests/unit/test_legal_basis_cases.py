"""Runs the lawyer-readable cases in src/judicare/legal_basis/cases/legal_basis.yaml
against the participation data shipped with Judicare."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from judicare.legal_basis.rules import load_rulebook
from judicare.legal_basis.service import LegalBasisService, parse_query
from judicare.treaties.participation import build_participation
from judicare.treaties.reference import load_actions

_FILES = sorted(
    f
    for f in (resources.files("judicare.legal_basis") / "cases").iterdir()
    if f.name.endswith(".yaml")
)
CASES = [case for f in _FILES for case in yaml.safe_load(f.read_text())["cases"]]
# The issue-15 file names, for each case, the rule and the article it turns on.
DATED = yaml.safe_load(
    (resources.files("judicare.legal_basis") / "cases" / "dates_and_instruments.yaml").read_text()
)["cases"]


@pytest.fixture(scope="module")
def service() -> LegalBasisService:
    book = load_rulebook()
    actions = {i.id: load_actions(i)[0] for i in book.instruments.values()}
    participations = {
        i.id: build_participation(i, actions[i.id]) for i in book.instruments.values()
    }
    return LegalBasisService(participations, actions, book)


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


def test_each_issue_15_case_names_its_rule_and_article():
    for case in DATED:
        assert case.get("rule") and case.get("article") and case.get("name"), case


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_case(service, case):
    r = case["request"]
    query = parse_query(
        r["from"], r["to"], r["kind"], r["date"], r.get("crimes", ()), r.get("conduct_date")
    )
    result = service.resolve(query).as_dict()
    expect = case["expect"]
    bases = {b["instrument"]: b for b in result["bases"]}
    if "bases" in expect:
        assert [b["instrument"] for b in result["bases"]] == expect["bases"], result[
            "no_basis_reasons"
        ]
    if "conditional_bases" in expect:
        assert [b["instrument"] for b in result["conditional_bases"]] == expect["conditional_bases"]
    for iid in expect.get("bases_include", []):
        assert iid in bases, (iid, result["no_basis_reasons"], result["unknowns"])
    for iid in expect.get("bases_exclude", []):
        assert iid not in bases
    reasons = {
        f"{n['instrument']} {n['state'] or '-'} {n['code']}" for n in result["no_basis_reasons"]
    }
    for line in expect.get("no_basis", []):
        assert line in reasons, sorted(reasons)
    unknowns = {f"{u['instrument']} {u['state']}" for u in result["unknowns"]}
    for line in expect.get("unknowns", []):
        assert line in unknowns, sorted(unknowns)
    if "fallback" in expect:
        assert (result["fallback"] or {}).get("law") == expect["fallback"]
    if "reciprocity" in expect:
        assert result["fallback"]["reciprocity"] is expect["reciprocity"]
    for article in expect.get("citations_of_fallback", []):
        assert article in [c["article"] for c in result["fallback"]["citations"]]
    for iid, codes in expect.get("conditions", {}).items():
        present = {c["code"] for c in bases[iid]["conditions"]}
        assert set(codes) <= present, present
    for iid, codes in expect.get("no_conditions", {}).items():
        present = {c["code"] for c in bases[iid]["conditions"]}
        assert not set(codes) & present, present
    for iid, articles in expect.get("citations", {}).items():
        cited = {c["article"] for c in bases[iid]["citations"]}
        assert set(articles) <= cited, cited
    for iid, when in expect.get("in_force_since", {}).items():
        assert bases[iid]["in_force_since"] == when.isoformat()
    for iid, words in expect.get("precedence", {}).items():
        assert words in (bases[iid]["precedence"] or "")
    for iid, article in expect.get("channel", {}).items():
        assert bases[iid]["channel"]["citations"][0]["article"] == article
    conflicts = [set(c["instruments"]) for c in result["conflicts"]]
    for wanted in expect.get("conflicts", []):
        assert set(wanted) in conflicts, result["conflicts"]
    context = {c["instrument"]: c for c in result["context"]}
    for iid, sides in expect.get("context", {}).items():
        for side, status in sides.items():
            assert context[iid][side] == status, context[iid]
