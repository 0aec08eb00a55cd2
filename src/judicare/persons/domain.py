"""Pure values of person screening: partial dates, register records, queries, candidates."""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass, field
from typing import Any

_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A birth date known to the year, the month or the day.

    Registers often hold only a year ("1965") or a year and month; the day and month are
    also often swapped between the European and American orders. `compare` says how two
    partial dates relate without penalising what one of them does not know.
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year {self.year} is out of range 1-9999")
        if self.month is None:
            if self.day is not None:
                raise ValueError("a day without a month: give YYYY-MM-DD, YYYY-MM or YYYY")
            return
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not between 1 and 12")
        if self.day is not None:
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise ValueError(
                    f"day {self.day} does not exist in {self.year}-{self.month:02d} "
                    f"(which has {last} days)"
                )

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read `YYYY`, `YYYY-MM` or `YYYY-MM-DD`; refuse anything else with the reason."""
        m = _DATE.match(text.strip()) if isinstance(text, str) else None
        if m is None:
            raise ValueError(
                f"bad birth date {text!r}: expected YYYY, YYYY-MM or YYYY-MM-DD, e.g. 1975-03-12"
            )
        year, month, day = (int(g) if g else None for g in m.groups())
        try:
            return cls(year, month, day)  # type: ignore[arg-type]
        except ValueError as e:
            raise ValueError(f"bad birth date {text!r}: {e}") from None

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    def __str__(self) -> str:
        parts = [f"{self.year:04d}"]
        if self.month:
            parts.append(f"{self.month:02d}")
        if self.day:
            parts.append(f"{self.day:02d}")
        return "-".join(parts)

    def compare(self, other: PartialDate) -> str:
        """How two birth dates relate, in one word.

        - `exact`: same date, to the day;
        - `compatible`: they agree on everything both know (e.g. 1975 and 1975-03-12);
        - `swapped`: day and month swapped (1975-03-12 and 1975-12-03), a weaker match;
        - `near`: one part off by one: the year (±1), the month, or the day (a typing or
          calendar slip);
        - `conflict`: anything else.
        """
        if self.year == other.year:
            if self.month is None or other.month is None:
                return "compatible"
            if self.month == other.month:
                if self.day is None or other.day is None:
                    return "compatible"
                if self.day == other.day:
                    return "exact"
                return "near" if abs(self.day - other.day) == 1 else "conflict"
            if self.day and other.day:
                if self.day == other.month and self.month == other.day:
                    return "swapped"
                if self.day == other.day and abs(self.month - other.month) == 1:
                    return "near"
            return "conflict"
        if abs(self.year - other.year) == 1:
            same_rest = (self.month, self.day) == (other.month, other.day)
            unknown_rest = self.month is None or other.month is None
            return "near" if same_rest or unknown_rest else "conflict"
        return "conflict"


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One person in one register (refugees, earlier requests, persons prosecuted...).

    `names` holds every known name of the person, in any script and any order of parts.
    """

    register: str
    id: str
    names: tuple[str, ...]
    birth_date: PartialDate | None = None
    nationality: str | None = None
    status: str | None = None
    country_of_feared_persecution: str | None = None
    status_date: datetime.date | None = None

    def __post_init__(self) -> None:
        _check_names(self.names, f"record {self.register}/{self.id}")


@dataclass(frozen=True, slots=True)
class PersonQuery:
    """A person named in a request: names in any script, what is known of the birth date,
    the nationality (ISO alpha-3), and optionally the registers to search."""

    names: tuple[str, ...]
    birth_date: PartialDate | None = None
    nationality: str | None = None
    registers: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        _check_names(self.names, "query")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A record found for a query, with a score in [0, 1] and why (JSON-serialisable)."""

    register: str
    id: str
    score: float
    explanation: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "register": self.register,
            "id": self.id,
            "score": self.score,
            "explanation": self.explanation,
        }


def _check_names(names: tuple[str, ...], where: str) -> None:
    if isinstance(names, str) or not isinstance(names, tuple):
        raise TypeError(f"{where}: names must be a tuple of strings, got {names!r}")
    if not names or not any(n.strip() for n in names):
        raise ValueError(f"{where}: at least one non-empty name is needed")
