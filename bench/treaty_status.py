"""Benchmark: the status of every instrument for every state on 1,000 dates.

Two ways, measured in the same run:
- baseline: for each date, rebuild each instrument's participation from its rows (a scan
  of the data per question, as a naive implementation would);
- engine: build each instrument's per-state records once, then answer every (instrument,
  state, date) with `StateRecord.status_on`.

Prints statuses per second for both and the ratio. Run: `.venv/bin/python -m bench.treaty_status`
(add `--dates N` to change the number of dates).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from datetime import date, timedelta

from rich.console import Console
from rich.progress import track
from rich.table import Table

from judicare.states import all_states
from judicare.treaties.catalogue import load_catalogue
from judicare.treaties.participation import build_participation
from judicare.treaties.reference import load_actions


def spread_dates(count: int, first: date = date(1950, 1, 1), last: date = date(2026, 11, 23)):
    step = (last - first) / max(count - 1, 1)
    return [
        first + timedelta(days=int(step.days * i + step.seconds / 86400 * i)) for i in range(count)
    ]


def engine_run(instruments, actions, states, dates) -> tuple[int, float, dict]:
    started = time.perf_counter()
    participations = {i.id: build_participation(i, actions[i.id]) for i in instruments}
    tally: dict[str, int] = {}
    answered = 0
    timelines = {i: p.timelines for i, p in participations.items()}
    for on in dates:
        for instrument_id, participation in participations.items():
            lines = timelines[instrument_id]
            # A state with no row: never "not a party" before the instrument existed or
            # after the data's own date (issue 15).
            unlisted = participation.instrument.not_yet_existing(on) or (
                "unknown" if participation.after_data(on) else participation.unlisted_states
            )
            for state in states:
                line = lines.get(state)
                status = line.status_on(on) if line is not None else None
                key = status.value if status is not None else unlisted
                tally[key] = tally.get(key, 0) + 1
                answered += 1
    return answered, time.perf_counter() - started, tally


def baseline_run(instruments, actions, states, dates) -> tuple[int, float]:
    started = time.perf_counter()
    answered = 0
    for on in dates:
        for instrument in instruments:
            participation = build_participation(instrument, actions[instrument.id])
            for state in states:
                record = participation.states.get(state)
                _ = record.status_on(on) if record is not None else None
                answered += 1
    return answered, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dates", type=int, default=1000)
    parser.add_argument("--baseline-dates", type=int, default=50)
    args = parser.parse_args()
    console = Console()

    instruments = list(load_catalogue().values())
    actions = {}
    for instrument in track(instruments, description="Loading reference data", console=console):
        actions[instrument.id] = load_actions(instrument)[0]
    states = [s.alpha3 for s in all_states()]
    dates = spread_dates(args.dates)

    answered, seconds, tally = engine_run(instruments, actions, states, dates)
    tracemalloc.start()
    kept = [build_participation(i, actions[i.id]) for i in instruments]
    kept_timelines = [p.timelines for p in kept]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept, kept_timelines
    base_answered, base_seconds = baseline_run(
        instruments, actions, states, spread_dates(args.baseline_dates)
    )

    engine_rate = answered / seconds
    base_rate = base_answered / base_seconds
    table = Table(title="Treaty status: every instrument x every state x dates")
    table.add_column("method")
    table.add_column("dates", justify="right")
    table.add_column("statuses", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("statuses / s", justify="right")
    table.add_row("baseline (rebuild per date)", str(args.baseline_dates), f"{base_answered:,}",
                  f"{base_seconds:.2f}", f"{base_rate:,.0f}")  # fmt: skip
    table.add_row("engine (precomputed records)", str(args.dates), f"{answered:,}",
                  f"{seconds:.2f}", f"{engine_rate:,.0f}")  # fmt: skip
    console.print(table)
    console.print(
        f"{len(instruments)} instruments x {len(states)} states x {args.dates} dates; "
        f"engine / baseline = {engine_rate / base_rate:.1f}x; "
        f"peak memory to build every instrument's records {peak / 1e6:.1f} MB"
    )
    console.print("answers: " + ", ".join(f"{k} {v:,}" for k, v in sorted(tally.items())))


if __name__ == "__main__":
    main()
