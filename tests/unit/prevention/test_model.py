"""The model's rules that do not need the published figures: the T−2 cut-off, the schema,
the explanation adding up."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from judicare.errors import InvalidInput
from judicare.prevention import model
from judicare.prevention.countries import table
from judicare.prevention.explain import change, ranking
from judicare.prevention.schema import PREDICTORS, TARGET, load_country_years


@pytest.mark.parametrize("as_of", [2024, 2010, 1995])
def test_rows_of_t_minus_1_and_t_never_enter_training(ewp, as_of):
    design = model.design(ewp, as_of)
    assert design.train["year"].max() == as_of - 2
    assert not design.train["year"].isin([as_of - 1, as_of]).any()
    assert (design.forecast["year"] == as_of).all()


def test_poisoning_t_minus_1_and_t_changes_nothing(ewp):
    """Flip every target of T−1 and T to 1: a model that trained on them would move."""
    frame = ewp.frame.copy()
    frame.loc[frame["year"] >= 2023, TARGET] = 1
    poisoned = replace(ewp, frame=frame)
    clean = model.fit(ewp, 2024, lam=model.EWP_LAMBDA_MIN_2025)
    dirty = model.fit(poisoned, 2024, lam=model.EWP_LAMBDA_MIN_2025)
    assert dirty.coefficients == clean.coefficients
    assert dirty.n_train == clean.n_train


def test_folds_are_fixed_by_the_seed():
    first, second = model.fold_ids(1000), model.fold_ids(1000)
    assert (first == second).all()
    assert sorted(pd.Series(first).value_counts()) == [100] * 10
    assert (model.fold_ids(1000, seed=1) != first).any()


def _write(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "ewp.csv"
    frame.to_csv(path, index=False)
    return path


def test_missing_column_is_named(ewp, tmp_path):
    path = _write(tmp_path, ewp.frame.drop(columns=["discrimpop"]).head(50))
    with pytest.raises(InvalidInput, match=r"missing column\(s\) discrimpop"):
        load_country_years(path)


def test_unknown_column_is_named(ewp, tmp_path):
    path = _write(tmp_path, ewp.frame.assign(polity2=0).head(50))
    with pytest.raises(InvalidInput, match=r"unknown column\(s\) polity2"):
        load_country_years(path)


def test_non_numeric_predictor_is_named(ewp, tmp_path):
    frame = ewp.frame.head(50).astype({"efindex": object})
    frame.loc[3, "efindex"] = "high"
    with pytest.raises(InvalidInput, match="column efindex must be numeric; found 'high' in row 5"):
        load_country_years(_write(tmp_path, frame))


def test_outcome_must_be_binary(ewp, tmp_path):
    frame = ewp.frame.head(50).copy()
    frame.loc[0, "mk_onset"] = 2
    with pytest.raises(InvalidInput, match="column mk_onset must be 0 or 1"):
        load_country_years(_write(tmp_path, frame))


def test_folder_without_the_file_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match=r"--data: folder .* has no prepared2024predictors"):
        load_country_years(tmp_path)


@pytest.mark.parametrize("as_of", [1960, 2030])
def test_as_of_outside_the_file_is_refused(ewp, as_of):
    with pytest.raises(InvalidInput, match=f"--as-of {as_of}"):
        model.design(ewp, as_of)


def test_terms_add_up_to_the_risk(ewp, fit_fixed):
    for row in ranking(fit_fixed, ewp)[:20]:
        log_odds = fit_fixed.baseline + sum(row["terms"].values())
        assert 1 / (1 + math.exp(-log_odds)) == pytest.approx(row["risk"], abs=1e-5)
        assert row["top_terms"][0]["variable"] in PREDICTORS


def test_ranking_rank_and_relative(ewp, fit_fixed):
    rows = ranking(fit_fixed, ewp)
    assert [row["rank"] for row in rows[:3]] == [1, 2, 3]
    assert rows[0]["country"] == "Burma/Myanmar" and rows[0]["iso3"] == "MMR"
    mean = sum(row["risk"] for row in rows) / len(rows)
    assert rows[0]["relative"] == round(rows[0]["risk"] / mean, 2)


def test_year_on_year_change_adds_up(ewp, fit_fixed):
    moved = change(fit_fixed, ewp, 483, 2023, 2024)  # Chad
    total = sum(shift["term_change"] for shift in moved["shifts"])
    assert total == pytest.approx(moved["log_odds_change"], abs=1e-4)
    assert all(shift["from"] != shift["to"] for shift in moved["shifts"])


def test_country_table_codes_are_real_and_unique():
    import pycountry

    codes = [c.iso3 for c in table().values() if c.iso3]
    assert len(codes) == len(set(codes))
    assert all(pycountry.countries.get(alpha_3=code) for code in codes)
    exceptions = {c.ewp_name for c in table().values() if not c.iso3}
    assert exceptions == {
        "East Germany",
        "Czechoslovakia",
        "Kosovo",
        "Arab Republic of Yemen",
        "People's Republic of Yemen",
        "Republic of Vietnam",
    }
    assert all(c.note for c in table().values() if not c.iso3)


def test_every_country_of_the_file_is_in_the_table(ewp):
    assert set(ewp.frame["ccode"].astype(int)) == set(table())
