"""The dates of a request, case by case (src/judicare/requests/cases/dates.yaml)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from judicare.requests.dates import InvalidDates, check_dates, date_problems

CASES_FILE = (
    Path(__file__).resolve().parents[2] / "src" / "judicare" / "requests" / "cases" / "dates.yaml"
)
CASES = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"]


def _day(value) -> date | None:
    if value is None:
        return None
    return value if isinstance(value, date) else date.fromisoformat(value)


def _dates(case) -> dict:
    return {
        "received_on": _day(case.get("received")),
        "request_date": _day(case.get("dated")),
        "requested_execution_date": _day(case.get("execution")),
        "today": _day(case["today"]),
    }


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_dates(case):
    problems = date_problems(**_dates(case))
    assert {p.field for p in problems} == set(case["problems"])
    for problem in problems:
        assert case["problems"][problem.field] in problem.message


def test_check_dates_raises_one_error_with_every_problem():
    case = next(c for c in CASES if "issue 17" in c["name"])
    with pytest.raises(InvalidDates) as raised:
        check_dates(**_dates(case))
    assert raised.value.code == "invalid_dates"
    assert [d["field"] for d in raised.value.details] == [
        "received_on",
        "requested_execution_date",
    ]


def test_every_date_message_is_marked_for_the_catalogues():
    from judicare.requests.dates import MESSAGES
    from judicare.web.intake import DATE_MESSAGE_IDS

    assert set(DATE_MESSAGE_IDS) == set(MESSAGES.values())
