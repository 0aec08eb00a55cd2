"""Pure values of screening: the facts a rule looks at, and the findings it returns."""

from __future__ import annotations

from dataclasses import dataclass, field

CATEGORIES = (
    "mandatory_refusal",
    "optional_refusal",
    "assurance_required",
    "information_missing",
    "attention",
)
SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True)
class PersonFacts:
    role: str
    names: tuple[str, ...]
    nationality: str | None = None
    birth_date: str | None = None
    protected_status: str | None = None
    # Candidates from the person-screening engine: register, id, score, status,
    # country_of_feared_persecution, explanation, adjudication.
    matches: tuple[dict, ...] = ()


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
    fields: dict = field(default_factory=dict)  # completeness: item -> present?
    death_penalty: dict = field(default_factory=dict)  # source -> {status, source_url, ...}
    context: dict = field(default_factory=dict)  # instrument -> {requesting, requested} status
    texts: dict = field(default_factory=dict)  # instrument -> [reservation notes of requested]


@dataclass(frozen=True)
class Finding:
    ground: str
    category: str
    severity: str
    citations: tuple[dict, ...]
    explanation: str
    evidence: dict = field(default_factory=dict)
    next_step: str = ""
    follow_up: dict | None = None

    def as_dict(self) -> dict:
        return {
            "ground": self.ground,
            "category": self.category,
            "severity": self.severity,
            "citations": list(self.citations),
            "explanation": self.explanation,
            "evidence": self.evidence,
            "next_step": self.next_step,
            "follow_up": self.follow_up,
        }
