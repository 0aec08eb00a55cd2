"""Benchmark and audit: the portal's suppressed statistics on synthetic requests.

Draws N fictional incoming requests (pairs of states with very unequal frequencies, so that
many cells are small), publishes them with exact totals (`portal.tables.suppress`: primary
suppression, then complementary suppression chosen by linear programming), then certifies
the result twice:
- `portal.suppression.audit`: the attacker's least and greatest value of every "<5" figure,
  and of every combination of 1 to 4 requests that no row shows,
  over all tables that agree with every published row (one HiGHS model, warm-started,
  sweeps that push every figure at once, then one programme per side still open);
- the baseline, the way the earlier audit did it: `scipy.optimize.linprog` from scratch for
  each side of each figure, on a random sample of the "<5" figures (`--sample`), whose
  intervals must agree with the fast audit; its time per figure, times the number of
  figures, is the baseline's estimated time, printed beside the fast audit's as a ratio.

Run: `.venv/bin/python -m bench.portal_statistics` (`--requests N`, `--seed S`, `--sample K`).
"""

from __future__ import annotations

import argparse
import os
import random
import time

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import vstack

from judicare.portal.suppression import Problem, Status, audit
from judicare.portal.tables import DIMENSIONS, Observed, suppress

STATES = ["UKR", "KAZ", "RWA", "DEU", "FRA", "NLD", "BEL", "ARG", "SEN", "COL", "BIH", "LTU"]
KINDS = ["mla", "extradition", "provisional_arrest", "transfer_of_proceedings"]
INSTRUMENTS = ["lhc-2023", "none", "echr-mla-1959", "rome-1998"]


def synthetic(count: int, seed: int) -> list[Observed]:
    rng = random.Random(seed)
    weights = [1 / (i + 1) ** 1.5 for i in range(len(STATES))]  # a few busy pairs, many rare
    out = []
    for _ in range(count):
        requesting, requested = rng.choices(STATES, weights, k=2)
        decided = rng.randint(5, 400) if rng.random() < 0.8 else None
        out.append(Observed(
            requesting, requested, rng.choices(KINDS, [8, 3, 1, 1])[0],
            rng.choices(INSTRUMENTS, [4, 3, 2, 1])[0], rng.choice([2024, 2025, 2026]),
            decided, decided + rng.randint(10, 300) if decided and rng.random() < 0.7 else None,
        ))  # fmt: skip
    return out


def baseline_interval(problem: Problem, status: tuple[Status, ...], j: int) -> tuple[float, float]:
    """One figure's interval the slow way: `linprog` from scratch, one call per side."""
    matrix = problem.matrix()
    eq = [i for i, s in enumerate(status) if s is Status.EXACT]
    # (a combination no row shows states nothing: it is only protected)
    ub = [i for i, s in enumerate(status) if s is not Status.EXACT and problem.figures[i].published]
    marks = {i: f.mark for i, f in enumerate(problem.figures) if f.mark is not None}
    lows = [marks[i][0] if status[i] is Status.PRIMARY else problem.floor for i in ub]
    highs = [marks[i][1] if status[i] is Status.PRIMARY else np.inf for i in ub]
    finite = [k for k, h in enumerate(highs) if h != np.inf]
    a_ub = vstack([matrix[[ub[k] for k in finite]], -matrix[ub]])
    b_ub = [highs[k] for k in finite] + [-low for low in lows]
    found = []
    for sign in (1, -1):
        c = sign * matrix[j].toarray().ravel()
        result = linprog(
            c, A_ub=a_ub, b_ub=b_ub, A_eq=matrix[eq],
            b_eq=[problem.figures[i].value for i in eq],
            bounds=[(low, None) for low in problem.lower], method="highs",
        )  # fmt: skip
        assert result.status == 0, result.message
        found.append(sign * result.fun)
    return found[0], found[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--sample", type=int, default=20)
    args = parser.parse_args()
    observed = synthetic(args.requests, args.seed)
    started, cpu = time.perf_counter(), time.process_time()
    publication = suppress(observed)
    publish_s, publish_cpu = time.perf_counter() - started, time.process_time() - cpu
    rows, problem, status = publication.rows, publication.problem, publication.status
    started, cpu = time.perf_counter(), time.process_time()
    found = audit(problem, status)
    audit_s, audit_cpu = time.perf_counter() - started, time.process_time() - cpu
    failures = found.failures(problem)
    primaries = sorted(found.intervals)
    sample = random.Random(args.seed).sample(primaries, min(args.sample, len(primaries)))
    started = time.perf_counter()
    for j in sample:
        slow = baseline_interval(problem, status, j)
        mark = problem.figures[j].mark
        assert mark is not None  # (the audit stops at the mark: an unshown combination's 0 is 1)
        slow = (max(slow[0], mark[0]), min(slow[1], mark[1]))
        assert np.allclose(slow, found.intervals[j], atol=1e-6), (j, slow, found.intervals[j])
    baseline_s = (time.perf_counter() - started) / max(len(sample), 1) * len(primaries)
    detail = [r for r in rows if r.table == "detail"]
    margins = [r for r in rows if r.table != "detail"]
    print(f"requests {len(observed)}; dimensions {', '.join(DIMENSIONS)}")
    small = sum(r.requests.shown() == "<5" for r in detail)
    hidden = sum(r.requests.high is None for r in detail)
    print(f"published detailed cells {len(detail)}: <5 {small}, x {hidden}")
    for table in ("pair", "kind", "instrument", "year", "all"):
        part = [r for r in margins if r.table == table]
        exact = sum(not r.requests.hidden for r in part)
        small = sum(r.requests.shown() == "<5" for r in part)
        hidden = sum(r.requests.high is None for r in part)
        print(f"  {table}: {len(part)} rows, exact {exact}, <5 {small}, x {hidden}")
    print(f"linear model: {len(problem.values)} unknowns, {len(problem.figures)} figures; "
          f"tables withheld: {', '.join(publication.withheld) or 'none'}")  # fmt: skip
    unsaid = sum(not problem.figures[j].published for j in primaries)
    print(f"attacker: {len(primaries)} small counts ({len(primaries) - unsaid} published '<5', "
          f"{unsaid} combinations no row shows), {len(failures)} narrowed "
          f"({found.programmes} programmes); baseline agrees on {len(sample)} sampled")  # fmt: skip
    print(f"publish with complementary suppression {publish_s:.2f} s (CPU {publish_cpu:.2f} s); "
          f"audit {audit_s:.2f} s (CPU {audit_cpu:.2f} s); certified publication "
          f"{publish_s + audit_s:.2f} s (CPU {publish_cpu + audit_cpu:.2f} s); "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"baseline audit (linprog per side, from scratch) est. {baseline_s:.1f} s; "
          f"baseline/fast audit {baseline_s / audit_s:.0f}×")  # fmt: skip
    assert not failures


if __name__ == "__main__":
    main()
