"""The EWP country-year file: its columns, and a loader that fails loudly on any other shape.

The file is third-party data (Early Warning Project, US Holocaust Memorial Museum, Simon-Skjodt
Center for the Prevention of Genocide) whose licence is unclear: Judicare never ships it and
reads it only from a path the user gives. Column meanings: `shared/data/ewp/README.md`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from judicare.errors import InvalidInput

INPUT_FILE = "prepared2024predictors-2025-09-03.csv"
"""The name of the EWP 2025 input file; `--data DIR` may hold it, or name any CSV directly."""

# The 39 predictors of the 2025 model, in the order of `coefficients_3Sep2025.csv`.
PREDICTORS: tuple[str, ...] = (
    "widetargeting",
    "narrowtargeting",
    "v2csgender_binary",
    "v2mecenefm_binary",
    "partyban.new.0",
    "partyban.new.1",
    "partyban.new.2",
    "minorityrule",
    "judicialreform",
    "religiousfreedom",
    "pol_killing_approved",
    "freediscussion",
    "social_inequality",
    "even_civilrights",
    "repress_civilsoc",
    "social_power_dist",
    "ses_power_dist",
    "popsize.log2",
    "gdppcgrowth",
    "un_imr_sqrt",
    "efindex",
    "discrimpop",
    "reg.na",
    "reg.eap",
    "reg.sca",
    "reg.mna",
    "reg.eur",
    "ios.iccpr1",
    "battledeaths.log2",
    "coup.try.5yr",
    "mk_ongoing_count_log2",
    "mean_mk_onset_interaction",
    "mk_onset_prev_year",
    "newcountry",
    "mk_ever",
    "year_sq",
    "year",
    "countryage.new.log2",
    "includesnonstate",
)
IDENTIFIERS: tuple[str, ...] = ("ewp_name", "ccode", "year")
TARGET = "mk_onset_1or2"
OUTCOMES: tuple[str, ...] = ("mk_onset_1or2", "mk_onset", "mk_onset_1", "mk_onset_2")
# Columns that may be empty: the outcome one and two years ahead is unknown at the end of a
# country's series; predictors may be missing (the EWP drops incomplete rows).
REQUIRED_COMPLETE: tuple[str, ...] = ("ewp_name", "ccode", "year", "mk_onset", TARGET)
COLUMNS: frozenset[str] = frozenset(PREDICTORS) | set(IDENTIFIERS) | set(OUTCOMES)


@dataclass(frozen=True)
class CountryYears:
    """The validated file: one row per country-year, plus where it came from."""

    frame: pd.DataFrame
    path: Path
    sha256: str

    @property
    def last_year(self) -> int:
        return int(self.frame["year"].max())


def resolve_data_path(data: Path) -> Path:
    """`--data` names the CSV itself or a folder holding the EWP input file."""
    if data.is_dir():
        candidate = data / INPUT_FILE
        if not candidate.is_file():
            raise InvalidInput(
                f"--data: folder {data} has no {INPUT_FILE}; give the folder that holds it "
                "or the path of the country-year CSV itself"
            )
        return candidate
    if not data.is_file():
        raise InvalidInput(f"--data: {data} does not exist; give the EWP country-year CSV")
    return data


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def load_country_years(data: Path) -> CountryYears:
    """Read and validate the country-year file; every problem is named with its column."""
    path = resolve_data_path(data)
    try:
        frame = pd.read_csv(path, na_values=["", "NA"], keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"--data: {path} is not a readable CSV file: {exc}") from None
    validate_frame(frame, str(path))
    return CountryYears(frame=frame, path=path, sha256=sha256_of(path))


def validate_frame(frame: pd.DataFrame, where: str = "the country-year file") -> None:
    columns = [str(c) for c in frame.columns]
    missing = sorted(COLUMNS - set(columns))
    unknown = sorted(set(columns) - COLUMNS)
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(
            f"unknown column(s) {', '.join(unknown)} (the EWP 2025 schema has "
            f"{len(COLUMNS)} columns: identifiers, 39 predictors and the outcomes)"
        )
    if duplicated:
        problems.append(f"duplicated column(s) {', '.join(duplicated)}")
    if problems:
        raise InvalidInput(f"{where}: " + "; ".join(problems))
    if frame.empty:
        raise InvalidInput(f"{where}: has no rows")
    for column in REQUIRED_COMPLETE:
        empty = int(frame[column].isna().sum())
        if empty:
            raise InvalidInput(f"{where}: column {column} is empty in {empty} row(s)")
    for column in (*PREDICTORS, *OUTCOMES, "ccode"):
        if not pd.api.types.is_numeric_dtype(frame[column]):
            bad = frame[column][pd.to_numeric(frame[column], errors="coerce").isna()]
            bad = bad[frame[column].notna()]
            raise InvalidInput(
                f"{where}: column {column} must be numeric; found {bad.iloc[0]!r} "
                f"in row {int(bad.index[0]) + 2}"
            )
    for column in OUTCOMES:
        values = set(np.unique(frame[column].dropna()))
        if not values <= {0, 1}:
            raise InvalidInput(f"{where}: column {column} must be 0 or 1; found {sorted(values)}")
    duplicates = frame.duplicated(subset=["ccode", "year"])
    if duplicates.any():
        row = frame[duplicates].iloc[0]
        raise InvalidInput(
            f"{where}: country-year ccode {int(row['ccode'])} ({row['ewp_name']}) "
            f"year {int(row['year'])} appears more than once"
        )
