"""The overdue rule, case by case (src/judicare/requests/cases/overdue.yaml): the one
function in the requests domain, and the read model the lists and the dashboard show."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from judicare.requests.domain import RequestStatus, is_overdue
from judicare.requests.models import DeadlineRow, RequestRow
from judicare.requests.read_models import RequestSummary

CASES_FILE = (
    Path(__file__).resolve().parents[2] / "src" / "judicare" / "requests" / "cases" / "overdue.yaml"
)
CASES = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"]


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_overdue(case):
    status = RequestStatus(case["status"])  # a typo in the file fails here, by name
    dues = [_day(d) for d in case["deadlines"]]
    today = _day(case["today"])
    assert is_overdue(status, dues, today) is case["overdue"]
    row = RequestRow(
        id=1, reference="R-1", direction="incoming", kind="mla", requesting_state="UKR",
        requested_state="BEL", status=status.value, urgency="normal", received_on=today,
        version=1, deadlines=[DeadlineRow(kind="requested_execution", due=d) for d in dues],
    )  # fmt: skip
    assert RequestSummary.of(row, today).overdue is case["overdue"]
    assert RequestSummary.of(row).overdue is False  # undated (the detail): never said
