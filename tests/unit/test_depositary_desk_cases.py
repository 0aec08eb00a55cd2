"""Runs the lawyer-readable cases in src/judicare/treaties/cases/depositary_desk.yaml."""

from __future__ import annotations

from datetime import date
from importlib import resources

import pytest
import yaml

from judicare.treaties.desk import Capacity, FullPowers, Received, Status, Subject, assess
from judicare.treaties.domain import ActionKind
from judicare.treaties.final_clauses import final_clauses

DOCUMENT = yaml.safe_load(
    (resources.files("judicare.treaties") / "cases" / "depositary_desk.yaml").read_text()
)
CLAUSES = final_clauses(DOCUMENT["instrument"])


def _received(case: dict) -> Received:
    powers = case.get("full_powers")
    defects = (powers or {}).get("defects", [])
    return Received(
        kind=ActionKind(case["act"]),
        deposited_on=case["deposited"],
        capacity=Capacity(case["capacity"]),
        full_powers=FullPowers(
            issued_by=Capacity(powers["issued_by"]),
            issued_on=powers["issued_on"],
            names_signatory="signatory" not in defects,
            names_instrument="instrument" not in defects,
        )
        if powers
        else None,
        subject=Subject(
            article=case.get("article", ""),
            declaration=case.get("declaration", ""),
            annexes=tuple(case.get("annexes", ())),
            reservation_notified_on=case.get("reservation_notified"),
            consented_on=case.get("consented"),
        ),
    )


@pytest.mark.parametrize("case", DOCUMENT["cases"], ids=lambda c: c["name"])
def test_case(case: dict) -> None:
    outcome = assess(_received(case), CLAUSES)
    assert outcome.status is Status(case["outcome"]), outcome
    if "reason" in case:
        assert any(case["reason"] in r for r in outcome.reasons), outcome.reasons
    if "cites" in case:
        assert case["cites"] in [c.article for c in outcome.citations], outcome.citations
    if "late" in case:
        assert outcome.objection_late is case["late"]
    if "period_end" in case:
        assert outcome.objection_period_end == case["period_end"]


def test_the_cases_cover_every_capacity_and_outcome() -> None:
    cases = DOCUMENT["cases"]
    assert {c["capacity"] for c in cases} == {c.value for c in Capacity}
    assert {c["outcome"] for c in cases} == {s.value for s in Status}


def test_the_objection_period_ends_twelve_months_after_notification() -> None:
    from judicare.treaties.desk import objection_deadline

    assert objection_deadline(date(2024, 2, 29)) == date(2025, 2, 28)
    assert objection_deadline(date(2025, 3, 2)) == date(2026, 3, 2)


def test_the_later_of_twelve_months_and_consent_ends_each_states_period() -> None:
    from judicare.treaties.desk import ObjectionRule, PeriodEnd, objection_period

    notified = date(2025, 3, 2)
    assert objection_period(notified, None) == (date(2026, 3, 2), PeriodEnd.TWELVE_MONTHS)
    assert objection_period(notified, date(2026, 3, 3)) == (date(2026, 3, 3), PeriodEnd.CONSENT)
    assert objection_period(notified, date(2026, 3, 2))[1] is PeriodEnd.TWELVE_MONTHS
    without = ObjectionRule(or_consent_if_later=False)
    assert objection_period(notified, date(2027, 1, 1), without)[0] == date(2026, 3, 2)


def test_the_objection_rule_is_held_as_data_and_marked_unverified() -> None:
    from judicare.treaties.final_clauses import objection_rule

    rule = objection_rule()
    assert rule.months == 12 and rule.or_consent_if_later is True
    assert rule.citation.article == "20(5)" and rule.citation.verified is False
    assert rule.citation.source_url
