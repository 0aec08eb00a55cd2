"""The analysts' side: the UN Framework of Analysis for Atrocity Crimes (2014) as data, and
the rules of one assessment of a country along its 14 risk factors.

The Framework gives factors and indicators, no weights and no scale. The rating scale below is
Judicare's, for recording a person's judgement; it is not the Framework's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from judicare.errors import InvalidInput

DATA = Path(__file__).with_name("data") / "framework_2014.yaml"
FRAMEWORK_ID = "un-foa-2014"
RATINGS: tuple[str, ...] = ("not_assessed", "not_present", "low", "moderate", "high")
"""Judicare's scale for an analyst's judgement of one factor (not the Framework's)."""


@dataclass(frozen=True)
class Factor:
    number: int
    name: str
    crimes: str  # common, genocide, crimes_against_humanity, war_crimes
    indicators: int
    verified: bool  # False: the indicator count is [UNSURE] in the reference note
    summary: str


@dataclass(frozen=True)
class Framework:
    instrument: Mapping[str, Any]
    factors: tuple[Factor, ...]

    def factor(self, number: int) -> Factor:
        for factor in self.factors:
            if factor.number == number:
                return factor
        raise KeyError(number)


@cache
def load_framework() -> Framework:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    factors = tuple(
        Factor(
            number=int(f["number"]),
            name=str(f["name"]),
            crimes=str(f["crimes"]),
            indicators=int(f["indicators"]),
            verified=bool(f["verified"]),
            summary=str(f["summary"]),
        )
        for f in raw["factors"]
    )
    return Framework(instrument=raw["instrument"], factors=factors)


@dataclass(frozen=True)
class FactorRating:
    factor: int
    rating: str
    evidence: str
    sources: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "factor": self.factor,
            "rating": self.rating,
            "evidence": self.evidence,
            "sources": list(self.sources),
        }


def parse_ratings(raw: Sequence[Mapping[str, Any]]) -> tuple[FactorRating, ...]:
    """Validate an analyst's ratings: every problem named with its factor. A factor left out
    is recorded as not assessed; a factor rated needs evidence notes and at least one source."""
    framework = load_framework()
    known = {f.number for f in framework.factors}
    problems: list[str] = []
    given: dict[int, FactorRating] = {}
    for position, item in enumerate(raw, start=1):
        try:
            number = int(item.get("factor"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            problems.append(f"rating {position}: factor must be a number 1–14")
            continue
        if number not in known:
            problems.append(f"rating {position}: factor {number} is not one of the 14 (1–14)")
            continue
        if number in given:
            problems.append(f"factor {number}: rated twice; keep one rating per factor")
            continue
        rating = str(item.get("rating") or "").strip()
        evidence = str(item.get("evidence") or "").strip()
        sources = tuple(str(s).strip() for s in (item.get("sources") or []) if str(s).strip())
        if rating not in RATINGS:
            problems.append(
                f"factor {number}: rating {rating!r} is not one of {', '.join(RATINGS)}"
            )
            continue
        if rating != "not_assessed" and not evidence:
            problems.append(f"factor {number}: rated {rating}, so give the evidence notes")
        if rating != "not_assessed" and not sources:
            problems.append(f"factor {number}: rated {rating}, so give at least one source")
        given[number] = FactorRating(number, rating, evidence, sources)
    if problems:
        raise InvalidInput("; ".join(problems))
    if all(r.rating == "not_assessed" for r in given.values()):
        raise InvalidInput("ratings: rate at least one factor (all are not assessed)")
    return tuple(
        given.get(number, FactorRating(number, "not_assessed", "", ())) for number in sorted(known)
    )


def compare(
    before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The factors whose rating changed between two assessments, with both ratings."""
    old = {int(r["factor"]): str(r["rating"]) for r in before}
    new = {int(r["factor"]): str(r["rating"]) for r in after}
    return [
        {"factor": number, "from": old.get(number, "not_assessed"), "to": new[number]}
        for number in sorted(new)
        if old.get(number, "not_assessed") != new[number]
    ]
