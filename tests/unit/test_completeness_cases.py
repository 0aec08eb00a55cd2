"""Runs the lawyer-readable cases in src/judicare/screening/cases/completeness.yaml: what a
request must contain per kind and governing instrument, each item with its paragraph."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from judicare.screening.completeness import completeness
from judicare.screening.domain import RequestFacts
from judicare.screening.grounds import grounds_data

DOCUMENT = yaml.safe_load(
    (resources.files("judicare.screening") / "cases" / "completeness.yaml").read_text(
        encoding="utf-8"
    )
)


def _facts(case: dict) -> RequestFacts:
    return RequestFacts(
        requesting="BEL",
        requested="AUT",
        kind=case["kind"],
        crimes=(),
        measures=(),
        persons=(),
        instruments=frozenset(case["instruments"]),
        fields=dict.fromkeys(case["given"], True),
    )


@pytest.mark.parametrize("case", DOCUMENT["cases"], ids=[c["name"] for c in DOCUMENT["cases"]])
def test_case(case):
    report = completeness(_facts(case))
    assert report["rule"] == case["rule"]
    assert report["article"] == case["article"]
    assert report["missing"] == case["missing"]
    assert report["verified"] == case.get("verified", True)
    assert [a["rule"] for a in report["also"]] == case.get("also", [])
    cited = {i["item"]: i["article"] for i in report["items"]}
    for item, article in (case.get("cites") or {}).items():
        assert cited[item] == article, item
    for item in case.get("not_missing") or []:
        assert item not in report["missing"] and item not in cited, item
    if case["missing"]:
        assert report["draft_request_for_information"].startswith("Request for further")
    else:
        assert report["draft_request_for_information"] is None


def test_every_verified_rule_names_its_source_and_every_item_its_words():
    from judicare.screening.completeness import ITEM_TEXT
    from judicare.web.labels import COMPLETENESS_ITEM

    for rule in grounds_data()["required_contents"]:
        assert rule["source"] in grounds_data()["sources"], rule["id"]
        if rule["verified"]:
            assert grounds_data()["sources"][rule["source"]], rule["id"]  # a public address
        for entry in rule["items"]:
            item = entry["item"] if isinstance(entry, dict) else entry
            assert item in ITEM_TEXT and item in COMPLETENESS_ITEM, item
