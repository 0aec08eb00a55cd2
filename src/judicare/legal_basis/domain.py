"""Pure values of the legal-basis resolver: what goes in, and what comes out. Every
statement that comes out carries its citations."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple


class CooperationKind(enum.StrEnum):
    MLA = "mla"
    EXTRADITION = "extradition"
    PROVISIONAL_ARREST = "provisional_arrest"
    TRANSFER_OF_PROCEEDINGS = "transfer_of_proceedings"
    TRANSFER_OF_SENTENCED_PERSON = "transfer_of_sentenced_person"
    JIT = "jit"


@dataclass(frozen=True, slots=True)
class Citation:
    instrument: str
    article: str | None
    verified: bool = True
    source_url: str | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "article": self.article,
            "verified": self.verified,
            "source_url": self.source_url,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Crime:
    code: str
    title: str
    defined_by: tuple[Citation, ...]
    ljhc: str  # "core" or "annex"
    annex: str | None = None  # the annex letter, "unsure", or None
    annex_note: str = ""
    annex_source: str | None = None


class Query(NamedTuple):
    """A request to resolve. Immutable; a named tuple because millions are built in the
    benchmarks and a frozen dataclass costs several times as much to construct."""

    requesting: str  # alpha-3
    requested: str
    kind: CooperationKind
    on: date  # the date of the request
    crimes: tuple[str, ...] = ()
    conduct_date: date | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    """Something that must hold, or be checked, for the basis to serve."""

    code: str
    text: str
    citations: tuple[Citation, ...] = ()
    state: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "text": self.text,
            "state": self.state,
            "citations": [c.as_dict() for c in self.citations],
        }


class Applicable(NamedTuple):
    """An instrument that can serve as the legal basis for this request (immutable)."""

    instrument: str
    title: str
    in_force_since: date | None
    citations: tuple[Citation, ...]
    conditions: tuple[Condition, ...] = ()
    channel: Condition | None = None
    precedence: str | None = None
    rank: int = 50  # lower first: superseding instruments, then crime-specific, then general
    crime_conditional: bool = False  # applies only if the (unstated) crimes fall in its scope

    def as_dict(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "title": self.title,
            "in_force_since": self.in_force_since.isoformat() if self.in_force_since else None,
            "citations": [c.as_dict() for c in self.citations],
            "conditions": [c.as_dict() for c in self.conditions],
            "channel": self.channel.as_dict() if self.channel else None,
            "precedence": self.precedence,
            "crime_conditional": self.crime_conditional,
        }


@dataclass(frozen=True, slots=True)
class NoBasis:
    """Why an instrument that could have served does not, on this date."""

    instrument: str
    code: str  # signed_not_ratified, not_yet_in_force, not_a_party, withdrawn, ...
    reason: str
    state: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"instrument": self.instrument, "state": self.state, "code": self.code,
                "reason": self.reason}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Unknown:
    """A question the data cannot answer: never read as "not a party"."""

    instrument: str
    state: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"instrument": self.instrument, "state": self.state, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two answers that the data does not reconcile; a person must decide."""

    instruments: tuple[str, ...]
    reason: str
    citations: tuple[Citation, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "instruments": list(self.instruments),
            "reason": self.reason,
            "citations": [c.as_dict() for c in self.citations],
        }


class Fallback(NamedTuple):
    """The requested state's national law, where no treaty binds both states."""

    law: str
    title: str
    citations: tuple[Citation, ...]
    reciprocity: bool
    gaps: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "law": self.law,
            "title": self.title,
            "citations": [c.as_dict() for c in self.citations],
            "reciprocity": self.reciprocity,
            "gaps": list(self.gaps),
            "conditions": [c.as_dict() for c in self.conditions],
        }


class Resolution(NamedTuple):
    """The whole answer for one request (immutable)."""

    query: Query
    bases: tuple[Applicable, ...]
    fallback: Fallback | None
    no_basis: tuple[NoBasis, ...]
    unknowns: tuple[Unknown, ...]
    conflicts: tuple[Conflict, ...] = ()
    # Crime-specific instruments binding both states, when the request names no crime.
    conditional_bases: tuple[Applicable, ...] = ()
    # Where each state stands in the court and safeguard instruments: two tuples of
    # (instrument, role, status), one per state, zipped into rows by as_dict.
    context: tuple[Any, ...] = ()
    notes: tuple[str, ...] = ()

    def _context_rows(self) -> list[dict[str, Any]]:
        if not self.context:
            return []
        requesting, requested = self.context
        return [
            {"instrument": a[0], "role": a[1], "requesting": a[2], "requested": b[2]}
            for a, b in zip(requesting, requested, strict=True)
        ]

    def as_dict(self) -> dict[str, Any]:
        q = self.query
        return {
            "requesting": q.requesting,
            "requested": q.requested,
            "kind": q.kind.value,
            "on": q.on.isoformat(),
            "conduct_date": q.conduct_date.isoformat() if q.conduct_date else None,
            "crimes": list(q.crimes),
            "bases": [b.as_dict() for b in self.bases],
            "fallback": self.fallback.as_dict() if self.fallback else None,
            "no_basis_reasons": [n.as_dict() for n in self.no_basis],
            "unknowns": [u.as_dict() for u in self.unknowns],
            "conflicts": [c.as_dict() for c in self.conflicts],
            "conditional_bases": [b.as_dict() for b in self.conditional_bases],
            "context": self._context_rows(),
            "notes": list(self.notes),
        }
