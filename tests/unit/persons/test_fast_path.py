"""The query path scores without explaining; it must give the very score `score_pair` gives."""

from __future__ import annotations

from importlib import resources
from itertools import product

import yaml

from judicare.persons.domain import PartialDate, PersonQuery, PersonRecord
from judicare.persons.names import parse_name
from judicare.persons.scoring import (
    compare_parts,
    parse_names,
    part_similarity,
    quick_score,
    score_pair,
)

CASES = yaml.safe_load(
    (resources.files("judicare.persons") / "cases" / "name_pairs.yaml").read_text("utf-8")
)["cases"]
NAMES = sorted({c[k] for c in CASES for k in ("a", "b")})


def test_part_similarity_is_compare_parts_without_the_how():
    parts = [p for n in NAMES for p in parse_name(n).parts]
    for a, b in product(parts, repeat=2):
        assert part_similarity(a, b) == compare_parts(a, b).similarity, (a.forms, b.forms)


def test_quick_score_is_the_score_of_score_pair():
    dates = (None, PartialDate(1952), PartialDate(1952, 10, 7), PartialDate(1990))
    for i, (a, b) in enumerate(product(NAMES, repeat=2)):
        query = PersonQuery((a,), dates[i % 4], ("RUS", None, "UKR")[i % 3])
        record = PersonRecord("r", "1", (b, "Ivan Petrov"), dates[(i // 4) % 4], "RUS")
        quick = quick_score(query, parse_names(query.names), record, parse_names(record.names))
        assert quick == score_pair(query, record).score, (a, b)
