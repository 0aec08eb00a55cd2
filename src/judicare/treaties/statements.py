"""Joint statements of states (issue 19): an instrument of type "statement" with its text
reference, coordinators, date and signatories, loaded unchanged from data/statements/ with
its README. A statement is a political act: the legal-basis engine never reads it.

`beside_participation` sets a statement next to a treaty's participation on its date: which
signatories were parties, and which parties are not among the signatories. Where the list of
signatories is partial, a party with no row has an *unknown* position, never "did not sign".
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from judicare.errors import JudicareError
from judicare.states import state_name
from judicare.treaties.catalogue import data_root

FOLDER = "statements"


@dataclass(frozen=True, slots=True)
class Signatory:
    state: str
    name_in_source: str
    date: date
    source_url: str | None
    notes: str

    @property
    def unsure(self) -> bool:
        """The row itself says it rests on an uncited source or a disagreement."""
        return "[UNSURE]" in self.notes or not self.source_url


@dataclass(frozen=True, slots=True)
class Statement:
    id: str
    title: str
    date: date
    date_note: str
    coordinators: tuple[str, ...]
    coordinators_source: str
    text_reference: str
    completeness: str  # "partial" or "complete_per_one_source"
    reported_count: str
    note: str
    signatories: tuple[Signatory, ...]
    file: str
    type: str = "statement"

    @property
    def complete(self) -> bool:
        return self.completeness != "partial"


def _folder() -> Path:
    return data_root() / FOLDER


@cache
def load_statements() -> dict[str, Statement]:
    meta = yaml.safe_load((_folder() / "statements.yaml").read_text(encoding="utf-8"))
    result = {}
    for item in meta:
        rows = _rows(item["id"], item["file"])
        result[item["id"]] = Statement(
            id=item["id"],
            title=item["title"],
            date=item["date"],
            date_note=item["date_note"],
            coordinators=tuple(item["coordinators"]),
            coordinators_source=item["coordinators_source"],
            text_reference=item["text_reference"],
            completeness=item["completeness"],
            reported_count=str(item["reported_count"]),
            note=item["note"],
            signatories=rows,
            file=item["file"],
        )
    return result


def _rows(statement_id: str, file: str) -> tuple[Signatory, ...]:
    path = _folder() / file
    seen: set[str] = set()
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            if row["statement_id"] != statement_id:
                raise JudicareError(f"{file} row {number}: statement_id is not {statement_id}")
            if row["iso3"] in seen:
                raise JudicareError(f"{file} row {number}: {row['iso3']} appears twice")
            seen.add(row["iso3"])
            rows.append(
                Signatory(
                    state=row["iso3"],
                    name_in_source=row["state_name"],
                    date=date.fromisoformat(row["date"]),
                    source_url=row["source_url"] or None,
                    notes=row["notes"],
                )
            )
    return tuple(rows)


def get_statement(statement_id: str) -> Statement:
    statements = load_statements()
    if statement_id not in statements:
        known = ", ".join(statements)
        raise JudicareError(f"unknown statement {statement_id!r}: use one of {known}")
    return statements[statement_id]


def beside_participation(
    statement: Statement, parties_on_date: list[dict[str, Any]]
) -> dict[str, Any]:
    """The statement next to a treaty's status report rows (`service.status_report` on the
    statement's date): each signatory's treaty status, and the parties that are not listed
    (shown as "did not sign" only when the list is complete, else "unknown")."""
    status = {p["state"]: p["status"] for p in parties_on_date}
    signed = {s.state for s in statement.signatories}
    signatories = [
        {
            "state": s.state,
            "name": state_name(s.state),
            "treaty_status": status.get(s.state, "unknown"),
            "source_url": s.source_url,
            "unsure": s.unsure,
        }
        for s in statement.signatories
    ]
    parties = sorted(state for state, st in status.items() if st == "party")
    not_listed = [
        {"state": state, "name": state_name(state)} for state in parties if state not in signed
    ]
    return {
        "statement": statement.id,
        "coordinators": [{"state": c, "name": state_name(c)} for c in statement.coordinators],
        "signatories": signatories,
        "signatories_parties": sum(1 for s in signatories if s["treaty_status"] == "party"),
        "parties": len(parties),
        "parties_not_listed": not_listed,
        "parties_not_listed_means": "did_not_sign" if statement.complete else "unknown",
    }
