"""Runs the readable name pairs in src/judicare/persons/cases/name_pairs.yaml."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from judicare.persons.domain import PersonQuery, PersonRecord
from judicare.persons.scoring import DEFAULT_THRESHOLD, score_pair

CASES = yaml.safe_load(
    (resources.files("judicare.persons") / "cases" / "name_pairs.yaml").read_text("utf-8")
)["cases"]


def test_there_are_matches_and_non_matches():
    assert sum(c["match"] for c in CASES) >= 15
    assert sum(not c["match"] for c in CASES) >= 5


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['a']} ~ {c['b']}")
def test_name_pair(case):
    for a, b in ((case["a"], case["b"]), (case["b"], case["a"])):  # symmetric in effect
        candidate = score_pair(PersonQuery((a,)), PersonRecord("r", "1", (b,)))
        assert (candidate.score >= DEFAULT_THRESHOLD) == case["match"], (
            case["why"],
            candidate.explanation,
        )
