"""The disclosure rule of the public statistics (portal/disclosure.py), as a statistician
would check it: table-driven cases of primary suppression and medians, and an attacker who
solves linear systems (the complementary suppression of exact totals is checked in
test_suppression.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from judicare.portal import disclosure
from judicare.portal.disclosure import (
    Count,
    cell,
    margin_median,
    median_days,
    outcome_counts,
    total,
)
from judicare.portal.tables import DIMENSIONS, Observed, outcome_rows, publish

# --- the rule, case by case (portal/cases/disclosure.yaml) ---------------------------------

CASES = yaml.safe_load(
    (Path(disclosure.__file__).parent / "cases" / "disclosure.yaml").read_text(encoding="utf-8")
)


def _cases(section: str) -> list:
    return [pytest.param(c, id=c["name"]) for c in CASES[section]]


@pytest.mark.parametrize("case", _cases("cells"))
def test_primary_suppression(case):
    published = cell(case["count"], zero_discloses=case["zero_discloses"])
    assert (published.shown(), published.low, published.high) == (
        case["shown"],
        case["low"],
        case["high"],
    )
    assert published.hidden == (case["low"] != case["high"])


@pytest.mark.parametrize("case", _cases("totals"))
def test_a_total_comes_from_the_published_cells(case):
    assert total(cell(n) for n in case["counts"]).shown() == case["shown"]


@pytest.mark.parametrize("case", _cases("medians"))
def test_a_median_needs_five_observations(case):
    assert median_days(case["days"]) == case["median"]


def test_a_margin_median_leaves_out_the_cells_that_withhold_their_own():
    assert margin_median([[1, 2, 3, 4, 5], [9, 9, 9, 9, 9]]) == 7
    assert margin_median([[1, 2, 3, 4, 5], [100]]) == 3  # the one case is left out
    assert margin_median([[1, 2, 3, 4, 5], []]) == 3
    assert margin_median([[1, 2], [100, 100, 100]]) is None  # no cell gives its own
    assert margin_median([]) is None


def test_outcome_zeros_are_hidden_unless_no_one_is_counted():
    shown = {k: c.shown() for k, c in outcome_counts({"convicted": 3, "acquitted": 0}).items()}
    assert shown == {"convicted": "<5", "acquitted": "<5"}
    empty = {k: c.shown() for k, c in outcome_counts({"convicted": 0, "acquitted": 0}).items()}
    assert empty == {"convicted": "0", "acquitted": "0"}
    rows = dict(outcome_rows({"open": 6, "convicted": 2, "acquitted": 0}))
    # an exact total and 6 open would give convicted + acquitted = 2 away: both are hidden
    assert {k: c.shown() for k, c in rows.items()} == {
        "open": "x", "convicted": "<5", "acquitted": "<5", "all": "x"
    }  # fmt: skip
    assert dict(outcome_rows({"open": 20, "convicted": 7, "acquitted": 1}))["all"].shown() == "28"


def _outcome_attack(counts: dict[str, int]) -> None:
    """The attacker reads the published outcome rows alone: every "<5" category (0 to 4)
    must still be anywhere from 0 to 4, and a "<5" total anywhere from 1 to 4."""
    rows = outcome_rows(counts)
    assert [k for k, _ in rows] == [*counts, "all"]
    everything = sum(counts.values())
    for name, count in rows:  # each published figure is true
        value = everything if name == "all" else counts[name]
        assert count.low <= value and (count.high is None or value <= count.high)
        assert count.shown() in {str(value), "<5", "x"}
        assert (count.shown() == "<5") == (value < disclosure.THRESHOLD and everything > 0)
    cells = list(counts)
    published = [
        (set(cells) if name == "all" else {name}, c.low, 10**6 if c.high is None else c.high)
        for name, c in rows
    ]
    found = attacker_bounds(cells, published)
    for name, count in rows:
        if count.shown() != "<5":
            continue
        if name == "all":  # the attacker's least and greatest total
            a_ub = np.array([[1.0 if c in m else 0.0 for c in cells] for m, _, _ in published])
            b = [(low, high) for _, low, high in published]
            totals = [
                sign * linprog(
                    np.full(len(cells), float(sign)), A_ub=np.vstack([a_ub, -a_ub]),
                    b_ub=[h for _, h in b] + [-low for low, _ in b], method="highs",
                ).fun
                for sign in (1, -1)
            ]  # fmt: skip
            assert totals == pytest.approx([1, 4])
        else:
            assert found[name] == pytest.approx((0, 4)), (name, found[name])


@pytest.mark.parametrize(
    "counts",
    [
        {"open": 6, "convicted": 2, "acquitted": 0},
        {"open": 1, "convicted": 0, "acquitted": 1},
        {"open": 20, "convicted": 7, "acquitted": 1, "discontinued": 0},
        {"open": 5, "convicted": 0, "acquitted": 0},
        {"open": 0, "convicted": 0, "acquitted": 0},
        {"open": 9, "convicted": 4, "acquitted": 4, "discontinued": 4},
    ],
)
def test_no_combination_of_outcome_rows_narrows_a_small_count(counts):
    _outcome_attack(counts)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=3, max_size=7))
def test_outcome_rows_protect_every_small_count(values):
    _outcome_attack({f"outcome{i}": v for i, v in enumerate(values)})


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="negative"):
        cell(-1)
    with pytest.raises(ValueError, match="low <= high"):
        Count(3, 2)
    with pytest.raises(ValueError, match="negative"):
        median_days([1, 2, 3, 4, -5])


# --- the attacker ---------------------------------------------------------------------------


def attacker_bounds(
    cells: Sequence[object], published: Sequence[tuple[set[object], int, int]]
) -> dict[object, tuple[float, float]]:
    """For each cell, the least and greatest value that satisfies every published figure
    (a set of cells adding up to between `low` and `high`), cells being non-negative."""
    index = {c: i for i, c in enumerate(cells)}
    a_ub, b_ub, a_eq, b_eq = [], [], [], []
    for members, low, high in published:
        row = np.zeros(len(cells))
        for m in members:
            row[index[m]] = 1
        if low == high:
            a_eq.append(row)
            b_eq.append(low)
        else:
            a_ub += [row, -row]
            b_ub += [high, -low]
    bounds = {}
    for c, i in index.items():
        found = []
        for sign in (1, -1):
            objective = np.zeros(len(cells))
            objective[i] = sign
            result = linprog(
                objective, A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None,
                A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None,
                bounds=(0, None), method="highs",
            )  # fmt: skip
            assert result.status == 0, result.message  # the published tables are consistent
            found.append(sign * result.fun)
        bounds[c] = (found[0], found[1])
    return bounds


def test_the_attacker_does_pin_a_cell_when_totals_come_from_the_data():
    """The check can fail: exact totals beside a hidden cell give it away."""
    cells = ["UKR-BEL", "KAZ-BEL"]
    naive = [({"UKR-BEL"}, 7, 7), ({"KAZ-BEL"}, 1, 4), ({"UKR-BEL", "KAZ-BEL"}, 10, 10)]
    assert attacker_bounds(cells, naive)["KAZ-BEL"] == pytest.approx((3, 3))


def test_a_pair_with_three_requests_is_hidden_and_the_totals_are_exact():
    observed = [Observed("UKR", "BEL", "mla", "lhc-2023", 2025, 10, 40) for _ in range(9)]
    observed += [Observed("RWA", "BEL", "mla", "lhc-2023", 2025, 12, 50) for _ in range(3)]
    rows = publish(observed)
    rwa = [r for r in rows if r.dimension("requesting_state") == "RWA"]
    assert [(r.table, r.requests.shown()) for r in rwa] == [("pair", "<5")]  # no breakdown
    ukr = [r for r in rows if r.dimension("requesting_state") == "UKR"]
    assert [(r.table, r.requests.shown()) for r in ukr] == [("detail", "x"), ("pair", "x")]
    for r in rows:
        if r.table in ("kind", "instrument", "year", "all"):
            assert r.requests.shown() == "12"
            assert r.median_days_to_decision == 10  # the nine only: the three are left out
    assert ukr[0].median_days_to_decision == 10  # an "x" keeps its median
    assert set(DIMENSIONS) == {"requesting_state", "requested_state", "kind", "instrument", "year"}


def test_a_count_hidden_to_protect_a_small_one():
    hidden = disclosure.secondary()
    assert (hidden.shown(), hidden.low, hidden.high, hidden.hidden) == ("x", 5, None, True)
    assert total([Count(6, 6), hidden]).shown() == "x"
