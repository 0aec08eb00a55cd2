"""bench/exchange.py's summary: the median of the rounds with their spread (lowest to highest
and the middle half) for the ratio, the rates and the CPU an envelope of each side."""

from __future__ import annotations

import multiprocessing
import os
from argparse import Namespace

from rich.console import Console

from bench.exchange import Round, pool_pids, report, spread


def test_spread_is_the_range_and_the_middle_half():
    assert spread([6.0, 1.0, 3.0, 2.0, 5.0, 4.0], ".2f") == (
        "1.00 to 6.00; middle half 1.75 to 5.25"
    )
    assert spread([3.0, 1.0, 2.0], ".2f") == "1.00 to 3.00"  # too few rounds for quartiles


def _exchange(rate: float, cpu: float, database: float) -> Round:
    return Round(rate, 1000 / rate, cpu, (1.0, 1.0), 2 * rate, database, (0.5, 0.8, cpu - 1.3))


def test_report_prints_the_medians_with_the_rounds_spread():
    args = Namespace(rounds=4, messages=1000, queuers=4, per_transaction=10, rate=50.0,
                     sqlite=False)  # fmt: skip
    rounds = [
        (_exchange(300.0, 2.0, 0.5), Round(1500.0, 0.7, 0.5, (1.0, 1.0))),
        (_exchange(200.0, 2.4, 0.6), Round(1000.0, 1.0, 0.6, (1.0, 1.0))),
        (_exchange(400.0, 2.2, 0.7), Round(1600.0, 0.6, 0.5, (1.0, 1.0))),
        (_exchange(250.0, 2.6, 0.8), Round(1250.0, 0.8, 0.7, (1.0, 1.0))),
    ]
    console = Console(record=True, width=400)
    report(console, args, 3500, rounds, [0.02] * 10, [0.01] * 10, [0.002] * 10,
           Round(50_000.0, 0.02, 0.01, (1.0, 1.0)), [0.003] * 10, 2000.0)  # fmt: skip
    out = " ".join(console.export_text().split())
    # ratios 0.2, 0.2, 0.25, 0.2: median 0.2, lowest 0.2, highest 0.25
    assert "median of 4 rounds = 0.200 (aim 0.25; 0.200 to 0.250;" in out
    assert "exchange 275/s (200 to 400;" in out and "plain 1,375/s (1,000 to 1,600;" in out
    assert "CPU ms an envelope, median" in out
    assert "2.30 (2.00 to 2.60; middle half 2.05 to 2.55)" in out
    assert "sender 0.50 (0.50 to 0.50" in out and "receiver 0.80 (0.80 to 0.80" in out
    assert "queuers 1.00 (0.70 to 1.30;" in out
    assert "in PostgreSQL 0.65 (0.50 to 0.80;" in out


def test_the_queuers_cpu_counts_every_process_of_the_pool():
    """A pool's first tasks may all run in some of its processes: the CPU of the others,
    which queue later, is counted too."""
    with multiprocessing.get_context("fork").Pool(3) as pool:
        ran = {pool.apply(os.getpid)}  # one task: one process of three
        pids = pool_pids(pool)
        assert len(pids) == 3 and len(set(pids)) == 3 and ran < set(pids)
        assert all(os.path.exists(f"/proc/{pid}") for pid in pids)
