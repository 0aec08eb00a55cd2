"""Small builders for tests: instruments from inline rules, actions from one-line strings."""

from __future__ import annotations

from datetime import date

from judicare.treaties.catalogue import _eif_rule, _withdrawal_rule, get_instrument
from judicare.treaties.domain import (
    Action,
    ActionKind,
    Completeness,
    Instrument,
    Sourced,
)

_NO_SOURCE = Sourced(value=None, source_url=None, citation=None, note="test instrument")


def inline_instrument(rule: dict, instrument_id: str = "test-instrument", **extra) -> Instrument:
    """An instrument whose rules come from a test case instead of the catalogue."""
    eif = {k: v for k, v in rule.items() if k != "withdrawal"}
    eif.setdefault("source_url", "https://example.test/rule")
    eif.setdefault("article", "1")
    withdrawal = {"delay": rule.get("withdrawal"), "source_url": "https://example.test/rule"}
    values = {
        "id": instrument_id,
        "title": "Test Convention",
        "short_title": "Test Convention",
        "role": "cooperation",
        "adopted": _NO_SOURCE,
        "opened_for_signature": _NO_SOURCE,
        "depositary": _NO_SOURCE,
        "known_entry_into_force": _NO_SOURCE,
        "kinds": (),
        "entry_into_force": _eif_rule(eif, "test case"),
        "withdrawal": _withdrawal_rule(withdrawal, "test case"),
        "completeness": Completeness.COMPLETE,
        "participation_files": (),
        "participation_as_of": None,
        "participation_note": "",
    }
    values.update(extra)
    return Instrument(**values)


def instrument_for(rule_name: str, rules: dict) -> Instrument:
    if rule_name in rules:
        return inline_instrument(rules[rule_name])
    return get_instrument(rule_name)


def action(line: str, instrument_id: str = "test-instrument", **extra) -> Action:
    """'LVA ratification 2025-08-28' -> an Action."""
    state, kind, when = line.split()
    return Action(
        instrument_id=instrument_id,
        state=state,
        kind=ActionKind(kind),
        date=date.fromisoformat(when),
        **extra,
    )


def filler(count: int, kind: str, when: date, instrument_id: str) -> list[Action]:
    """`count` deposits by other (made-up) states on one date, to reach a threshold."""
    return [
        Action(instrument_id=instrument_id, state=f"Z{i:02d}", kind=ActionKind(kind), date=when)
        for i in range(count)
    ]
