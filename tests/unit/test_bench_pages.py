"""bench/pages.py's summary: p50, p95, the ratio to the baseline of the same run, and the aim
of each page (issue 22's pages 200 ms, the others 300 ms; none for the baseline)."""

from __future__ import annotations

from bench.pages import AIM_17_MS, AIM_22_MS, aim_of, summary


def test_each_page_has_its_aim():
    assert aim_of("baseline") is None and aim_of("api detail") is None
    assert aim_of("dashboard") == aim_of("search cyrillic") == AIM_22_MS
    assert aim_of("treaty") == aim_of("portal") == AIM_17_MS


def test_summary_gives_percentiles_ratio_and_whether_the_aim_is_met():
    timings = {
        "baseline": [10.0] * 19 + [20.0],
        "list": [100.0] * 18 + [400.0, 400.0],  # p95 of twenty samples: the 19th
        "treaty": [250.0] * 18 + [350.0, 360.0],
    }
    rows = {row["page"]: row for row in summary(timings)}
    assert rows["baseline"]["ratio"] == 1.0 and rows["baseline"]["met"] is None
    assert rows["list"]["p50_ms"] == 100.0 and rows["list"]["p95_ms"] == 400.0
    assert rows["list"]["met"] is False and rows["list"]["ratio"] == 40.0  # baseline p95: 10
    assert rows["treaty"]["p95_ms"] == 350.0 and rows["treaty"]["met"] is False
    fast = summary({"baseline": [10.0] * 20, "list": [150.0] * 20})
    assert fast[1]["met"] is True and fast[1]["ratio"] == 15.0
