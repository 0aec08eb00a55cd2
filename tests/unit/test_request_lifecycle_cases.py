"""Runs the lawyer-readable cases of the request lifecycle in
src/judicare/requests/cases/lifecycle.yaml against the pure state machine, and checks the
transition table as a whole."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from judicare.errors import JudicareError
from judicare.requests.domain import (
    DECISIONS,
    OPEN_STATUSES,
    TRANSITIONS,
    RecordedDecision,
    RequestStatus,
    TransitionNotAllowed,
    check_lifecycle,
    check_transition,
)

DOCUMENT = yaml.safe_load(
    (resources.files("judicare.requests") / "cases" / "lifecycle.yaml").read_text(encoding="utf-8")
)


def _decision(facts: dict | None, target: RequestStatus) -> RecordedDecision | None:
    if facts is None:
        return None
    return RecordedDecision(
        decision_id=7, produces=RequestStatus(facts["produces"]), status=facts["status"],
        requires_approval=facts["requires_approval"], proposed_by=facts["proposed_by"],
        approved_by=facts.get("approved_by"), already_applied=facts.get("already_applied", False),
    )  # fmt: skip


@pytest.mark.parametrize("case", DOCUMENT["cases"], ids=lambda c: c["name"])
def test_case(case):
    values = {**DOCUMENT["defaults"], **case}
    target = RequestStatus(values["to"])
    arguments = dict(
        current=RequestStatus(values["from"]), target=target, reasons=values["reasons"],
        citations=[{"instrument": "test", "article": "1"}] * values["citations"],
        decision=_decision(values["decision"], target), request_id=12,
    )  # fmt: skip
    if values["outcome"] == "allowed":
        check_transition(**arguments)
        return
    with pytest.raises(JudicareError) as refused:
        check_transition(**arguments)
    assert refused.value.code == values["outcome"]
    assert values.get("says", "") in refused.value.message


def test_the_cases_cover_every_status():
    named = {c["from"] for c in DOCUMENT["cases"]} | {c["to"] for c in DOCUMENT["cases"]}
    assert named == {status.value for status in RequestStatus}


@pytest.mark.parametrize("current", list(RequestStatus))
@pytest.mark.parametrize("target", list(RequestStatus))
def test_the_table_is_the_only_way(current, target):
    if target in TRANSITIONS[current]:
        check_lifecycle(current, target)
    else:
        with pytest.raises(TransitionNotAllowed, match=f"from {current.value} to {target.value}"):
            check_lifecycle(current, target)


def test_every_status_has_its_row_and_closed_is_the_end():
    assert set(TRANSITIONS) == set(RequestStatus)
    assert TRANSITIONS[RequestStatus.CLOSED] == frozenset()
    for status in RequestStatus:
        # every status but closed leads somewhere, and closed is reachable from it
        reachable, frontier = set(), {status}
        while frontier:
            step = frontier.pop()
            for following in TRANSITIONS[step] - reachable:
                reachable.add(following)
                frontier.add(following)
        assert status is RequestStatus.CLOSED or RequestStatus.CLOSED in reachable


def test_withdrawal_is_open_to_every_open_status_and_decisions_are_not_final():
    for status in OPEN_STATUSES - {RequestStatus.PARTIALLY_EXECUTED}:
        assert RequestStatus.WITHDRAWN in TRANSITIONS[status], status
    assert {RequestStatus.ACCEPTED, RequestStatus.REFUSED, RequestStatus.POSTPONED} == DECISIONS
