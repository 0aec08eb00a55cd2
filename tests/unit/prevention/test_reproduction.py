"""The reproduction targets of issue 21 (reference `early_warning.md` §4.3), against the EWP's
published 2025 coefficients, risks and back-test."""

from __future__ import annotations

import pandas as pd
import pytest

from judicare.prevention import model
from judicare.prevention.explain import ranking

from .conftest import full_backtest_wanted


def _published(coefficients: pd.DataFrame) -> dict[str, float]:
    rows = coefficients[coefficients["variable"] != "(Intercept)"]
    return dict(zip(rows["variable"], rows["coef.full"], strict=True))


def test_training_set_matches_the_reference_counts(fit_fixed):
    assert (fit_fixed.n_train, fit_fixed.n_positive) == (8972, 211)
    assert fit_fixed.train_years == (1960, 2022)


def test_glmnet_lambda_max_matches_the_ewp(fit_fixed):
    # The EWP's saved cv.glmnet object has λ_max 0.0349956 (reference §4.1 step 5).
    assert fit_fixed.path[0] == pytest.approx(0.0349956, abs=5e-6)
    assert len(fit_fixed.path) == 100
    assert fit_fixed.path[-1] == pytest.approx(fit_fixed.path[0] * 1e-4)


def test_fixed_lambda_coefficients_within_0_001(fit_fixed, published_coefficients):
    published = _published(published_coefficients)
    differences = {
        name: abs(fit_fixed.coefficients[name] - value) for name, value in published.items()
    }
    worst = max(differences, key=differences.__getitem__)
    assert differences[worst] <= 0.001, (worst, differences[worst])


def test_fixed_lambda_same_non_zero_coefficients(fit_fixed, published_coefficients):
    published = _published(published_coefficients)
    theirs = {name for name, value in published.items() if value != 0}
    ours = {name for name, value in fit_fixed.coefficients.items() if abs(value) > 1e-6}
    # year² is tiny but not exactly zero in ours (reference §4.2; year and year² are
    # almost collinear): allowed below 1e-6 per unit, i.e. nothing else differs.
    assert ours - {"year_sq"} == theirs - {"year_sq"}


def test_fixed_lambda_2025_26_risks_within_0_0005(ewp, fit_fixed, published_risks):
    ours = pd.Series({row["country"]: row["risk"] for row in ranking(fit_fixed, ewp)})
    assert set(ours.index) == set(published_risks.index)
    assert len(ours) == 168
    assert (ours.reindex(published_risks.index) - published_risks).abs().max() <= 0.0005


def test_cv_lambda_ranking_agrees_with_the_published_one(ewp, fit_cv, published_risks):
    assert fit_cv.lambda_source == "cv"
    assert fit_cv.lambda_ in fit_cv.path
    ours = pd.Series({row["country"]: row["risk"] for row in ranking(fit_cv, ewp)})
    ours = ours.reindex(published_risks.index)
    assert ours.corr(published_risks, method="spearman") >= 0.99
    top = set(ours.nlargest(30).index) & set(published_risks.nlargest(30).index)
    assert len(top) >= 27


def test_cv_fit_is_deterministic(ewp, fit_cv):
    again = model.fit(ewp, 2024)
    assert again.lambda_ == fit_cv.lambda_
    assert again.coefficients == fit_cv.coefficients


def test_every_fit_records_what_an_audit_needs(fit_cv, ewp):
    meta = fit_cv.metadata()
    assert meta["data_sha256"] == ewp.sha256 and len(ewp.sha256) == 64
    assert meta["lambda"] == fit_cv.lambda_ and meta["seed"] == 90035
    assert {"glum", "numpy", "pandas", "scikit-learn", "scipy", "python"} <= set(meta["versions"])


def test_backtest_meets_the_targets(reference_backtest):
    metrics = reference_backtest.metrics
    if full_backtest_wanted():
        # The targets, on the full 31-origin back-test (EWP: 0.825, 27 of 39).
        assert metrics["onsets"] == 39
        assert metrics["country_years"] == 5032
        assert metrics["auc"] >= 0.80
        assert metrics["onsets_top30"]["count"] >= 25
        assert metrics["above_0.025"]["rate"] >= 0.85
    else:
        # Ten origins (2012–2021) scored on 2015–2024: 8 onsets. Measured: AUC 0.857, all 8
        # in the top 30. Guard rails below the full-run targets, not the targets themselves.
        assert metrics["onsets"] == 8
        assert metrics["auc"] >= 0.80
        assert metrics["onsets_top30"]["count"] >= 6


def test_backtest_reports_every_listed_metric_as_counts_and_rates(reference_backtest):
    metrics = reference_backtest.metrics
    for key in ("auc", "average_precision", "brier", "calibration", "mean_risk"):
        assert key in metrics
    for k in (10, 20, 30):
        entry = metrics[f"onsets_top{k}"]
        assert entry["rate"] == round(entry["count"] / metrics["onsets"], 4)
    for threshold in ("0.04", "0.025"):
        assert {"onsets", "rate", "false_alarms", "precision"} <= set(metrics[f"above_{threshold}"])
    per_year = metrics["per_year_recall_top30"]
    assert sum(entry["onsets"] for entry in per_year) == metrics["onsets"]
    missed = metrics["missed_onsets"]
    assert len(missed) == metrics["onsets"] - metrics["onsets_top30"]["count"]
    assert all(entry["best_rank"] > 30 for entry in missed)
