"""`judicare risk ...`: the statistical risk assessment from the command line. Thin: parse,
call the core or the service, print."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from judicare.cli_support import DbOption, JsonOption, command_app, out_console, print_json
from judicare.prevention import backtest as backtests
from judicare.prevention import model, service
from judicare.prevention.explain import ranking
from judicare.prevention.schema import load_country_years

app = typer.Typer(
    help="Atrocity risk: the Early Warning Project's statistical model (data from --data).",
    no_args_is_help=True,
)

DataOption = Annotated[
    Path,
    typer.Option(
        "--data",
        help="Folder holding the EWP country-year CSV (prepared2024predictors-2025-09-03.csv) "
        "or the CSV itself. The data is third-party and never shipped with Judicare.",
    ),
]
AsOfOption = Annotated[
    int, typer.Option("--as-of", help="Year of the data the forecast is made from (T).")
]
ACTOR = "cli"


@app.command("fit")
def fit(
    data: DataOption,
    as_of: AsOfOption,
    lam: Annotated[
        float | None,
        typer.Option("--lambda", help="Fix λ instead of choosing it by 10-fold CV."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fit the model for a forecast from year AS-OF's data and store it (audited)."""
    with command_app(db) as judicare:
        country_years = load_country_years(data)
        fitted = model.fit(country_years, as_of, lam=lam)
        with judicare.unit_of_work() as uow:
            row, rows = service.store_fit(
                uow.session, fitted, country_years, actor=ACTOR, now=judicare.now()
            )
            uow.commit()
            report: dict[str, Any] = {
                **service.fit_metadata(row),
                "intercept": fitted.intercept,
                "coefficients": fitted.coefficients,
                "countries": len(rows),
                "top10": [
                    {k: r[k] for k in ("country", "iso3", "risk", "rank", "relative")}
                    for r in rows[:10]
                ],
            }
    if as_json:
        print_json(report)
        return
    out_console.print(
        f"fit {report['fit_id']} as of {as_of}: λ {fitted.lambda_:.6g} ({fitted.lambda_source}),"
        f" {fitted.n_train} training rows ({fitted.n_positive} onsets), "
        f"{report['countries']} countries ranked; data SHA-256 {fitted.data_sha256}",
        highlight=False,
    )
    _print_rows(report["top10"])


@app.command("rank")
def rank(
    as_of: AsOfOption,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="Optional: check the stored fit was made from this file."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The ranking of the latest stored fit for AS-OF (run `risk fit` first)."""
    with command_app(db) as judicare, judicare.unit_of_work() as uow:
        report = service.stored_ranking(uow.session, as_of, data)
    if as_json:
        print_json(report)
        return
    _print_rows(report["rows"], terms=True)


def _print_rows(rows: list[dict[str, Any]], terms: bool = False) -> None:
    table = Table("rank", "country", "ISO", "risk", "× average", *(["top terms"] if terms else []))
    for row in rows:
        extra = (
            [", ".join(f"{t['variable']} {t['term']:+.2f}" for t in row["top_terms"][:3])]
            if terms
            else []
        )
        table.add_row(
            str(row["rank"]),
            row["country"],
            row["iso3"] or "—",
            f"{row['risk']:.2%}",
            f"{row['relative']:.2f}" if row["relative"] is not None else "—",
            *extra,
        )
    out_console.print(table)


@app.command("backtest")
def backtest(
    data: DataOption,
    model_name: Annotated[
        str,
        typer.Option(
            "--model", help="reference (the EWP model), boosting (the challenger), or both."
        ),
    ] = "reference",
    first: Annotated[int, typer.Option("--first", help="First training cut-off L.")] = (
        backtests.FIRST_CUTOFF
    ),
    last: Annotated[int, typer.Option("--last", help="Last training cut-off L.")] = (
        backtests.LAST_CUTOFF
    ),
    as_json: JsonOption = False,
) -> None:
    """Rolling-origin back-test as the EWP runs it: train ≤ L, forecast from L+2, score the
    onsets of each year with the forecasts made one and two years before."""
    from judicare.cli_support import fail
    from judicare.errors import InvalidInput

    names = list(backtests.MODELS) if model_name == "both" else [model_name]
    if any(name not in backtests.MODELS for name in names):
        fail(f"--model {model_name!r}: use reference, boosting or both", InvalidInput.exit_code)
    if last < first:
        fail(f"--last {last} is before --first {first}", InvalidInput.exit_code)
    with command_app(None, prepare=False):
        country_years = load_country_years(data)
        results = {}
        seconds = {}
        for name in names:
            started = time.perf_counter()
            results[name] = backtests.run(country_years, name, range(first, last + 1))
            seconds[name] = time.perf_counter() - started
    report = {
        name: {
            "model": name,
            "cutoffs": [first, last],
            "data_sha256": country_years.sha256,
            "versions": model.library_versions(),
            **result.metrics,
        }
        for name, result in results.items()
    }
    if as_json:
        print_json(report if model_name == "both" else report[model_name])
        return
    print_comparison(report, seconds)


def print_comparison(report: dict[str, dict[str, Any]], seconds: dict[str, float]) -> None:
    names = list(report)
    table = Table("metric", *names)

    def line(label: str, get: Any) -> None:
        table.add_row(label, *(get(report[name]) for name in names))

    n = report[names[0]]["onsets"]
    line("country-years scored", lambda m: str(m["country_years"]))
    line("ROC AUC", lambda m: f"{m['auc']:.3f}")
    line("average precision", lambda m: f"{m['average_precision']:.3f}")
    for k in backtests.TOP_K:
        line(
            f"onsets in top {k} (of {n})",
            lambda m, k=k: f"{m[f'onsets_top{k}']['count']} ({m[f'onsets_top{k}']['rate']:.0%})",
        )
    for threshold in backtests.THRESHOLDS:
        key = f"above_{threshold:g}"
        line(
            f"onsets with risk ≥ {threshold:.1%}",
            lambda m, key=key: f"{m[key]['onsets']} ({m[key]['rate']:.0%})",
        )
    line(
        "false alarms per onset caught at 4%",
        lambda m: str(m["above_0.04"]["false_alarms_per_onset_caught"]),
    )
    line("Brier score", lambda m: f"{m['brier']:.5f}")
    line(
        "mean risk vs observed rate",
        lambda m: (
            f"{m['calibration']['mean_predicted']:.2%} vs {m['calibration']['observed_rate']:.2%}"
        ),
    )
    line("run time", lambda m: f"{seconds[m['model']]:.0f} s")
    out_console.print(table)
    for name in names:
        missed = ", ".join(
            f"{m['country']} {m['year']} (#{m['best_rank']})" for m in report[name]["missed_onsets"]
        )
        out_console.print(f"{name}: missed (not in top 30): {missed}", highlight=False)


__all__ = ["app", "ranking"]
