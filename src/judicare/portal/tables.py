"""The published statistics tables (issue 19): one detailed table of requests per requesting
state, requested state, kind, instrument and year, and its margins, all passed through the
disclosure rule (`disclosure.py`) before anything leaves this module. Pure: observations in,
published rows out.

The totals are exact. A row of 1 to 4 is "<5" and the rows below it are not published; where
the exact figures would give a "<5" away, `suppression.protect` hides further rows as "x",
and `suppression.audit` (the attacker) can check the result: see `Publication`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from judicare.portal import suppression
from judicare.portal.disclosure import (
    THRESHOLD,
    Count,
    margin_median,
    outcome_counts,
    secondary,
)
from judicare.portal.disclosure import total as margin_total
from judicare.portal.suppression import Figure, Problem, ProtectionError, Status

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
# The price of changing a row by one when choosing what else to hide: detailed cells first,
# a pair of states before a kind, instrument or year, the grand total last of all.
COSTS = {"detail": 1.0, "pair": 10.0, "kind": 100.0, "instrument": 100.0, "year": 100.0,
         "all": 10_000.0}  # fmt: skip
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
class Publication:
    """The published rows, and the problem and statuses they came from (for the audit)."""

    rows: list[Row]
    problem: Problem
    status: tuple[Status, ...]
    withheld: tuple[str, ...] = ()  # tables not published at all (see `suppress`)


def publish(observed: Iterable[Observed]) -> list[Row]:
    """Every published row: the detailed table first, then each margin table."""
    return suppress(observed).rows


def suppress(observed: Iterable[Observed]) -> Publication:
    """The tables with exact totals: "<5" for a row of 1 to 4 (the rows below it are not
    published), "x" where `suppression.protect` must hide a row of 5 or more. Where no set
    of "x" can protect every "<5" (only in tiny tables), the total alone is published."""
    grouped: dict[Key, list[Observed]] = defaultdict(list)
    for item in observed:
        grouped[item.key()].append(item)
    counts = {key: len(items) for key, items in grouped.items()}
    below: dict[tuple[str, Key], list[Key]] = defaultdict(list)  # a table's row: its cells
    for key in grouped:
        for name in TABLES:
            below[(name, project(name, key))].append(key)
    small = {row for row, cells in below.items() if sum(counts[c] for c in cells) < THRESHOLD}
    shown = [row for row in below if not any(up in small for up in _above(*row))]
    shown.sort(key=lambda row: (list(TABLES).index(row[0]), _order(row[1])))
    withheld: tuple[str, ...] = ()
    try:
        problem = _problem(shown, small, counts)
        protection = suppression.protect(problem)
    except ProtectionError:
        # The marks themselves give a small count away (a tiny table, where every "5 or
        # more" leaves too little room): publish the total alone.
        withheld = tuple(t for t in TABLES if t != "all")
        shown = [row for row in shown if row[0] == "all"]
        problem = _problem(shown, small, counts)
        protection = suppression.protect(problem)
    rows = []
    for (name, key), state, figure in zip(shown, protection.status, problem.figures, strict=True):
        count = {
            Status.EXACT: Count(figure.value, figure.value),
            Status.PRIMARY: Count(1, THRESHOLD - 1),
            Status.SECONDARY: secondary(),
        }[state]
        decisions = [_durations(grouped[c], "days_to_decision") for c in below[(name, key)]]
        executions = [_durations(grouped[c], "days_to_execution") for c in below[(name, key)]]
        rows.append(Row(name, key, count, margin_median(decisions), margin_median(executions)))
    return Publication(rows, problem, protection.status, withheld)


def project(name: str, key: Key) -> Key:
    """The row of table `name` that a detailed cell adds to."""
    kept = TABLES[name]
    return tuple(v if d in kept else None for d, v in zip(DIMENSIONS, key, strict=True))


def _above(name: str, key: Key) -> list[tuple[str, Key]]:
    """The rows of coarser tables that add this row up."""
    kept = set(TABLES[name])
    return [(other, project(other, key)) for other, dims in TABLES.items() if set(dims) < kept]


def _order(key: Key) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in key)


def _durations(items: list[Observed], field: str) -> list[int]:
    return [d for i in items if (d := getattr(i, field)) is not None]


def _problem(
    shown: list[tuple[str, Key]], small: set[tuple[str, Key]], counts: dict[Key, int]
) -> Problem:
    """The unknowns (the detailed cells the public knows of, and every combination that a
    small row leaves unsaid) and the published rows as figures over them."""
    unknowns: dict[Key, int] = {}
    lower: list[int] = []
    for name, key in shown:
        if name == "detail":
            unknowns[key] = len(unknowns)
            lower.append(1)  # a published combination has at least one request
    domains: dict[str, list[Any]] = {d: [] for d in DIMENSIONS}
    for name, key in shown:
        if name == "pair":
            domains["requesting_state"].append(key)  # the pair, whole
        elif name in ("kind", "instrument", "year"):
            domains[name].append(key[DIMENSIONS.index(name)])
    members: dict[tuple[str, Key], list[int]] = defaultdict(list)
    values: list[int] = []
    links: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    small_margins = [row for row in shown if row in small and row[0] != "detail"]
    blocks = [key for _, key in small_margins]
    aggregated = len(shown) > 1 and all(name == "pair" for name, _ in small_margins)
    if aggregated:
        # Only pairs are small: what is unsaid under a small pair enters the other tables
        # only through its counts by kind, by instrument and by year, and any three such
        # margins with the same sum come from some table of whole numbers. So the block
        # is three margins, linked by their sums, instead of every combination.
        _pair_blocks(blocks, domains, counts, members, values, lower, links, len(unknowns))
    for name, key in shown:
        if ((name, key) not in small and len(shown) > 1) or name == "detail" or aggregated:
            continue  # (the total alone is one unknown, small or not)
        for combination in _combinations(name, key, domains):
            if combination not in unknowns:
                unknowns[combination] = len(unknowns)
                lower.append(0)
    cells = [
        counts.get(key, 0) if None not in key else sum(counts.values())  # the lone total
        for key in unknowns
    ]
    for key, index in unknowns.items():
        for name in TABLES:
            members[(name, project(name, key))].append(index)
    values = cells + values  # the blocks' margins come after the cells
    figures = []
    for row in shown:
        value = sum(values[i] for i in members[row])
        mark = (1, THRESHOLD - 1) if row in small else None
        figures.append(Figure(tuple(members[row]), value, mark, COSTS[row[0]]))
    return Problem(tuple(values), tuple(lower), tuple(figures), THRESHOLD, tuple(links))


def _pair_blocks(
    blocks: list[Key], domains: dict[str, list[Any]], counts: dict[Key, int],
    members: dict[tuple[str, Key], list[int]], values: list[int], lower: list[int],
    links: list[tuple[tuple[int, ...], tuple[int, ...]]], start: int,
) -> None:  # fmt: skip
    """For each small pair: unknowns for its counts by kind, by instrument and by year
    (after the `start` cells), in the figures they add to, and two links (each margin adds
    up to the same total)."""
    by: dict[tuple[int, Key], int] = defaultdict(int)
    for key, n in counts.items():
        for position in (2, 3, 4):
            by[(position, (*key[:2], key[position]))] += n
    every = (None,) * len(DIMENSIONS)
    for key in blocks:
        sums: list[tuple[int, ...]] = []
        for position, table in ((2, "kind"), (3, "instrument"), (4, "year")):
            indices = []
            for value in domains[DIMENSIONS[position]]:
                index = start + len(values)
                values.append(by.get((position, (*key[:2], value)), 0))
                lower.append(0)
                margin = tuple(value if i == position else None for i in range(len(DIMENSIONS)))
                members[(table, margin)].append(index)
                indices.append(index)
            sums.append(tuple(indices))
        members[("pair", key)].extend(sums[0])
        members[("all", every)].extend(sums[0])
        links += [(sums[0], sums[1]), (sums[0], sums[2])]


def _combinations(name: str, key: Key, domains: dict[str, list[Any]]) -> list[Key]:
    """Every detailed combination under a small row that the published tables allow: its
    pair of states among the published pairs, its kind, instrument and year among the
    published ones (a category with no row has no request)."""
    if name == "all":  # nothing else is published: one unknown, the total itself
        return [key]
    pairs = [p[:2] for p in domains["requesting_state"]]
    out = []
    for pair in pairs:
        if key[0] is not None and pair != key[:2]:
            continue
        for kind in domains["kind"]:
            if key[2] is not None and kind != key[2]:
                continue
            for instrument in domains["instrument"]:
                if key[3] is not None and instrument != key[3]:
                    continue
                for year in domains["year"]:
                    if key[4] is None or year == key[4]:
                        out.append((*pair, kind, instrument, year))
    return out


def outcome_rows(counts: Mapping[str, int]) -> list[tuple[str, Count]]:
    """How obligations ended (or that they are still open), suppressed as persons' outcomes,
    with their total from the published counts; `all` last."""
    shown = outcome_counts(dict(counts))
    return [*shown.items(), ("all", margin_total(shown.values()))]
