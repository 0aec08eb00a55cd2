"""Exact totals with complementary suppression (portal/suppression.py, portal/tables.py), as
a statistician would check them: the cases of portal/cases/suppression.yaml, then an
attacker written here independently of the code under test, who reads only the published
rows, solves the linear programme of every table at once (scipy's linprog) and must still
find every "<5" anywhere from 1 to 4."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from judicare.portal import disclosure, suppression, tables
from judicare.portal.suppression import Figure, Problem, ProtectionError, Status, audit, protect
from judicare.portal.tables import DIMENSIONS, Observed, Row, publish, suppress

CASES = yaml.safe_load(
    (Path(disclosure.__file__).parent / "cases" / "suppression.yaml").read_text(encoding="utf-8")
)
Key = tuple
Published = tuple[str, Key, int, int | None]  # table, key, low, high (None: no upper bound)


def observations(lines: Sequence[str]) -> list[Observed]:
    out = []
    for line in lines:
        requesting, requested, kind, instrument, year, count = line.split()
        out += [Observed(requesting, requested, kind, instrument, int(year), None, None)] * int(
            count
        )
    return out


def as_published(rows: Sequence[Row]) -> list[Published]:
    return [(r.table, r.key, r.requests.low, r.requests.high) for r in rows]


def attacker(
    rows: Sequence[Published], hidden: Sequence[Key] = (), withheld: Sequence[str] = ()
) -> dict[tuple[str, Key], tuple[float, float]]:
    """For every "<5" row, and for every combination in `hidden` (keyed ("cell", key)), the
    least and greatest value over all detailed tables that agree with every published row.
    What the attacker knows: a published detailed row has at least one request; a
    combination that is not published and not under a "<5" total has none, unless the
    detailed table is `withheld`; a combination under a "<5" total (whose breakdown is not
    published) may have any number, its categories being among the published ones; "<5" is
    1 to 4, "x" at least 5. A combination in `hidden` that the attacker does not consider
    is one he believes empty (0, 0), unless the total alone is published: then nothing says
    which combinations exist, and each is anywhere from 0 to the total."""
    pairs = [k[:2] for t, k, *_ in rows if t == "pair"]
    kinds = [k[2] for t, k, *_ in rows if t == "kind"]
    instruments = [k[3] for t, k, *_ in rows if t == "instrument"]
    years = [k[4] for t, k, *_ in rows if t == "year"]
    lower: dict[Key, int] = {k: 1 for t, k, *_ in rows if t == "detail"}
    small = [(t, k) for t, k, low, high in rows if high is not None and low != high]
    if [t for t, *_ in rows] == ["all"]:
        ((_, _, low, high),) = rows
        found = {("cell", key): (0.0, float("inf") if high is None else float(high))
                 for key in hidden}  # fmt: skip
        if ("all", rows[0][1]) in small:
            found[("all", rows[0][1])] = (float(low), float(high))  # type: ignore[arg-type]
        return found
    opened = list(small)
    if "detail" in withheld:
        opened += [(t, k) for t, k, *_ in rows if t == "all"]
    for _, key in opened:
        for pair, kind, instrument, year in itertools.product(pairs, kinds, instruments, years):
            combination = (*pair, kind, instrument, year)
            if all(v is None or v == c for v, c in zip(key, combination, strict=True)):
                lower.setdefault(combination, 0)
    cells = list(lower)
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    member = {}
    for table, key, low, high in rows:
        line = np.array([
            1.0 if all(v is None or v == c for v, c in zip(key, cell, strict=True)) else 0.0
            for cell in cells
        ])  # fmt: skip
        member[(table, key)] = line
        if low == high:
            a_eq.append(line)
            b_eq.append(low)
            continue
        a_ub.append(-line)
        b_ub.append(-low)
        if high is not None:
            a_ub.append(line)
            b_ub.append(high)
    found = {}
    targets = list(small)
    for combination in hidden:
        if combination in lower:
            member[("cell", combination)] = np.array([float(c == combination) for c in cells])
            targets.append(("cell", combination))
        else:
            found[("cell", combination)] = (0.0, 0.0)  # the attacker knows it is empty
    for row in targets:
        bounds = []
        for sign in (1, -1):
            result = linprog(
                sign * member[row], A_ub=np.array(a_ub) if a_ub else None, b_ub=b_ub or None,
                A_eq=np.array(a_eq) if a_eq else None, b_eq=b_eq or None,
                bounds=[(lower[c], None) for c in cells], method="highs",
            )  # fmt: skip
            if sign < 0 and result.status == 3:  # no greatest value (beside an "x")
                bounds.append(float("inf"))
                continue
            assert result.status == 0, result.message  # the published rows agree
            bounds.append(sign * result.fun)
        found[row] = (bounds[0], bounds[1])
    return found


def unseen(observed: Sequence[Observed], rows: Sequence[Row]) -> list[Key]:
    """The finest combinations (pair of states, kind, instrument, year) with 1 to 4 requests
    that no detailed row shows: what the rule protects beyond the published "<5"."""
    shown = {r.key for r in rows if r.table == "detail"}
    true = Counter(o.key() for o in observed)
    return sorted(
        (k for k, n in true.items() if n < disclosure.THRESHOLD and k not in shown), key=str
    )


def assert_protected(observed: Sequence[Observed], publication: tables.Publication) -> None:
    """The attacker, reading the published rows alone, finds every "<5" anywhere from 1 to
    4, and cannot narrow any unpublished combination of 1 to 4 requests within 1 to 4."""
    rows = publication.rows
    hidden = unseen(observed, rows)
    found = attacker(as_published(rows), hidden, publication.withheld)
    assert len(found) == sum(r.requests.shown() == "<5" for r in rows) + len(hidden)
    true = Counter(o.key() for o in observed)  # (in the message: the failing example)
    for row, (low, high) in found.items():
        if row[0] == "cell":
            assert low <= 1 + 1e-6 and high >= 4 - 1e-6, (row, low, high, true)
        else:
            assert (low, high) == pytest.approx((1, 4)), (row, low, high, true)


def _line(row: Row) -> str:
    words = [row.table, *(str(v) for v in row.key if v is not None), row.requests.shown()]
    return " ".join(words)


@pytest.mark.parametrize("case", [pytest.param(c, id=c["name"]) for c in CASES])
def test_the_published_tables(case):
    observed = observations(case["requests"])
    publication = suppress(observed)
    assert [_line(r) for r in publication.rows] == case["published"]
    assert list(publication.withheld) == case.get("withheld", [])
    assert_protected(observed, publication)


def test_the_demo_datas_hidden_combination_is_not_given_away_by_subtraction():
    """The demo data (UKR→BEL: 5 MLA and 2 extradition requests; KAZ→BEL: 1 MLA; all 2026,
    no basis): with MLA 6 and the UKR→BEL MLA row 5 both exact, KAZ→BEL MLA = 6 − 5 = 1,
    although that combination is never published. Now the attacker cannot narrow it."""
    observed = observations(
        ["UKR BEL mla none 2026 5", "UKR BEL extradition none 2026 2", "KAZ BEL mla none 2026 1"]
    )
    publication = suppress(observed)
    kaz = ("KAZ", "BEL", "mla", "none", 2026)
    assert kaz in unseen(observed, publication.rows)
    low, high = attacker(as_published(publication.rows), [kaz], publication.withheld)[("cell", kaz)]
    assert low <= 1 and high >= 4 - 1e-6, (low, high)
    assert_protected(observed, publication)
    found = audit(publication.problem, publication.status)
    assert found.failures(publication.problem) == []


def test_the_same_tables_without_complementary_suppression_give_the_small_pair_away():
    """The check can fail: with the neighbour exact, the attacker finds the 3."""
    rows = as_published(publish(observations(CASES[0]["requests"])))
    naive = [
        (t, k, 9, 9) if k[0] == "UKR" else (t, k, low, high)
        for t, k, low, high in rows
    ]  # fmt: skip
    rwa = ("pair", ("RWA", "BEL", None, None, None))
    assert attacker(naive)[rwa] == pytest.approx((3, 3))


def test_the_audit_finds_what_the_attacker_finds():
    observed = observations(CASES[2]["requests"])
    publication = suppress(observed)
    found = audit(publication.problem, publication.status)
    assert found.failures(publication.problem) == []
    exposed = [Status.EXACT if s is Status.SECONDARY else s for s in publication.status]
    narrowed = audit(publication.problem, exposed)
    # once "x" is shown: the small kind, and the one combination under it, never published
    j, k = narrowed.failures(publication.problem)
    assert publication.rows[j].table == "kind" and narrowed.intervals[j] == pytest.approx((2, 2))
    assert k >= len(publication.rows) and not publication.problem.figures[k].published
    assert narrowed.intervals[k] == pytest.approx((2, 2))


# --- the pure function, on figures -----------------------------------------------------------


def test_a_row_and_its_total():
    """Cells 9 and 3 and their exact total: the 9 is hidden, the total stays exact."""
    problem = Problem(
        values=(9, 3), lower=(1, 1), floor=5,
        figures=(Figure((0,), 9), Figure((1,), 3, (1, 4)), Figure((0, 1), 12, None, 100.0)),
    )  # fmt: skip
    protection = protect(problem)
    assert protection.status == (Status.SECONDARY, Status.PRIMARY, Status.EXACT)
    assert audit(problem, protection.status).intervals == {1: pytest.approx((1, 4))}


def test_an_unpublished_combination_is_protected_like_a_published_small_one():
    """The demo data in figures: a shown cell 5 and a combination 1 that no row shows, their
    exact total 6. The total would give the 1 away (6 − 5), so the total is hidden."""
    unshown = Figure((1,), 1, (1, 4), None, published=False)
    problem = Problem(
        values=(5, 1), lower=(1, 0), floor=5,
        figures=(Figure((0,), 5), Figure((0, 1), 6, None, 100.0), unshown),
    )  # fmt: skip
    exposed = (Status.EXACT, Status.EXACT, Status.PRIMARY)
    assert audit(problem, exposed).intervals == {2: pytest.approx((1, 1))}
    protection = protect(problem)
    assert protection.status == (Status.EXACT, Status.SECONDARY, Status.PRIMARY)
    assert audit(problem, protection.status).intervals == {2: pytest.approx((1, 4))}


def test_a_cell_that_cannot_be_hidden_forces_the_total():
    """The 9 may not be hidden (cost None): the total must go instead."""
    problem = Problem(
        values=(9, 3), lower=(1, 1), floor=5,
        figures=(Figure((0,), 9, None, None), Figure((1,), 3, (1, 4)), Figure((0, 1), 12)),
    )  # fmt: skip
    assert protect(problem).status == (Status.EXACT, Status.PRIMARY, Status.SECONDARY)


def test_nothing_can_protect_a_small_cell_beside_fixed_figures():
    problem = Problem(
        values=(9, 3), lower=(1, 1), floor=5,
        figures=(Figure((0,), 9, None, None), Figure((1,), 3, (1, 4)), Figure((0, 1), 12, None, None)),
    )  # fmt: skip
    with pytest.raises(ProtectionError, match="cannot be shown"):
        protect(problem)


def test_bad_problems_are_refused():
    with pytest.raises(ValueError, match="not the sum"):
        Problem((2,), (0,), (Figure((0,), 3, (1, 4)),), 5)
    with pytest.raises(ValueError, match="would be false"):
        Problem((7,), (0,), (Figure((0,), 7, (1, 4)),), 5)
    with pytest.raises(ValueError, match="secondary mark"):
        Problem((3,), (0,), (Figure((0,), 3),), 5)
    with pytest.raises(ValueError, match="does not exist"):
        Problem((3,), (0,), (Figure((1,), 3, (1, 4)),), 5)
    with pytest.raises(ValueError, match="least value"):
        Problem((3,), (4,), (), 5)
    with pytest.raises(ValueError, match="it is there to be protected"):
        Problem((3,), (0,), (Figure((0,), 3, None, None, published=False),), 5)
    with pytest.raises(ValueError, match="unpublished figure is a primary"):
        audit(
            Problem((3,), (0,), (Figure((0,), 3, (1, 4), None, published=False),), 5),
            [Status.EXACT],
        )
    with pytest.raises(ValueError, match="one status per figure"):
        audit(Problem((3,), (0,), (Figure((0,), 3, (1, 4)),), 5), [])
    assert suppression.TOLERANCE < 0.5  # counts are whole numbers


# --- the property: whatever the requests, every "<5" stays 1 to 4 ---------------------------

requests = st.lists(
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
    max_size=150,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests)
def test_no_combination_of_tables_narrows_a_small_count(observed):
    publication = suppress(observed)
    rows = publication.rows
    true = Counter(o.key() for o in observed)
    for r in rows:  # every published figure is true, and says what it should
        value = sum(n for k, n in true.items() if all(v is None or v == c for v, c in zip(r.key, k, strict=True)))  # fmt: skip
        assert r.requests.low <= value and (r.requests.high is None or value <= r.requests.high)
        assert r.requests.shown() in {str(value), "<5", "x"}
        assert (r.requests.shown() == "<5") == (value < disclosure.THRESHOLD)
        if value < disclosure.THRESHOLD:
            assert r.median_days_to_decision is None and r.median_days_to_execution is None
    total = sum(true.values())
    if total >= disclosure.THRESHOLD:
        assert [r.requests.shown() for r in rows if r.table == "all"] in ([str(total)], ["x"])
    assert_protected(observed, publication)
    assert set(DIMENSIONS) == {"requesting_state", "requested_state", "kind", "instrument", "year"}
