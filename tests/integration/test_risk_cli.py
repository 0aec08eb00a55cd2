"""`judicare risk`: the CLI contract of issue 21, the stored fit read back by `rank`, on SQLite
and PostgreSQL. λ is fixed at the EWP's here (the CV fit is tested in tests/unit/prevention)."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from judicare.audit.models import AuditEventRow
from judicare.cli import app as cli
from judicare.prevention.models import RiskFitRow, RiskScoreRow
from tests.ewp_data import require_ewp_dir

runner = CliRunner()
LAMBDA = "0.002586"


def run(*args: str):
    return runner.invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def ewp_dir():
    return require_ewp_dir()


def test_fit_then_rank(app, migrated_database_url, ewp_dir):
    done = run("risk", "fit", "--data", str(ewp_dir), "--as-of", "2024", "--lambda", LAMBDA,
               "--db", migrated_database_url, "--json")  # fmt: skip
    assert done.exit_code == 0, done.output
    fit = json.loads(done.stdout)
    assert fit["lambda"] == 0.002586 and fit["lambda_source"] == "fixed"
    assert (fit["n_train"], fit["n_positive"], fit["countries"]) == (8972, 211, 168)
    assert len(fit["data_sha256"]) == 64 and fit["versions"]["glum"]

    ranked = run("risk", "rank", "--as-of", "2024", "--db", migrated_database_url, "--json")
    assert ranked.exit_code == 0, ranked.output
    answer = json.loads(ranked.stdout)
    assert answer["fit"]["fit_id"] == fit["fit_id"]
    rows = answer["rows"]
    assert len(rows) == 168
    assert {"country", "iso3", "risk", "rank", "top_terms"} <= set(rows[0])
    assert (rows[0]["country"], rows[0]["iso3"], rows[0]["rank"]) == ("Burma/Myanmar", "MMR", 1)
    assert rows[0]["risk"] == pytest.approx(0.1041, abs=0.0005)
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)

    with app.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RiskScoreRow)) == 168
        audited = [
            (a.subject_id, a.details["data_sha256"])
            for a in uow.session.scalars(
                select(AuditEventRow).where(AuditEventRow.subject_type == "risk_fit")
            )
        ]
    assert audited == [(str(fit["fit_id"]), fit["data_sha256"])]


def test_rank_with_data_checks_the_file(migrated_database_url, ewp_dir, tmp_path):
    run("risk", "fit", "--data", str(ewp_dir), "--as-of", "2024", "--lambda", LAMBDA,
        "--db", migrated_database_url)  # fmt: skip
    same = run("risk", "rank", "--as-of", "2024", "--data", str(ewp_dir),
               "--db", migrated_database_url, "--json")  # fmt: skip
    assert same.exit_code == 0, same.output
    changed = tmp_path / "changed.csv"
    shutil.copy(ewp_dir / "prepared2024predictors-2025-09-03.csv", changed)
    with changed.open("a") as handle:
        handle.write("\n")
    other = run("risk", "rank", "--as-of", "2024", "--data", str(changed),
                "--db", migrated_database_url, "--json")  # fmt: skip
    assert other.exit_code == 2
    assert "SHA-256" in other.stderr


def test_rank_without_a_fit_says_what_to_run(migrated_database_url):
    result = run("risk", "rank", "--as-of", "2024", "--db", migrated_database_url, "--json")
    assert result.exit_code == 2
    assert "no stored fit; run `judicare risk fit --data DIR --as-of 2024` first" in result.stderr


def test_a_bad_file_writes_nothing(app, migrated_database_url, ewp_dir, tmp_path):
    bad = tmp_path / "bad.csv"
    text = (ewp_dir / "prepared2024predictors-2025-09-03.csv").read_text()
    bad.write_text(text.replace("discrimpop", "discrim_pop", 1))
    result = run("risk", "fit", "--data", str(bad), "--as-of", "2024",
                 "--db", migrated_database_url, "--json")  # fmt: skip
    assert result.exit_code == 2
    assert "missing column(s) discrimpop" in result.stderr
    assert "unknown column(s) discrim_pop" in result.stderr
    with app.unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(RiskFitRow)) == 0


def test_backtest_json_contract(ewp_dir):
    # Two origins only, to keep the test short; the full back-test is in tests/unit/prevention
    # (CI) and bench/risk_backtest.py.
    result = run("risk", "backtest", "--data", str(ewp_dir), "--model", "boosting",
                 "--first", "2020", "--last", "2021", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["model"] == "boosting" and answer["cutoffs"] == [2020, 2021]
    assert {"auc", "average_precision", "onsets_top10", "onsets_top20", "onsets_top30",
            "above_0.04", "above_0.025", "brier", "calibration", "per_year_recall_top30",
            "missed_onsets", "mean_risk"} <= set(answer)  # fmt: skip
    assert answer["years"] == [2023, 2024]  # forecasts from 2022 and 2023 data


def test_backtest_refuses_an_unknown_model(ewp_dir):
    result = run("risk", "backtest", "--data", str(ewp_dir), "--model", "forest", "--json")
    assert result.exit_code == 2
    assert "--model 'forest'" in result.stderr
