"""Complementary cell suppression and its audit (issue 19): which further figures to hide so
that no combination of published tables reveals a small count, and the linear-programming
proof that it does not. Pure: figures in, statuses and intervals out. Nothing here knows
about requests; `tables.py` builds the figures.

The model (the one of Fischetti and Salazar-González, "Models and algorithms for optimizing
cell suppression in tabular data with linear constraints", JASA 95 (2000) 916-928, which
tau-Argus and sdcTable implement; Hundepool et al., *Statistical Disclosure Control*, Wiley
2012, ch. 4):

- **Unknowns** are the finest counts, each with the least value the public knows it has (1
  for a combination published as a row, so known to be non-empty; 0 otherwise).
- **Figures** are what is published: each the sum of some unknowns. A figure is published
  exact, or hidden by its own mark because it is small (*primary*: "<5" states 1 to 4), or
  hidden because a small figure needs it hidden (*secondary*: "x" states "5 or more", which
  is all its mark can honestly say, as it is not "<5").
- **Unpublished primaries** (`Figure.published` false) are small counts that no table
  shows, such as a combination under a "<5" pair: sums of unknowns that state nothing to the
  attacker (no row bounds them) but that he must not narrow either. Their mark is the
  interval the rule protects (1 to 4); an unknown's least value may lie below it (0: the
  combination may be empty), which only widens what the attacker finds.
- **The attacker** knows every exact figure, every mark's bounds and every unknown's least
  value, and solves the linear programme: the least and the greatest value of a hidden figure
  over all tables that agree with what is published.
- **The protection rule.** For every primary figure, the attacker's least value must be the
  least its mark allows and the greatest the greatest it allows (for "<5": 1 and 4). The
  published tables together then say no more about it than "<5" does. In the terms of the
  literature, the lower protection level is its value minus 1 and the upper one 4 minus its
  value, the widest levels its mark leaves: not just "not pinned down", but not narrowed.

Choosing the secondary suppressions (`protect`) is the classic heuristic of that literature:
for each primary figure and each side (reach 1, reach 4), solve one linear programme that
finds a table agreeing with everything published, with the primary figure at the bound,
changing the exact figures as little as possible (weighted by `Figure.cost`, so that totals
stay exact whenever detailed cells can move instead); every figure it had to change is
hidden. Hiding only ever widens intervals, so a side once reached stays reached; and each
solution is itself a table the attacker cannot rule out, so it also certifies every other
primary figure that sits at a bound in it (fewer programmes to solve). One HiGHS model is
kept and changed between solves, so each solve starts from the last basis.

`audit` is the attacker, separately: it computes each primary figure's interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import highspy
import numpy as np
from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

INF = highspy.kHighsInf
TOLERANCE = 1e-6  # on integer counts; HiGHS works to 1e-7


class Status(StrEnum):
    EXACT = "exact"
    PRIMARY = "primary"  # small: hidden by its own mark
    SECONDARY = "secondary"  # hidden to protect a small one


@dataclass(frozen=True, slots=True)
class Figure:
    """One published figure: the sum of `members` (indices of unknowns), its true `value`,
    the bounds its mark states if it is primary (`mark`, None for a figure that is not
    small), and the price of changing it by one when choosing what else to hide (`cost`;
    None: it may never be hidden)."""

    members: tuple[int, ...]
    value: int
    mark: tuple[int, int] | None = None
    cost: float | None = 1.0
    published: bool = True  # False: a small count no table shows, protected all the same


@dataclass(frozen=True, slots=True)
class Problem:
    """The unknowns' true values and least known values, the figures, and what a secondary
    mark states ("at least `floor`")."""

    values: tuple[int, ...]
    lower: tuple[int, ...]
    figures: tuple[Figure, ...]
    floor: int

    def __post_init__(self) -> None:
        if len(self.values) != len(self.lower):
            raise ValueError("every unknown needs a value and a least known value")
        for i, (value, low) in enumerate(zip(self.values, self.lower, strict=True)):
            if not 0 <= low <= value:
                raise ValueError(
                    f"unknown {i}: needs 0 <= least value <= value, not {low}, {value}"
                )
        for j, f in enumerate(self.figures):
            if any(not 0 <= m < len(self.values) for m in f.members):
                raise ValueError(f"figure {j} adds up an unknown that does not exist")
            if f.value != sum(self.values[m] for m in f.members):
                raise ValueError(f"figure {j} is {f.value}, not the sum of its unknowns")
            if f.mark is not None and not f.mark[0] <= f.value <= f.mark[1]:
                raise ValueError(f"figure {j}: its mark {f.mark} would be false for {f.value}")
            if not f.published and f.mark is None:
                raise ValueError(f"figure {j} is not published: it is there to be protected")
            if f.mark is None and f.cost is not None and f.value < self.floor:
                raise ValueError(
                    f"figure {j} is {f.value}: a secondary mark (at least {self.floor}) "
                    "would be false, so it cannot be hidden (give it cost None)"
                )

    def matrix(self) -> csr_matrix:
        rows = [j for j, f in enumerate(self.figures) for _ in f.members]
        cols = [m for f in self.figures for m in f.members]
        shape = (len(self.figures), len(self.values))
        return csr_matrix((np.ones(len(cols)), (rows, cols)), shape=shape)


@dataclass(frozen=True, slots=True)
class Protection:
    """The status of every figure, and how many linear programmes it took."""

    status: tuple[Status, ...]
    programmes: int


class ProtectionError(ValueError):
    """A small figure that no set of suppressions can protect (`figure`: its index)."""

    def __init__(self, message: str, figure: int) -> None:
        super().__init__(message)
        self.figure = figure


def _bounds(problem: Problem, status: Sequence[Status], j: int) -> tuple[float, float]:
    f = problem.figures[j]
    if not f.published:
        return -INF, INF  # states nothing
    if status[j] is Status.PRIMARY:
        assert f.mark is not None
        return float(f.mark[0]), float(f.mark[1])
    if status[j] is Status.SECONDARY:
        return float(problem.floor), INF
    return float(f.value), float(f.value)


def _highs() -> highspy.Highs:
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")
    return h


def _add_rows(h: highspy.Highs, matrix: csr_matrix, low: np.ndarray, high: np.ndarray) -> None:
    h.addRows(
        matrix.shape[0], low, high, matrix.nnz,
        matrix.indptr[:-1].astype(np.int32), matrix.indices.astype(np.int32),
        matrix.data.astype(np.float64),
    )  # fmt: skip


class _Witness:
    """Which sides of which primary figures are reached, from any table the attacker cannot
    rule out (a feasible solution)."""

    def __init__(self, problem: Problem, primaries: list[int]) -> None:
        self.problem = problem
        self.primaries = primaries
        self.matrix = problem.matrix()[primaries]
        marks = [problem.figures[j].mark for j in primaries]
        self.low = np.array([m[0] for m in marks if m is not None], dtype=np.float64)
        self.high = np.array([m[1] for m in marks if m is not None], dtype=np.float64)
        if len(self.low) != len(primaries):
            raise ValueError("a primary figure needs its mark")
        self.reached_low = np.zeros(len(primaries), dtype=bool)
        self.reached_high = np.zeros(len(primaries), dtype=bool)

    def see(self, x: np.ndarray) -> None:
        sums = self.matrix @ x
        self.reached_low |= sums <= self.low + TOLERANCE
        self.reached_high |= sums >= self.high - TOLERANCE

    def pending(self) -> Iterable[tuple[int, int]]:
        """(position among primaries, side) not yet reached; side -1 is low, +1 high."""
        for k in range(len(self.primaries)):
            if not self.reached_low[k]:
                yield k, -1
            if not self.reached_high[k]:
                yield k, 1


def _attacker(problem: Problem, status: Sequence[Status]) -> highspy.Highs:
    """The attacker's model: the unknowns, each at least its least known value, and every
    published figure within the bounds it states."""
    n = len(problem.values)
    h = _highs()
    h.setOptionValue("simplex_strategy", 4)  # primal: the last solution stays feasible
    h.addCols(
        n, np.zeros(n), np.array(problem.lower, dtype=float), np.full(n, INF), 0,
        np.array([], dtype=np.int32), np.array([], dtype=np.int32), np.array([], dtype=float),
    )  # fmt: skip
    bounds = [_bounds(problem, status, j) for j in range(len(problem.figures))]
    _add_rows(
        h, problem.matrix(), np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    )
    return h


def _sweep(h: highspy.Highs, witness: _Witness) -> int:
    """Push every primary figure not yet at a bound towards it at once (the sum of those
    still to reach 1, minus the sum of those still to reach 4), until a sweep reaches no
    more: most figures are reached this way, a few need a programme of their own. Returns
    the number of programmes solved. (A combination that no row shows may have no greatest
    value at all, beside an "x": then the upward push is left to `_reach`.)"""
    costs = np.asarray(witness.matrix.sum(axis=0)).ravel() * 0
    programmes = 0
    upward = True  # False once the upward push has no greatest value
    while True:
        before = int(witness.reached_low.sum() + witness.reached_high.sum())
        todo = 0
        for side, reached in ((-1, witness.reached_low), (1, witness.reached_high)):
            if side > 0 and not upward:
                continue
            rows = witness.matrix[np.flatnonzero(~reached)]
            if rows.shape[0] == 0:
                continue
            costs = -side * np.asarray(rows.sum(axis=0)).ravel()
            columns = np.arange(len(costs), dtype=np.int32)
            h.changeColsCost(len(columns), columns, costs)
            h.run()
            programmes += 1
            todo += 1
            if side > 0 and h.getModelStatus() == highspy.HighsModelStatus.kUnbounded:
                upward = False
                continue
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                raise ValueError(f"the published figures do not agree: {h.getModelStatus()}")
            witness.see(np.array(h.getSolution().col_value)[: len(costs)])
        columns = np.arange(len(costs), dtype=np.int32)
        h.changeColsCost(len(columns), columns, np.zeros(len(columns)))
        if not todo or int(witness.reached_low.sum() + witness.reached_high.sum()) == before:
            return programmes


def _reach(
    h: highspy.Highs, problem: Problem, j: int, side: int, witness: _Witness
) -> float | None:
    """The attacker's programme for one side of figure `j` (side -1: least, +1: greatest):
    the value found, or None if that side's bound was reached (the witness is told; no
    greatest value at all reaches any bound)."""
    members = np.array(problem.figures[j].members, dtype=np.int32)
    h.changeColsCost(len(members), members, np.full(len(members), -float(side)))
    h.run()
    k = witness.primaries.index(j)
    if side > 0 and h.getModelStatus() == highspy.HighsModelStatus.kUnbounded:
        h.changeColsCost(len(members), members, np.zeros(len(members)))
        witness.reached_high[k] = True
        return None
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise ValueError(f"the published figures do not agree: {h.getModelStatus()}")
    values = np.array(h.getSolution().col_value)
    h.changeColsCost(len(members), members, np.zeros(len(members)))
    witness.see(values)
    if (witness.reached_low if side < 0 else witness.reached_high)[k]:
        return None
    return float(values[members].sum())


def protect(problem: Problem) -> Protection:
    """The statuses that meet the protection rule: primary figures hidden by their marks,
    and the fewest-cost further figures hidden as secondary suppressions. Raises
    ProtectionError where no suppression can protect a small figure."""
    figures = problem.figures
    n, count = len(problem.values), len(figures)
    status = [Status.PRIMARY if f.mark is not None else Status.EXACT for f in figures]
    primaries = [j for j, s in enumerate(status) if s is Status.PRIMARY]
    if not primaries:
        return Protection(tuple(status), 0)
    # columns: the unknowns, then for each figure its change up (+) and down (-)
    h = _highs()
    h.addCols(
        n, np.zeros(n), np.array(problem.lower, dtype=float), np.full(n, INF), 0,
        np.array([], dtype=np.int32), np.array([], dtype=np.int32), np.array([], dtype=float),
    )  # fmt: skip
    cost = np.array([0.0 if f.cost is None else f.cost for f in figures])
    movable = np.array(
        [
            s is Status.EXACT and f.cost is not None and f.published
            for s, f in zip(status, figures, strict=True)
        ]
    )
    up_high = np.where(movable, INF, 0.0)
    down_high = np.where(movable, [f.value - problem.floor for f in figures], 0.0)
    for high in (up_high, down_high):
        h.addCols(
            count, cost, np.zeros(count), high, 0,
            np.array([], dtype=np.int32), np.array([], dtype=np.int32), np.array([], dtype=float),
        )  # fmt: skip
    matrix = problem.matrix().tocoo()
    eye = np.arange(count)
    full = csr_matrix(
        (
            np.concatenate([matrix.data, -np.ones(count), np.ones(count)]),
            (np.concatenate([matrix.row, eye, eye]),
             np.concatenate([matrix.col, n + eye, n + count + eye])),
        ),
        shape=(count, n + 2 * count),
    )  # fmt: skip
    bounds = [_bounds(problem, status, j) for j in range(count)]
    _add_rows(h, full, np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds]))
    witness = _Witness(problem, primaries)
    attacker = _attacker(problem, status)
    programmes = _sweep(attacker, witness)  # what is safe as it stands
    for k, side in list(witness.pending()):
        if (witness.reached_low if side < 0 else witness.reached_high)[k]:
            continue  # reached meanwhile, by another solution
        j = primaries[k]
        programmes += 1
        if _reach(attacker, problem, j, side, witness) is None:
            continue  # safe without another suppression
        target = float(figures[j].mark[0] if side < 0 else figures[j].mark[1])  # type: ignore[index]
        h.changeRowBounds(j, target, target)
        h.run()
        programmes += 1
        feasible = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        values = np.array(h.getSolution().col_value) if feasible else None
        h.changeRowBounds(j, *_bounds(problem, status, j))
        if values is None:
            raise ProtectionError(
                f"figure {j} ({figures[j].value}) cannot be shown to be anywhere in "
                f"{figures[j].mark} by hiding other figures",
                j,
            )
        changed = np.flatnonzero(
            (values[n : n + count] > TOLERANCE) | (values[n + count :] > TOLERANCE)
        )
        for i in changed:
            status[i] = Status.SECONDARY
            h.changeColBounds(n + int(i), 0.0, 0.0)
            h.changeColBounds(n + count + int(i), 0.0, 0.0)
            h.changeRowBounds(int(i), *_bounds(problem, status, int(i)))
            attacker.changeRowBounds(int(i), *_bounds(problem, status, int(i)))
        witness.see(values[:n])
    return Protection(tuple(status), programmes)


@dataclass(frozen=True, slots=True)
class Audit:
    """The attacker's interval for each primary figure, and whether the rule holds."""

    intervals: dict[int, tuple[float, float]]
    programmes: int

    def failures(self, problem: Problem) -> list[int]:
        out = []
        for j, (low, high) in self.intervals.items():
            mark = problem.figures[j].mark
            assert mark is not None
            if low > mark[0] + TOLERANCE or high < mark[1] - TOLERANCE:
                out.append(j)
        return out


