"""Runs the lawyer-readable cases of the formal documents: which kind fits which request
(src/judicare/formal_documents/cases/kinds.yaml) and what a document may disclose to the
requesting state (cases/disclosure.yaml)."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from judicare.formal_documents import disclosure, kinds


def _cases(name: str) -> dict:
    text = (resources.files("judicare.formal_documents") / "cases" / name).read_text("utf-8")
    return yaml.safe_load(text)


KINDS = _cases("kinds.yaml")
DISCLOSURE = _cases("disclosure.yaml")


@pytest.mark.parametrize("case", KINDS["cases"], ids=lambda c: c["name"])
def test_which_document_fits(case):
    case = {**KINDS["defaults"], **case}
    shape = kinds.RequestShape(
        direction=case["direction"],
        kind=case["kind"],
        status=case["status"],
        legal_basis=case["basis"],
        missing=tuple(case["missing"]),
        has_effective_decision=case["decided"],
        outcome=case["outcome"],
        documents=case["documents"],
        information_approved=case["informed"],
    )
    found = kinds.fit(case["document"], shape)
    assert found.fits is case["fits"], found.reason
    if case["fits"]:
        assert [f"{c.instrument} {c.article}" for c in found.citations] == case["cites"]
        assert all(c.verified and c.source_url.startswith("https://") for c in found.citations)
    else:
        assert found.reason and found.reason != "fits"


def test_every_kind_has_cases_that_fit_and_that_do_not():
    for kind in kinds.KINDS:
        outcomes = {c["fits"] for c in KINDS["cases"] if c["document"] == kind}
        assert outcomes == {True, False}, kind


@pytest.mark.parametrize("case", DISCLOSURE["cases"], ids=lambda c: c["name"])
def test_what_a_document_discloses(case):
    found = disclosure.decide(
        case["item"], case["recipient"],
        instrument=case.get("instrument"), finding=case.get("finding"),
    )  # fmt: skip
    assert found.disclose is case["disclose"], found.reason


def test_an_unknown_kind_names_the_kinds():
    with pytest.raises(kinds.UnknownKind, match="letter_of_request, extradition_request"):
        kinds.parse_kind("letter")


def test_the_payload_loses_the_protected_status_only_towards_the_requesting_state():
    payload = {"kind": "mla", "persons": [{"role": "witness", "protected_status": "refugee"}]}
    out = disclosure.disclosed_request(payload, disclosure.Recipient.REQUESTING_STATE)
    assert out["persons"] == [{"role": "witness"}]
    assert payload["persons"][0]["protected_status"] == "refugee"  # a copy
    kept = disclosure.disclosed_request(payload, disclosure.Recipient.OWN_FILE)
    assert kept["persons"][0]["protected_status"] == "refugee"
