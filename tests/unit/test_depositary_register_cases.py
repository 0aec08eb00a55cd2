"""Runs the lawyer-readable cases in src/judicare/treaties/cases/depositary_register.yaml."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources

import pytest
import yaml

from judicare.treaties.domain import Delay, Sourced
from judicare.treaties.validation import refusals
from tests.factories import action, inline_instrument

DOCUMENT = yaml.safe_load(
    (resources.files("judicare.treaties") / "cases" / "depositary_register.yaml").read_text()
)
SETUP = DOCUMENT["instrument"]
INSTRUMENT = inline_instrument(
    {
        "instruments_required": 1,
        "counted_actions": ["ratification"],
        "delay": {"days": 0},
        "anchor": "after_delay",
        "withdrawal": {"months": SETUP["withdrawal_months"]},
    },
    opened_for_signature=Sourced(
        value=SETUP["opened_for_signature"], source_url="https://example.test", citation="test"
    ),
)


def _earlier(item) -> object:
    if isinstance(item, list):
        line, note = item
        return action(line, notes=note)
    return action(item)


@pytest.mark.parametrize("case", DOCUMENT["cases"], ids=lambda c: c["name"])
def test_case(case: dict) -> None:
    proposed = replace(action(case["action"]), notes=case.get("note", ""))
    earlier = [_earlier(item) for item in case.get("earlier", [])]
    reasons = refusals(INSTRUMENT, proposed, earlier, DOCUMENT["today"])
    if case.get("accepted"):
        assert reasons == []
    else:
        assert any(case["refused"] in reason for reason in reasons), reasons
        assert all("\n" not in reason for reason in reasons)


def test_withdrawal_delay_is_the_instruments() -> None:
    assert Delay(months=6) == INSTRUMENT.withdrawal.delay