def audit(problem: Problem, status: Sequence[Status]) -> Audit:
    """The attacker: for each primary figure (published or not), the least and greatest
    value over all tables that agree with the published figures (exact values, the marks'
    bounds) and with the unknowns' least values. One model, the objective changed between
    solves; a side already at its mark's bound in an earlier solution needs no programme of
    its own."""
    if len(status) != len(problem.figures):
        raise ValueError("one status per figure")
    pairs = zip(problem.figures, status, strict=True)
    if any(not f.published and s is not Status.PRIMARY for f, s in pairs):
        raise ValueError("an unpublished figure is a primary one")
    primaries = [j for j, s in enumerate(status) if s is Status.PRIMARY]
    h = _attacker(problem, status)
    witness = _Witness(problem, primaries)
    programmes = _sweep(h, witness)
    found: dict[int, list[float | None]] = {j: [None, None] for j in primaries}
    for k, side in list(witness.pending()):
        j = primaries[k]
        if (witness.reached_low if side < 0 else witness.reached_high)[k]:
            continue
        programmes += 1
        found[j][0 if side < 0 else 1] = _reach(h, problem, j, side, witness)
    intervals = {}
    for k, j in enumerate(primaries):
        mark = problem.figures[j].mark
        assert mark is not None
        low = float(mark[0]) if witness.reached_low[k] else found[j][0]
        high = float(mark[1]) if witness.reached_high[k] else found[j][1]
        assert low is not None and high is not None
        intervals[j] = (low, high)
    return Audit(intervals, programmes)
