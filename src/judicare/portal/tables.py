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
from judicare.portal.disclosure import THRESHOLD, Count, margin_median, secondary
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
# The tables withheld, in turn, when no set of "x" can protect every "<5" (tiny tables).
FALLBACKS: tuple[tuple[str, ...], ...] = (
    (),
    ("detail",),
    ("detail", "pair", "kind", "instrument", "year"),
)
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
    of "x" can protect every "<5" (only in tiny tables), the detailed table is withheld, or
    failing that every table but the total (`FALLBACKS`)."""
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
    # Where the marks themselves give a small count away (a tiny table, where every "5 or
    # more" leaves too little room), the detailed table is withheld, and if that is not
    # enough either, every table but the total.
    for withheld in FALLBACKS:
        kept = [row for row in shown if row[0] not in withheld]
        problem = _problem(kept, small, counts, "detail" in withheld)
        try:
            protection = suppression.protect(problem)
        except ProtectionError:
            if withheld == FALLBACKS[-1]:
                raise  # (cannot happen: the total alone is exact, or is itself the "<5")
            continue
        shown = kept
        break
    rows = []
    published = zip(shown, protection.status, problem.figures, strict=False)  # then the unsaid
    for (name, key), state, figure in published:
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
    shown: list[tuple[str, Key]], small: set[tuple[str, Key]], counts: dict[Key, int],
    withheld_detail: bool = False,
) -> Problem:  # fmt: skip
    """The unknowns (the detailed cells the public knows of, and every combination that a
    small row leaves unsaid) and the published rows as figures over them; then, as
    unpublished primaries, every combination of 1 to 4 requests that no row shows (the
    finest cells: pair of states, kind, instrument and year), so that no table gives one
    away either (issue 19: "no combination of published tables can reveal it")."""
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
    # What no row breaks down: each small row's combinations and, if the detailed table is
    # withheld, every combination of the published categories (under the total).
    for name, key in shown:
        open_row = (name, key) in small or (withheld_detail and name == "all")
        if (not open_row and len(shown) > 1) or name == "detail":
            continue  # (the total alone is one unknown, small or not)
        lone = len(shown) == 1  # nothing else is published: one unknown, the total itself
        for combination in [key] if lone else _combinations(key, domains):
            if combination not in unknowns:
                unknowns[combination] = len(unknowns)
                lower.append(0)
    values = [
        counts.get(key, 0) if None not in key else sum(counts.values())  # the lone total
        for key in unknowns
    ]
    members: dict[tuple[str, Key], list[int]] = defaultdict(list)
    for key, index in unknowns.items():
        for name in TABLES:
            members[(name, project(name, key))].append(index)
    figures = []
    for row in shown:
        value = sum(values[i] for i in members[row])
        mark = (1, THRESHOLD - 1) if row in small else None
        figures.append(Figure(tuple(members[row]), value, mark, COSTS[row[0]]))
    # The combinations no row shows: those under a small row (all of them 0 to 4). Where the
    # total alone is published, nothing says which combinations exist: each may be anything
    # from 0 to the total, which covers 1 to 4 whenever the total does.
    for key, index in unknowns.items():
        if lower[index] == 0 and 0 < values[index] < THRESHOLD and None not in key:
            mark = (1, THRESHOLD - 1)
            figures.append(Figure((index,), values[index], mark, None, published=False))
    return Problem(tuple(values), tuple(lower), tuple(figures), THRESHOLD)


def _combinations(key: Key, domains: dict[str, list[Any]]) -> list[Key]:
    """Every detailed combination under a row that the published tables allow: its pair of
    states among the published pairs, its kind, instrument and year among the published
    ones (a category with no row has no request)."""
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
    """How obligations ended (or that they are still open), suppressed as persons' outcomes
    (a count of 0 to 4 is "<5" unless no obligation is counted at all), with their exact
    total, `all` last, under the same protection as the requests' tables: where the total
    and the exact counts would narrow a "<5", `suppression.protect` hides a count of 5 or
    more (or the total) as "x". A total of 1 to 4 is itself "<5"."""
    names = list(counts)
    values = [counts[name] for name in names]
    everything = sum(values)
    if everything == 0:  # no one to single out: every count is a structural zero
        return [*((name, Count(0, 0)) for name in names), ("all", Count(0, 0))]
    if len(names) < 3:  # (two "<5" could not both reach 0 beside a total of 5 or more)
        raise ValueError("outcome counts need three categories or more")
    marks = [(0, THRESHOLD - 1) if v < THRESHOLD else None for v in values]
    figures = [Figure((i,), v, m, 1.0) for i, (v, m) in enumerate(zip(values, marks, strict=True))]
    total_mark = (1, THRESHOLD - 1) if everything < THRESHOLD else None
    figures.append(Figure(tuple(range(len(values))), everything, total_mark, COSTS["all"]))
    problem = Problem(tuple(values), (0,) * len(values), tuple(figures), THRESHOLD)
    # Never fails: at worst the total is "x", and each "<5" is then free from 0 to 4.
    status = suppression.protect(problem).status
    shown = []
    for name, figure, state in zip([*names, "all"], figures, status, strict=True):
        if state is Status.EXACT:
            shown.append((name, Count(figure.value, figure.value)))
        elif state is Status.PRIMARY:
            assert figure.mark is not None
            shown.append((name, Count(*figure.mark)))
        else:
            shown.append((name, secondary()))
    return shown
