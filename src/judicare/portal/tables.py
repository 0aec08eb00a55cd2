"""The published statistics tables (issue 19): one detailed table of requests per requesting
state, requested state, kind, instrument and year, and its margins, all passed through the
disclosure rule (`disclosure.py`) before anything leaves this module. Pure: observations in,
published rows out.

Every margin is computed from the detailed table's published cells (`disclosure.total`),
never from the data, so that the tables form one suppressed hierarchy."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from judicare.portal.disclosure import Count, cell, margin_median, median_days, outcome_counts
from judicare.portal.disclosure import total as margin_total

DIMENSIONS = ("requesting_state", "requested_state", "kind", "instrument", "year")
# Each published table: its name and the dimensions it keeps (the others are added up).
TABLES: dict[str, tuple[str, ...]] = {
    "detail": DIMENSIONS,
    "pair": ("requesting_state", "requested_state"),
    "kind": ("kind",),
    "instrument": ("instrument",),
    "year": ("year",),
    "all": (),
}
NO_INSTRUMENT = "none"  # no legal basis recorded on the request
Key = tuple[str | int | None, ...]


@dataclass(frozen=True, slots=True)
class Observed:
    """One request as the statistics see it: two states, a kind, an instrument, a year and
    two durations. No name, reference, authority or fact."""

    requesting_state: str
    requested_state: str
    kind: str
    instrument: str
    year: int
    days_to_decision: int | None
    days_to_execution: int | None

    def key(self) -> Key:
        return (self.requesting_state, self.requested_state, self.kind, self.instrument, self.year)


@dataclass(frozen=True, slots=True)
class Row:
    """One published row: `key` holds every dimension, None where the table adds it up."""

    table: str
    key: Key
    requests: Count
    median_days_to_decision: int | None
    median_days_to_execution: int | None

    def dimension(self, name: str) -> str | int | None:
        return self.key[DIMENSIONS.index(name)]


@dataclass(frozen=True, slots=True)
class _Cell:
    requests: Count
    decisions: list[int]
    executions: list[int]


def publish(observed: Iterable[Observed]) -> list[Row]:
    """Every published row: the detailed table first, then each margin table."""
    grouped: dict[Key, list[Observed]] = defaultdict(list)
    for item in observed:
        grouped[item.key()].append(item)
    cells = {
        key: _Cell(
            cell(len(items)),
            [i.days_to_decision for i in items if i.days_to_decision is not None],
            [i.days_to_execution for i in items if i.days_to_execution is not None],
        )
        for key, items in grouped.items()
    }
    rows: list[Row] = []
    for name, kept in TABLES.items():
        rows += _table(name, kept, cells)
    return rows


def _table(name: str, kept: tuple[str, ...], cells: Mapping[Key, _Cell]) -> list[Row]:
    below: dict[Key, list[_Cell]] = defaultdict(list)
    for key, item in cells.items():
        margin = tuple(v if d in kept else None for d, v in zip(DIMENSIONS, key, strict=True))
        below[margin].append(item)
    rows = []
    for key in sorted(below, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        parts = below[key]
        if name == "detail":
            (only,) = parts
            count, decision, execution = (
                only.requests, median_days(only.decisions), median_days(only.executions)
            )  # fmt: skip
        else:
            count = margin_total(p.requests for p in parts)
            decision = margin_median([p.decisions for p in parts])
            execution = margin_median([p.executions for p in parts])
        rows.append(Row(name, key, count, decision, execution))
    return rows


def outcome_rows(counts: Mapping[str, int]) -> list[tuple[str, Count]]:
    """How obligations ended (or that they are still open), suppressed as persons' outcomes,
    with their total from the published counts; `all` last."""
    shown = outcome_counts(dict(counts))
    return [*shown.items(), ("all", margin_total(shown.values()))]
