"""Benchmark: resolve the legal basis for every ordered pair of states, for one date and
one kind of cooperation, in one process.

Two ways, measured in the same run:
- baseline: the date's index is rebuilt for each question (a scan of the participation
  data per resolution);
- engine: the index is built once for the date and every pair is answered from it.

UN membership is not in Judicare's data, so the pairs are drawn from every ISO 3166-1 state
(and Kosovo), a superset of the 193 UN member states. Run:
`.venv/bin/python -m bench.basis [--kind mla] [--date 2026-01-01] [--crime genocide]`.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from itertools import permutations

from rich.console import Console
from rich.table import Table

from judicare.legal_basis.domain import CooperationKind, Query
from judicare.legal_basis.index import build_index
from judicare.legal_basis.resolver import resolve
from judicare.legal_basis.rules import load_rulebook
from judicare.states import all_states
from judicare.treaties.participation import build_participation
from judicare.treaties.reference import load_actions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="mla", choices=[k.value for k in CooperationKind])
    parser.add_argument("--date", default="2026-01-01")
    parser.add_argument("--crime", action="append", default=[])
    parser.add_argument("--baseline-pairs", type=int, default=300)
    args = parser.parse_args()
    console = Console()
    on = date.fromisoformat(args.date)
    kind = CooperationKind(args.kind)

    with console.status("Loading the participation data…"):
        book = load_rulebook()
        actions = {i.id: load_actions(i)[0] for i in book.instruments.values()}
        participations = {
            i.id: build_participation(i, actions[i.id]) for i in book.instruments.values()
        }
        for participation in participations.values():
            _ = participation.timelines
    states = [s.alpha3 for s in all_states()]
    pairs = list(permutations(states, 2))
    crimes = tuple(args.crime)

    started = time.perf_counter()
    index = build_index(participations, actions, on)
    index_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with_basis = 0
    for requesting, requested in pairs:
        result = resolve(book, index, Query(requesting, requested, kind, on, crimes))
        with_basis += bool(result.bases)
    engine_seconds = time.perf_counter() - started + index_seconds

    sample = pairs[:: max(1, len(pairs) // args.baseline_pairs)][: args.baseline_pairs]
    started = time.perf_counter()
    for requesting, requested in sample:
        fresh = build_index(participations, actions, on)
        resolve(book, fresh, Query(requesting, requested, kind, on, crimes))
    baseline_seconds = time.perf_counter() - started

    engine_rate = len(pairs) / engine_seconds
    baseline_rate = len(sample) / baseline_seconds
    table = Table(title=f"Legal basis: every ordered pair of states, {kind.value}, {on}")
    for column in ("method", "resolutions", "seconds", "resolutions / s"):
        table.add_column(column, justify="right" if column != "method" else "left")
    table.add_row("baseline (index per query)", f"{len(sample):,}", f"{baseline_seconds:.2f}",
                  f"{baseline_rate:,.0f}")  # fmt: skip
    table.add_row("engine (index per date)", f"{len(pairs):,}", f"{engine_seconds:.2f}",
                  f"{engine_rate:,.0f}")  # fmt: skip
    console.print(table)
    console.print(
        f"{len(states)} states, {len(pairs):,} ordered pairs; index built in "
        f"{index_seconds * 1000:.0f} ms; engine / baseline = {engine_rate / baseline_rate:.0f}x; "
        f"target 50,000 / s: {'met' if engine_rate >= 50_000 else 'NOT met'}; "
        f"pairs with at least one basis: {with_basis:,}"
    )


if __name__ == "__main__":
    main()
