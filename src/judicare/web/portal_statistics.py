"""The portal's cooperation statistics (issue 19): the `statistics` and
`obligation_outcomes` datasets and the rows of the statistics page, all from
`portal.statistics`, which has already applied the disclosure rule."""

from __future__ import annotations

from typing import Any

from judicare.portal import service as portal
from judicare.portal.disclosure import MEDIAN_MIN_OBSERVATIONS, THRESHOLD
from judicare.portal.tables import DIMENSIONS, TABLES

DATASETS = ("statistics", "obligation_outcomes")
PAGE = "statistics.html"


def statistics_rows(data: portal.PortalData) -> list[dict[str, Any]]:
    """The `statistics` dataset, in the schema's column order."""
    rows = []
    for r in data.statistics().requests:
        row: dict[str, Any] = {"table": r.table}
        row.update({d: r.dimension(d) for d in DIMENSIONS})
        row.update({
            "requests": r.requests.exact, "requests_shown": r.requests.shown(),
            "requests_low": r.requests.low, "requests_high": r.requests.high,
            "median_days_to_decision": r.median_days_to_decision,
            "median_days_to_execution": r.median_days_to_execution,
        })  # fmt: skip
        rows.append(row)
    return rows


def outcome_rows(data: portal.PortalData) -> list[dict[str, Any]]:
    """The `obligation_outcomes` dataset."""
    return [
        {
            "outcome": outcome, "obligations": count.exact, "obligations_shown": count.shown(),
            "obligations_low": count.low, "obligations_high": count.high,
        }
        for outcome, count in data.statistics().obligations
    ]  # fmt: skip


def page_context(data: portal.PortalData) -> dict[str, Any]:
    """The statistics page: one table per grouping, the detailed table last."""
    rows = statistics_rows(data)
    order = [*[t for t in TABLES if t != "detail"], "detail"]
    titles = {i["id"]: i["short_title"] for i in data.instruments}
    return {
        "tables": [(name, [r for r in rows if r["table"] == name]) for name in order],
        "withheld": data.statistics().withheld,
        "counted": any(r["table"] == "all" for r in rows),
        "outcomes": outcome_rows(data),
        "instrument_titles": titles,
        "threshold": THRESHOLD,
        "median_min": MEDIAN_MIN_OBSERVATIONS,
        "datasets": DATASETS,
    }
