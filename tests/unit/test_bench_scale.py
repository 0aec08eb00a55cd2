"""bench/scale.py's growth table: p50 / p95 per view and size, the growth of p95 against
the first size, '!' above the 200 ms aim, and the audit rows shown as pending ('…') while
a size's audit check has not run yet (the table is printed before it)."""

from __future__ import annotations

from rich.console import Console

from bench.scale import VIEWS, percentile, report


def test_percentile_is_the_nearest_rank():
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert percentile(values, 0.95) == 19.0
    assert percentile(values, 0.5) == 11.0  # round(9.5) = 10 -> the 11th
    assert percentile([5.0], 0.95) == 5.0


def test_report_prints_growth_flags_and_pending_audit_rows():
    console = Console(record=True, width=200)
    results = {
        10_000: {view: [50.0] * 20 for view in VIEWS},
        100_000: {view: [150.0] * 19 + [300.0] for view in VIEWS},
    }
    results[100_000]["list"] = [250.0] * 20
    loads = {10_000: (80.0, 5.0, 26_674, 100_000), 100_000: (629.0, 44.0, 239_236, 1_000_000)}
    audits = {10_000: (100_131, 16.9, 717, 0.17)}
    report(console, [10_000, 100_000], results, loads, audits)
    out = console.export_text()
    list_row = next(line for line in out.splitlines() if line.startswith("│ list"))
    assert "50 / 50" in list_row and "250 / 250 (5.0x) !" in list_row
    filter_row = next(line for line in out.splitlines() if line.startswith("│ filter"))
    assert "150 / 150 (3.0x)" in filter_row and "!" not in filter_row
    verify_row = next(line for line in out.splitlines() if "audit verify, full" in line)
    assert "16.9 (100,131 entries)" in verify_row and "…" in verify_row
    assert "1,000,000" in out and "239,236 entries" in out


def test_a_kept_database_timed_again_shows_kept_for_its_load():
    """`--remeasure`: nothing was built or padded in this run; the entries are counted."""
    console = Console(record=True, width=200)
    results = {1_000_000: {view: [120.0] * 20 for view in VIEWS}}
    loads = {1_000_000: (None, None, None, 10_000_131)}
    report(console, [1_000_000], results, loads, {})
    out = console.export_text()
    load_row = next(line for line in out.splitlines() if "bulk load" in line)
    padding_row = next(line for line in out.splitlines() if "audit padding" in line)
    assert "kept" in load_row and "kept" in padding_row
    assert "10,000,131" in out and "120 / 120" in out


def test_a_process_cpu_time_is_read_and_the_server_is_waited_for_until_idle(monkeypatch):
    """The views are timed once the server is idle after every view's warm-ups (its
    thread reading the protected names ahead has ended): here a server busy for three
    windows (a whole core, then half), then idle."""
    import os

    from bench import scale

    assert (scale.cpu_seconds(os.getpid()) or 0) > 0
    assert scale.cpu_seconds(2**22 + 12_345) is None  # no such process
    readings = iter([10.0, 11.0, 12.0, 12.5, 12.51, 99.0])
    sleeps = []
    monkeypatch.setattr(scale, "cpu_seconds", lambda pid: next(readings))
    monkeypatch.setattr(scale.time, "sleep", sleeps.append)
    scale.wait_until_idle(1234, window=1.0, busy=0.05)
    assert sleeps == [1.0, 1.0, 1.0, 1.0]  # idle at the fourth window (0.01 s of CPU)
