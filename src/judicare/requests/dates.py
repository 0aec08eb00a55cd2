"""The dates of a request checked against each other and against today (pure: today is
given by the caller, from the app's clock). The register's own working rules, not legal
deadlines: a request cannot be received, nor dated, after today; it cannot be received
before it was written; execution cannot be wished before the request was received or
written. Case table: `requests/cases/dates.yaml`.

Each problem names the field it belongs to, so that the web form shows it next to that
field and the API lists it in the error's details."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from judicare.errors import InvalidInput

# The field names are those of `schemas.RequestCreate`.
RECEIVED = "received_on"
DATED = "request_date"
EXECUTION = "requested_execution_date"

# code -> the English message (a template with {today}); the web translates by code.
MESSAGES = {
    "received_after_today": "The date received cannot be after today ({today})",
    "dated_after_today": "The date of the request cannot be after today ({today})",
    "received_before_dated": (
        "The date received cannot be before the date of the request ({request_date})"
    ),
    "execution_before_received": "Execution wished by must be on or after the date received",
    "execution_before_dated": "Execution wished by must be on or after the date of the request",
    "warrant_after_today": "The warrant or judgment cannot be issued after today ({today})",
}
WARRANT = "extradition.warrant_issued_on"


@dataclass(frozen=True, slots=True)
class DateProblem:
    field: str
    code: str
    message: str  # in English; `MESSAGES[code]` formatted with `values` gives it again
    values: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "problem": self.message}


class InvalidDates(InvalidInput):
    """Dates that contradict each other or today; `details` has one entry per problem."""

    code = "invalid_dates"

    def __init__(self, problems: list[DateProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems
        self.details = [p.as_dict() for p in problems]


def date_problems(
    *,
    received_on: date | None,
    request_date: date | None,
    requested_execution_date: date | None,
    today: date,
    warrant_issued_on: date | None = None,
) -> list[DateProblem]:
    """Every problem with these dates, in the order of the form's fields (none: they hold)."""
    values = {"today": today.isoformat(), "request_date": _iso(request_date)}
    found: list[tuple[str, str]] = []
    if received_on is not None and received_on > today:
        found.append((RECEIVED, "received_after_today"))
    if request_date is not None and request_date > today:
        found.append((DATED, "dated_after_today"))
    if received_on is not None and request_date is not None and received_on < request_date:
        found.append((RECEIVED, "received_before_dated"))
    if requested_execution_date is not None:
        if received_on is not None and requested_execution_date < received_on:
            found.append((EXECUTION, "execution_before_received"))
        elif request_date is not None and requested_execution_date < request_date:
            found.append((EXECUTION, "execution_before_dated"))
    if warrant_issued_on is not None and warrant_issued_on > today:
        found.append((WARRANT, "warrant_after_today"))
    return [
        DateProblem(f, c, MESSAGES[c].format(**values), tuple(sorted(values.items())))
        for f, c in found
    ]


def check_dates(
    *,
    received_on: date | None,
    request_date: date | None,
    requested_execution_date: date | None,
    today: date,
    warrant_issued_on: date | None = None,
) -> None:
    problems = date_problems(
        received_on=received_on,
        request_date=request_date,
        requested_execution_date=requested_execution_date,
        today=today,
        warrant_issued_on=warrant_issued_on,
    )
    if problems:
        raise InvalidDates(problems)


def _iso(value: date | None) -> str:
    return value.isoformat() if value is not None else ""
