"""Loads an instrument's final clauses (data/final_clauses/<id>.yaml) for the depositary's
desk. The loader refuses a clause without a source and an unknown instrument."""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from judicare.errors import JudicareError
from judicare.treaties.catalogue import data_root
from judicare.treaties.desk import Citation, ObjectionRule


@cache
def final_clauses(instrument_id: str) -> dict[str, Any] | None:
    """The clauses as data, or None when none are held for the instrument."""
    path = data_root() / "final_clauses" / f"{instrument_id}.yaml"
    if not path.is_file():
        return None
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if data.get("instrument") != instrument_id:
        raise JudicareError(f"{path.name}: `instrument` must be {instrument_id!r}")
    for name in ("signature",):
        clause = data.get(name)
        if clause and not (clause.get("source_url") and clause.get("citation")):
            raise JudicareError(f"{path.name}: the {name} clause needs source_url and citation")
    for rule in (data.get("reservations") or {}).get("allowed", []):
        if not rule.get("source_url"):
            raise JudicareError(f"{path.name}: reservation to art. {rule['article']} has no source")
    return data


@cache
def objection_rule() -> ObjectionRule:
    """VCLT art. 20(5) as data/vclt.yaml holds it (months, the "whichever is later" branch,
    its source and whether its text was verified)."""
    path = data_root() / "vclt.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    article = (data.get("articles") or {}).get("20(5)")
    if not article or not data.get("source_url"):
        raise JudicareError(f"{path.name}: article 20(5) and its source_url are required")
    months = article.get("period_months")
    if not isinstance(months, int) or months <= 0:
        raise JudicareError(f"{path.name}: 20(5) period_months must be a positive integer")
    citation = Citation(
        "VCLT", "20(5)", data["source_url"], bool(article.get("verified")),
        str(article.get("note", "")),
    )  # fmt: skip
    return ObjectionRule(months, bool(article.get("or_consent_if_later")), citation)
