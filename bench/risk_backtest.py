"""Benchmark: the rolling-origin back-test of the prevention desk (issue 21), its run time and
its figures, the reference model and the challenger side by side, in one run.

Both models are refitted at each of the 31 origins (training ≤ L for L = 1991…2021, forecasts
from L+2) and scored as the EWP scores its own back-test (`FOOSforecasts_3Sep2025.csv`). The
EWP's own figures from that file are printed for comparison: AUC 0.825, 27/21/12 of 39 onsets
in the top 30/20/10 (reference `early_warning.md` §2.4).
Run: `.venv/bin/python -m bench.risk_backtest --data ../shared/data/ewp [--model reference]`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from judicare.prevention import backtest
from judicare.prevention.cli import print_comparison
from judicare.prevention.model import library_versions
from judicare.prevention.schema import load_country_years


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/ewp"))
    parser.add_argument("--model", choices=[*backtest.MODELS, "both"], default="both")
    parser.add_argument("--first", type=int, default=backtest.FIRST_CUTOFF)
    parser.add_argument("--last", type=int, default=backtest.LAST_CUTOFF)
    args = parser.parse_args()
    data = load_country_years(args.data)
    names = list(backtest.MODELS) if args.model == "both" else [args.model]
    report, seconds = {}, {}
    for name in names:
        started = time.perf_counter()
        result = backtest.run(data, name, range(args.first, args.last + 1))
        seconds[name] = time.perf_counter() - started
        report[name] = {"model": name, **result.metrics}
        print(f"{name}: {args.last - args.first + 1} refits in {seconds[name]:.1f} s", flush=True)
    print(f"data SHA-256 {data.sha256}; {library_versions()}")
    print(
        "EWP's own back-test (FOOSforecasts_3Sep2025.csv): AUC 0.825; top 30/20/10: 27/21/12 of 39"
    )
    print_comparison(report, seconds)


if __name__ == "__main__":
    main()
