"""Benchmark and audit: the portal's suppressed statistics on synthetic requests.

Draws N fictional incoming requests (pairs of states with very unequal frequencies, so that
many cells are small), publishes them with `portal.tables.publish`, then plays the attacker:
for every hidden detailed cell, the least and greatest value that agrees with every
published row of every table (linear programming, `scipy.optimize.linprog`). Prints the rows,
the share hidden, the narrowest interval found (it must be 1 to 4) and the time to publish
per 1,000 requests beside the time of the audit.

Run: `.venv/bin/python -m bench.portal_statistics` (`--requests N`, `--seed S`).
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

from judicare.portal.tables import DIMENSIONS, Observed, Row, publish

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


def attacker_intervals(rows: list[Row]) -> list[tuple[float, float]]:
    detail = [r.key for r in rows if r.table == "detail"]
    index = {k: i for i, k in enumerate(detail)}
    eq_rows, eq_b, ub_rows, ub_b = [], [], [], []
    for r in rows:
        members = [index[k] for k in detail
                   if all(v is None or v == k[i] for i, v in enumerate(r.key))]  # fmt: skip
        line = csr_matrix((np.ones(len(members)), ([0] * len(members), members)),
                          shape=(1, len(detail)))  # fmt: skip
        if r.requests.hidden:
            ub_rows += [line, -line]
            ub_b += [r.requests.high, -r.requests.low]
        else:
            eq_rows.append(line)
            eq_b.append(r.requests.low)
    a_eq, a_ub = vstack(eq_rows) if eq_rows else None, vstack(ub_rows) if ub_rows else None
    found = []
    for r in rows:
        if r.table != "detail" or not r.requests.hidden:
            continue
        bounds = []
        for sign in (1, -1):
            c = np.zeros(len(detail))
            c[index[r.key]] = sign
            result = linprog(c, A_ub=a_ub, b_ub=ub_b or None, A_eq=a_eq, b_eq=eq_b or None,
                             bounds=(0, None), method="highs")  # fmt: skip
            assert result.status == 0, result.message
            bounds.append(sign * result.fun)
        found.append((bounds[0], bounds[1]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    observed = synthetic(args.requests, args.seed)
    started = time.perf_counter()
    rows = publish(observed)
    publish_s = time.perf_counter() - started
    detail = [r for r in rows if r.table == "detail"]
    hidden = [r for r in detail if r.requests.hidden]
    margins = [r for r in rows if r.table != "detail"]
    started = time.perf_counter()
    intervals = attacker_intervals(rows)
    audit_s = time.perf_counter() - started
    widest_low = max(low for low, _ in intervals) if intervals else None
    narrowest_high = min(high for _, high in intervals) if intervals else None
    print(f"requests {len(observed)}; dimensions {', '.join(DIMENSIONS)}")
    print(f"detailed cells {len(detail)}, hidden {len(hidden)} ({len(hidden) / len(detail):.0%})")
    print(f"margin rows {len(margins)}, exact {sum(not r.requests.hidden for r in margins)}")
    print(f"attacker: {len(intervals)} hidden cells, highest lower bound {widest_low:.3f}, "
          f"lowest upper bound {narrowest_high:.3f} (1 and 4 mean nothing learnt)")  # fmt: skip
    print(f"publish {publish_s * 1000:.1f} ms ({publish_s / len(observed) * 1e6:.1f} µs per "
          f"request); audit {audit_s:.1f} s; audit/publish {audit_s / publish_s:.0f}×")  # fmt: skip
    assert widest_low is None or (widest_low <= 1 + 1e-6 and narrowest_high >= 4 - 1e-6)


if __name__ == "__main__":
    main()
