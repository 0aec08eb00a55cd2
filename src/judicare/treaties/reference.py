"""Reference participation data: the third-party CSV files shipped, unchanged, under
`data/participation/` with their READMEs. Each row becomes an `Action` that keeps its
source URL, file and row number. A row that breaks the rules stops the load with the file,
the row and the reason."""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from judicare.errors import DataError, JudicareError
from judicare.states import resolve_state
from judicare.treaties.catalogue import participation_dir
from judicare.treaties.domain import Action, ActionKind, Instrument, Origin

PARTICIPATION_COLUMNS = ("iso3", "state", "action", "date", "source_url", "notes")
CROSS_CHECK_COLUMNS = (
    "iso3",
    "state",
    "instrument",
    "instrument_date",
    "entry_into_force",
    "notes",
)


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str  # path relative to the participation folder
    sha256: str
    rows: int


@dataclass(frozen=True, slots=True)
class CrossCheckRow:
    """A second source's view of one state's participation (e.g. computed entry into force)."""

    state: str
    instrument: str
    instrument_date: date | None
    entry_into_force: date | None
    notes: str
    dataset: str
    row_number: int


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parse_date(text: str, where: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DataError(f"{where}: {text!r} is not an ISO date (YYYY-MM-DD)") from None


def read_rows(name: str, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    path = participation_dir() / name
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != columns:
            raise DataError(f"{name}: columns {reader.fieldnames} are not {list(columns)}")
        # Row numbers count the header as line 1, as a spreadsheet shows them.
        return [(number, row) for number, row in enumerate(reader, start=2)]


def load_actions(instrument: Instrument) -> tuple[list[Action], list[Dataset]]:
    """Every reference action for one instrument, with the datasets it came from."""
    actions: list[Action] = []
    datasets: list[Dataset] = []
    effective = {
        (i["iso3"], i["action"], _as_date(i.get("date"))) for i in instrument.row_interpretations
    }
    for name in instrument.participation_files:
        rows = read_rows(name, PARTICIPATION_COLUMNS)
        seen: set[tuple] = set()
        for number, row in rows:
            action = _action(instrument, name, number, row, effective)
            key = (action.state, action.kind, action.date, action.notes)
            if key in seen:
                raise DataError(f"{name} row {number}: duplicate of an earlier row")
            seen.add(key)
            actions.append(action)
        datasets.append(Dataset(name, file_digest(participation_dir() / name), len(rows)))
    return actions, datasets


def load_cross_check(instrument: Instrument) -> list[CrossCheckRow]:
    result: list[CrossCheckRow] = []
    for name in instrument.cross_check_files:
        for number, row in read_rows(name, CROSS_CHECK_COLUMNS):
            where = f"{name} row {number}"
            result.append(
                CrossCheckRow(
                    state=_state(row["iso3"], where),
                    instrument=row["instrument"],
                    instrument_date=parse_date(row["instrument_date"], where),
                    entry_into_force=parse_date(row["entry_into_force"], where),
                    notes=row["notes"],
                    dataset=name,
                    row_number=number,
                )
            )
    return result


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _state(code: str, where: str) -> str:
    try:
        return resolve_state(code).alpha3
    except JudicareError as exc:
        raise DataError(f"{where}: {exc.message}") from None


def _action(instrument, name, number, row, effective) -> Action:
    where = f"{name} row {number}"
    try:
        kind = ActionKind(row["action"].strip())
    except ValueError:
        raise DataError(f"{where}: unknown action {row['action']!r}") from None
    if not row["source_url"].strip():
        raise DataError(f"{where}: no source_url; every row must keep its source")
    state = _state(row["iso3"], where)
    when = parse_date(row["date"], where)
    return Action(
        instrument_id=instrument.id,
        state=state,
        kind=kind,
        date=when,
        source_url=row["source_url"].strip(),
        notes=row["notes"] or "",
        origin=Origin.REFERENCE,
        dataset=name,
        row_number=number,
        date_is_effective=(state, kind.value, when) in effective,
    )
