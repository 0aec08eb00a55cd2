"""The name score's upper bound (judicare.persons.bound): it is never below the score it
bounds, and a screening that skips what it proves cannot reach the cutoff decides exactly
as one that scores every name."""

from __future__ import annotations

from importlib import resources
from itertools import product

import pytest
import yaml

from judicare.persons.bound import cannot_reach, name_score_bound
from judicare.persons.domain import PartialDate, PersonQuery, PersonRecord
from judicare.persons.fallback import FALLBACK_RATIO, FALLBACK_WEIGHT, best_whole_name_ratio
from judicare.persons.names import parse_name
from judicare.persons.points import IDENTIFICATION, SAFEGUARD, OperatingPoint
from judicare.persons.scoring import parse_names, quick_score, score_names
from judicare.persons.service import _may_reach

CASES = yaml.safe_load(
    (resources.files("judicare.persons") / "cases" / "name_pairs.yaml").read_text("utf-8")
)["cases"]
# The readable cases' names, and names that exercise what the bound must allow for: parts
# written as one word (a join), a father's name after bin (the kin rule), organisations
# with legal forms, titles, initials, particles, brackets.
NAMES = sorted(
    {c[k] for c in CASES for k in ("a", "b")}
    | {
        "Fridrich Buchenberg", "FridrichBuchenberg", "Friedrich Buchen Berg",
        "Salman bin Muhammad", "Muhammad bin Salman", "Muhammad bin Salman Al Saud",
        "Deutsche Bank AG", "Deutsche Bank GmbH", "Deutsche Bank (Schweiz) AG",
        "Deutsche Bank Trust Company", "President Erdoğan", "Recep Tayyip Erdoğan",
        "N. N. Nazarbayev", "Nursultan Nazarbayev", "Ludwig van Beethoven",
        "Jean-Claude Juncker", "JC Juncker", "Vanderbilt", "Van Der Bilt",
        "Zhanar Nurlankyzy Testbayeva", "Zhanar Akhmetova", "Libu Dira", "Libu Sasafa",
    }
)  # fmt: skip
POINTS = [SAFEGUARD, IDENTIFICATION]


@pytest.mark.parametrize("point", POINTS, ids=lambda p: p.name)
def test_the_bound_is_never_below_the_name_score(point: OperatingPoint):
    parsed = [parse_name(n) for n in NAMES]
    checked = 0
    for q, r in product(parsed, repeat=2):
        if not q.parts or not r.parts:
            continue
        score = score_names(q, r, explain=False, min_part=point.min_part_similarity,
                            conflict_cost=point.conflict_cost)[0]  # fmt: skip
        bound = name_score_bound(q, r, point.min_part_similarity, point.conflict_cost)
        assert bound is not None and bound >= score - 1e-12, (q.original, r.original, bound)
        checked += 1
    assert checked > 10_000


# Cases a lawyer can read: the query, a protected person's name, whether the bound alone
# proves that the name cannot reach the safeguard's cutoff (0.5; no birth date or
# nationality), and why.
PROVEN = [
    ("Libu Dira", "Libu Sasafa Hasadi", True,
     "one given name shared, the surnames nothing alike: at most 1 / (1 + 1 + 0.1)"),
    ("Libu Dira", "Libu Sasafa", False,
     "one given name shared, the other parts facing: exactly 1 / (1 + 1), the cutoff"),
    ("Zhanar Nurlankyzy Testbayeva", "Zhanar Akhmetova", True,
     "one part of three shared: two parts of the query cannot pair"),
    ("Libu Dira", "Libu Dira", False, "the same name: scored in full"),
    ("FridrichBuchenberg", "Fridrich Buchenberg", False,
     "one word against two run together (a join) may pair: scored in full"),
    ("Ivan Petrov", "Ivan Petrova", False, "surnames alike enough to pair: scored in full"),
]  # fmt: skip


@pytest.mark.parametrize(("query", "name", "proven", "why"), PROVEN, ids=[c[3] for c in PROVEN])
def test_what_the_bound_proves(query: str, name: str, proven: bool, why: str):
    proved = cannot_reach(
        parse_names((query,)), parse_name(name), SAFEGUARD.min_part_similarity,
        SAFEGUARD.conflict_cost, lambda most: most < SAFEGUARD.threshold,
    )  # fmt: skip
    assert proved is proven, why


def _reaches_scoring_every_name(query, query_parsed, record, point, cutoff) -> bool:
    """`_may_reach` as it was before the bound: every name scored."""
    best = 0.0
    min_part, conflict = point.min_part_similarity, point.conflict_cost
    for parsed in parse_names(tuple(dict.fromkeys(record.names))):
        quick = quick_score(query, query_parsed, record, (parsed,), min_part, conflict)
        if quick >= cutoff:
            return True
        best = max(best, quick)
    if not point.fallback:
        return False
    ratio = best_whole_name_ratio(query.names, record.names)[0]
    return ratio >= FALLBACK_RATIO and round(max(best, FALLBACK_WEIGHT * ratio / 100), 4) >= cutoff


@pytest.mark.parametrize("point", POINTS, ids=lambda p: p.name)
def test_screening_with_the_bound_decides_as_scoring_every_name(point: OperatingPoint):
    dates = (None, PartialDate(1952), PartialDate(1952, 10, 7), PartialDate(1990))
    differing = []
    cutoffs = (point.threshold, 0.0, point.threshold, 0.75, point.threshold, 0.9)
    for i, (a, b) in enumerate(list(product(NAMES, repeat=2))[::3]):  # a third: ~12,000
        query = PersonQuery((a,), dates[i % 4], ("RUS", None, "UKR")[i % 3])
        record = PersonRecord("refugees", str(i), (b, NAMES[(i * 7) % len(NAMES)]),
                              dates[(i // 4) % 4], "RUS")  # fmt: skip
        query_parsed = parse_names(query.names)
        cutoff = cutoffs[i % len(cutoffs)]
        old = _reaches_scoring_every_name(query, query_parsed, record, point, cutoff)
        if _may_reach(query, query_parsed, record, point, cutoff) != old:
            differing.append((a, b, cutoff))
    assert not differing
