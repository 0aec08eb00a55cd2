"""The EWP data for the prevention tests: read from `../shared/data/ewp/` next to the checkout
(or JUDICARE_EWP_DATA), never shipped. Absent → skipped with a message; with CI=true absent
fails the run, as for PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from judicare.prevention import backtest, model
from judicare.prevention.schema import load_country_years
from tests.ewp_data import in_ci, require_ewp_dir


def full_backtest_wanted() -> bool:
    return in_ci() or os.environ.get("JUDICARE_FULL_BACKTEST") == "1"


@pytest.fixture(scope="session")
def ewp_dir() -> Path:
    return require_ewp_dir()


@pytest.fixture(scope="session")
def ewp(ewp_dir):
    return load_country_years(ewp_dir)


@pytest.fixture(scope="session")
def published_coefficients(ewp_dir) -> pd.DataFrame:
    return pd.read_csv(ewp_dir / "coefficients_3Sep2025.csv")


@pytest.fixture(scope="session")
def published_risks(ewp_dir) -> pd.Series:
    frame = pd.read_csv(ewp_dir / "final_forecasts_data_3Sep2025.csv")
    return frame.set_index("ewp_name")["risk.2025and2026.from2024"]


@pytest.fixture(scope="session")
def fit_fixed(ewp):
    return model.fit(ewp, 2024, lam=model.EWP_LAMBDA_MIN_2025)


@pytest.fixture(scope="session")
def fit_cv(ewp):
    return model.fit(ewp, 2024)


# The full rolling-origin back-test refits the model 31 times with 10-fold CV each (about
# 165 s on an idle 2-core machine, far more on a busy one). By default the tests run the last
# ten origins (2012–2021, scored on 2015–2024); CI=true or JUDICARE_FULL_BACKTEST=1 runs all
# 31 and checks the targets. `bench/risk_backtest.py` always runs the full one.
SUBSET_CUTOFFS = tuple(range(2012, 2022))


@pytest.fixture(scope="session")
def reference_backtest(ewp):
    cutoffs = (
        tuple(range(backtest.FIRST_CUTOFF, backtest.LAST_CUTOFF + 1))
        if full_backtest_wanted()
        else SUBSET_CUTOFFS
    )
    result = backtest.run(ewp, "reference", cutoffs)
    if not full_backtest_wanted():
        rows = result.rows[result.rows["year"] >= SUBSET_CUTOFFS[0] + 3]
        result = backtest.Backtest("reference", rows, backtest.metrics(rows))
    return result
