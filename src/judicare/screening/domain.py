"""Pure values of screening: the facts a rule looks at, and the findings it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from judicare.legal_basis.domain import Citation


class Category(StrEnum):
    """What a finding asks of the central authority."""

    MANDATORY_REFUSAL = "mandatory_refusal"
    OPTIONAL_REFUSAL = "optional_refusal"
    ASSURANCE_REQUIRED = "assurance_required"
    INFORMATION_MISSING = "information_missing"
    ATTENTION = "attention"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Binding(StrEnum):
    """Whether an instrument binds a state on the request's date, as the participation data
    tells: yes, no, or unknown (no row in partial data, no data at all)."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PersonFacts:
    role: str
    names: tuple[str, ...]
    nationality: str | None = None
    birth_date: str | None = None
    protected_status: str | None = None
    # Candidates from the person-screening engine: register, id, score, status,
    # country_of_feared_persecution, explanation, adjudication.
    matches: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class RequestFacts:
    requesting: str
    requested: str
    kind: str
    crimes: tuple[str, ...]
    measures: tuple[str, ...]
    persons: tuple[PersonFacts, ...]
    # Instruments that govern the request (the applicable bases, or the national law).
    instruments: frozenset[str]
    fields: dict[str, bool] = field(default_factory=dict)  # completeness: item -> present?
    death_penalty: dict[str, dict[str, Any]] = field(default_factory=dict)  # source -> row
    context: dict[str, dict[str, str]] = field(default_factory=dict)  # instrument -> statuses
    texts: dict[str, list[str]] = field(default_factory=dict)  # instrument -> reservations
    # instrument -> {"requesting": yes|no|unknown, "requested": ...} on the request's date,
    # for the instruments the grounds' exceptions and obligations name. An instrument
    # missing here is unknown, never "not bound".
    binding: dict[str, dict[str, str]] = field(default_factory=dict)
    on: date | None = None  # the request's date


@dataclass(frozen=True)
class Finding:
    ground: str
    category: str
    severity: str
    citations: tuple[Citation, ...]
    explanation: str
    evidence: dict[str, Any] = field(default_factory=dict)
    next_step: str = ""
    follow_up: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.category not in set(Category):
            raise ValueError(
                f"finding {self.ground!r}: category {self.category!r} is not one of "
                f"{', '.join(Category)}"
            )
        if self.severity not in set(Severity):
            raise ValueError(
                f"finding {self.ground!r}: severity {self.severity!r} is not one of "
                f"{', '.join(Severity)}"
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ground": self.ground,
            "category": self.category,
            "severity": self.severity,
            "citations": [c.as_dict() for c in self.citations],
            "explanation": self.explanation,
            "evidence": self.evidence,
            "next_step": self.next_step,
            "follow_up": self.follow_up,
        }
