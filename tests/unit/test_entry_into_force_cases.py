"""Runs the lawyer-readable cases in src/judicare/treaties/cases/entry_into_force.yaml."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from judicare.treaties.participation import build_participation
from judicare.treaties.service import status_report
from tests.factories import action, filler, instrument_for

CASES_FILE = resources.files("judicare.treaties") / "cases" / "entry_into_force.yaml"
DOCUMENT = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", DOCUMENT["cases"], ids=lambda c: c["name"])
def test_case(case: dict) -> None:
    instrument = instrument_for(case["rule"], DOCUMENT["rules"])
    actions = [action(line, instrument.id) for line in case.get("deposits", [])]
    if "others" in case:
        others = case["others"]
        actions += filler(others["count"], others["action"], others["date"], instrument.id)
    participation = build_participation(instrument, actions)
    report = status_report(participation, case["as_of"])
    expect = case["expect"]
    if "instrument_in_force" in expect:
        assert report["in_force"] is expect["instrument_in_force"], (
            participation.entry_into_force_basis
        )
    if "instrument_entry_into_force" in expect:
        wanted = expect["instrument_entry_into_force"]
        assert participation.entry_into_force == wanted, participation.entry_into_force_basis
    if "rule_verified" in expect:
        assert report["entry_into_force_rule_verified"] is expect["rule_verified"]
    parties = {p["state"]: p for p in report["parties"]}
    for state, wanted in (expect.get("states") or {}).items():
        if wanted["status"] == "absent":
            assert state not in parties
            continue
        party = parties[state]
        assert party["status"] == wanted["status"], party
        record = participation.states[state]
        if "in_force_from" in wanted:
            assert record.in_force_from == wanted["in_force_from"], record.explanation
        if "withdrawal_effective" in wanted:
            assert record.withdrawal_effective == wanted["withdrawal_effective"]


def test_there_are_enough_cases() -> None:
    assert len(DOCUMENT["cases"]) >= 25
