"""Why a country's risk is what it is, and why it moved (the EWP's "interpretshifts").

The log-odds of a country-year is the baseline (a training-average country-year) plus one term
per predictor: its coefficient per standard deviation × how many standard deviations the
country sits from the training mean. The terms add up exactly to the log-odds.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from judicare.errors import InvalidInput
from judicare.prevention.countries import iso3_of
from judicare.prevention.model import Fit, design
from judicare.prevention.schema import PREDICTORS, CountryYears

TOP_TERMS = 5


def _logistic(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def top_terms(terms: dict[str, float], n: int = TOP_TERMS) -> list[dict[str, float | str]]:
    """The largest terms by size, with their sign (a positive term raises the risk)."""
    ranked = sorted(terms.items(), key=lambda item: (-abs(item[1]), item[0]))
    return [{"variable": name, "term": round(value, 4)} for name, value in ranked[:n] if value]


def ranking(fitted: Fit, data: CountryYears) -> list[dict[str, Any]]:
    """Every complete country of year `as_of`, highest risk first, with its terms."""
    rows = design(data, fitted.as_of).forecast
    risks = fitted.predict(rows)
    table = []
    for (_, row), risk in zip(rows.iterrows(), risks, strict=True):
        terms = fitted.terms(row)
        table.append(
            {
                "country": str(row["ewp_name"]),
                "ccode": int(row["ccode"]),
                "iso3": iso3_of(int(row["ccode"])),
                "risk": float(risk),
                "terms": {name: round(value, 6) for name, value in terms.items()},
                "values": {name: float(row[name]) for name in PREDICTORS},
            }
        )
    table.sort(key=lambda item: (-item["risk"], item["country"]))
    mean = sum(item["risk"] for item in table) / len(table) if table else 0.0
    for position, item in enumerate(table):
        same = [i for i in table[:position] if i["risk"] == item["risk"]]
        item["rank"] = position + 1 - len(same)
        # The probabilities run high (reference §4.2): show how many times the average it is.
        item["relative"] = round(item["risk"] / mean, 2) if mean else None
        item["top_terms"] = top_terms(item["terms"])
    return table


def _row(data: CountryYears, ccode: int, year: int) -> pd.Series:
    frame = data.frame
    found = frame[(frame["ccode"] == ccode) & (frame["year"] == year)]
    if found.empty:
        raise InvalidInput(f"no row for ccode {ccode} in {year} in {data.path.name}")
    row = found.iloc[0]
    missing = [name for name in PREDICTORS if pd.isna(row[name])]
    if missing:
        raise InvalidInput(
            f"ccode {ccode} in {year}: predictor(s) {', '.join(missing)} are empty, so the "
            "model gives no risk for that year (the EWP drops incomplete rows)"
        )
    return row


def change(
    fitted: Fit, data: CountryYears, ccode: int, year_from: int, year_to: int
) -> dict[str, Any]:
    """How the risk moved between two years' data under one fit, predictor by predictor."""
    before, after = _row(data, ccode, year_from), _row(data, ccode, year_to)
    terms_before, terms_after = fitted.terms(before), fitted.terms(after)
    logit_before = fitted.baseline + sum(terms_before.values())
    logit_after = fitted.baseline + sum(terms_after.values())
    shifts = [
        {
            "variable": name,
            "from": float(before[name]),
            "to": float(after[name]),
            "term_change": round(terms_after[name] - terms_before[name], 6),
        }
        for name in PREDICTORS
        if terms_after[name] != terms_before[name]
    ]
    shifts.sort(key=lambda item: (-abs(float(item["term_change"])), str(item["variable"])))
    return {
        "ccode": ccode,
        "country": str(after["ewp_name"]),
        "from_year": year_from,
        "to_year": year_to,
        "risk_from": _logistic(logit_before),
        "risk_to": _logistic(logit_after),
        "log_odds_change": logit_after - logit_before,
        "shifts": shifts,
    }
