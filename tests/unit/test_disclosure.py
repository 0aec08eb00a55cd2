"""The disclosure rule of the public statistics (portal/disclosure.py), as a statistician
would check it: table-driven cases, then an attacker who solves the linear system of every
published table with linear programming and must still find each hidden cell anywhere
between its bounds."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
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
from judicare.portal.tables import DIMENSIONS, Observed, Row, outcome_rows, publish

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
    assert rows["all"].shown() == "7–14" and rows["open"].shown() == "6"


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


def _published(rows: Sequence[Row]) -> tuple[list[object], list[tuple[set[object], int, int]]]:
    """What the attacker reads: every detailed cell, and every row of every table as a sum of
    detailed cells."""
    detail = [r.key for r in rows if r.table == "detail"]
    figures = []
    for r in rows:
        members = {
            k for k in detail
            if all(v is None or v == k[i] for i, v in enumerate(r.key))
        }  # fmt: skip
        figures.append((members, r.requests.low, r.requests.high))
    return detail, figures


observations = st.lists(
    st.builds(
        Observed,
        requesting_state=st.sampled_from(["UKR", "KAZ", "RWA"]),
        requested_state=st.sampled_from(["BEL", "NLD"]),
        kind=st.sampled_from(["mla", "extradition"]),
        instrument=st.sampled_from(["lhc-2023", "none"]),
        year=st.sampled_from([2024, 2025]),
        days_to_decision=st.none() | st.integers(0, 400),
        days_to_execution=st.none() | st.integers(0, 800),
    ),
    max_size=120,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(observations)
def test_no_combination_of_tables_narrows_a_hidden_cell(observed):
    rows = publish(observed)
    true = {}
    for o in observed:
        true[o.key()] = true.get(o.key(), 0) + 1
    detail, figures = _published(rows)
    for members, low, high in figures:  # every figure is true
        assert low <= sum(true[m] for m in members) <= high
    bounds = attacker_bounds(detail, figures)
    for r in rows:
        if r.table != "detail":
            continue
        low, high = bounds[r.key]
        if r.requests.hidden:
            assert low <= 1 + 1e-6 and high >= 4 - 1e-6, (r.key, true[r.key], low, high)
            assert r.median_days_to_decision is None and r.median_days_to_execution is None
        else:
            assert r.requests.exact == true[r.key] >= 5
    assert all(r.requests.exact is None or r.requests.exact == 0 or r.requests.exact >= 5
               for r in rows)  # fmt: skip


def test_the_attacker_does_pin_a_cell_when_totals_come_from_the_data():
    """The check can fail: exact totals beside a hidden cell give it away."""
    cells = ["UKR-BEL", "KAZ-BEL"]
    naive = [({"UKR-BEL"}, 7, 7), ({"KAZ-BEL"}, 1, 4), ({"UKR-BEL", "KAZ-BEL"}, 10, 10)]
    assert attacker_bounds(cells, naive)["KAZ-BEL"] == pytest.approx((3, 3))


def test_a_pair_with_three_requests_is_hidden_in_every_table():
    observed = [Observed("UKR", "BEL", "mla", "lhc-2023", 2025, 10, 40) for _ in range(9)]
    observed += [Observed("RWA", "BEL", "mla", "lhc-2023", 2025, 12, 50) for _ in range(3)]
    rows = publish(observed)
    rwa = [r for r in rows if r.dimension("requesting_state") == "RWA"]
    assert {r.table for r in rwa} == {"detail", "pair"}
    assert all(r.requests.shown() == "<5" for r in rwa)
    for r in rows:
        if r.table in ("kind", "instrument", "year", "all"):
            assert r.requests.shown() == "10–13"  # 9 plus anything from 1 to 4
            assert r.median_days_to_decision == 10  # the nine only: the three are left out
    detail, figures = _published(rows)
    key = next(r.key for r in rwa if r.table == "detail")
    assert attacker_bounds(detail, figures)[key] == pytest.approx((1, 4))
    assert set(DIMENSIONS) == {"requesting_state", "requested_state", "kind", "instrument", "year"}
