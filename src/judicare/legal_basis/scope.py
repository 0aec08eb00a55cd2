"""The resolver's scope rules: which crimes an instrument covers, what the crimes asked
about mean for it, and the Ljubljana–The Hague Convention's annex crimes (art. 2(2)). Pure."""

from __future__ import annotations

from judicare.legal_basis.domain import (
    Citation,
    Condition,
    NoBasis,
    Query,
    Unknown,
)
from judicare.legal_basis.index import InstrumentSnapshot
from judicare.legal_basis.rules import Rulebook
from judicare.states import state_name
from judicare.treaties.domain import Instrument


def _text(value: object) -> str | None:
    return None if value is None else str(value)


# --- scope --------------------------------------------------------------------------------


def _scope(book: Rulebook, instrument: Instrument, crimes: tuple[str, ...]) -> str | None:
    """'all', 'core', 'annex', 'unstated' (no crimes given) or None (not relevant)."""
    scope = instrument.scope or {}
    covered = scope.get("crimes")
    if covered == "all" or covered is None:
        return "all"
    if not crimes:
        return "unstated"
    if set(crimes) & set(covered):
        return "core"
    if scope.get("annex_by_declaration") and any(book.crimes[c].ljhc == "annex" for c in crimes):
        return "annex"
    return None


def _scope_text(book: Rulebook, instrument: Instrument) -> str:
    covered = (instrument.scope or {}).get("crimes") or []
    return ", ".join(book.crimes[c].title.lower() for c in covered)


# --- annex crimes (Ljubljana–The Hague Convention art. 2(2)) ---------------------------------


def _annex_declared_by_both(snapshot: InstrumentSnapshot, query: Query) -> bool:
    return {query.requesting, query.requested} <= snapshot.annex_declared


def _annex_refusals(
    snapshot: InstrumentSnapshot, query: Query, book: Rulebook
) -> tuple[list[NoBasis], list[Unknown]]:
    """For each state without an annex declaration: a definite refusal, or an unknown when
    it made a declaration whose text the data does not hold."""
    crimes = ", ".join(
        book.crimes[c].title.lower() for c in query.crimes if book.crimes[c].ljhc == "annex"
    )
    refusals: list[NoBasis] = []
    unreadable: list[Unknown] = []
    for state in (query.requesting, query.requested):
        if state in snapshot.annex_declared:
            continue
        if state in snapshot.annex_unknown:
            unreadable.append(
                Unknown(
                    snapshot.instrument.id,
                    state,
                    f"{state_name(state)} made a declaration whose text is not in the data; "
                    f"whether it covers the annex crimes concerned ({crimes}) is unknown",
                )
            )
            continue
        refusals.append(
            NoBasis(
                snapshot.instrument.id,
                "annex_not_accepted",
                f"{state_name(state)} has not declared that the Convention applies to the annex "
                f"crimes concerned ({crimes}) (art. 2(2))",
                state,
            )
        )
    return refusals, unreadable


def _scope_conditions(
    book: Rulebook, snapshot: InstrumentSnapshot, crimes: tuple[str, ...], scope: str
) -> tuple[Condition, ...]:
    """What the crimes asked about mean for this instrument. Memoised per date index."""
    key = ("scope_conditions", scope, crimes)
    found = snapshot.cache.get(key)
    if found is None:
        found = snapshot.cache[key] = tuple(
            _compute_scope_conditions(book, snapshot.instrument, crimes, scope)
        )
    return found


def _compute_scope_conditions(
    book: Rulebook, instrument: Instrument, crimes: tuple[str, ...], scope: str
) -> list[Condition]:
    block = instrument.scope or {}
    cite = (
        Citation(
            instrument.id,
            _text(block.get("article")),
            bool(block.get("verified", True)),
            block.get("source_url"),
        ),
    )
    if scope == "unstated":
        return [
            Condition(
                "crime_scope",
                f"applies only if the request concerns {_scope_text(book, instrument)}",
                cite,
            )
        ]
    if scope == "annex":
        annexed = [book.crimes[c] for c in crimes if book.crimes[c].ljhc == "annex"]
        letters = "; ".join(
            f"{c.title}: annex {c.annex}{' (' + c.annex_note + ')' if c.annex_note else ''}"
            for c in annexed
        )
        return [
            Condition(
                "annex_crime",
                f"annex crime ({letters}); both states declared under art. 2(2). Verify that both "
                "declarations cover this annex; whether both must declare is not confirmed: "
                "legal review",
                cite,
            )
        ]
    if scope == "core":
        outside = [c for c in crimes if c not in block.get("crimes", [])]
        if outside:
            names = ", ".join(book.crimes[c].title.lower() for c in outside)
            return [
                Condition(
                    "crime_scope", f"covers only {_scope_text(book, instrument)}; not {names}", cite
                )
            ]
    return []
