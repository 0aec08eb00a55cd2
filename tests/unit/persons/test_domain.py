"""Partial birth dates: parsing, refusals, and how two dates relate."""

from __future__ import annotations

import pytest

from judicare.persons.domain import PartialDate, PersonQuery, PersonRecord


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1975", PartialDate(1975)),
        ("1975-03", PartialDate(1975, 3)),
        ("1975-03-12", PartialDate(1975, 3, 12)),
        ("2024-02-29", PartialDate(2024, 2, 29)),
    ],
)
def test_parse(text, expected):
    assert PartialDate.parse(text) == expected
    assert str(PartialDate.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2023-02-30", "day 30 does not exist in 2023-02"),
        ("2023-02-29", "day 29 does not exist"),
        ("1975-13", "month 13"),
        ("12/03/1975", "expected YYYY, YYYY-MM or YYYY-MM-DD"),
        ("", "expected YYYY"),
        ("1975-03-12T00:00", "expected YYYY"),
    ],
)
def test_parse_refuses_with_the_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        PartialDate.parse(text)


@pytest.mark.parametrize(
    ("a", "b", "relation"),
    [
        ("1975-03-12", "1975-03-12", "exact"),
        ("1975", "1975-03-12", "compatible"),
        ("1975-03", "1975-03-12", "compatible"),
        ("1975-03", "1975", "compatible"),
        ("1975-03-12", "1975-12-03", "swapped"),
        ("1975", "1976", "near"),
        ("1975-03-12", "1976-03-12", "near"),
        ("1975-03-12", "1975-03-13", "near"),
        ("1975-03-12", "1975-04-12", "near"),
        ("1975-03-12", "1976-04-12", "conflict"),
        ("1975", "1980", "conflict"),
        ("1975-03-12", "1975-03-20", "conflict"),
        ("1975-03", "1975-07", "conflict"),
    ],
)
def test_compare(a, b, relation):
    assert PartialDate.parse(a).compare(PartialDate.parse(b)) == relation
    assert PartialDate.parse(b).compare(PartialDate.parse(a)) == relation


def test_records_and_queries_need_a_name():
    with pytest.raises(ValueError, match="at least one non-empty name"):
        PersonQuery(("  ",))
    with pytest.raises(TypeError, match="tuple of strings"):
        PersonRecord("refugees", "1", "Ivan Petrov")  # type: ignore[arg-type]
