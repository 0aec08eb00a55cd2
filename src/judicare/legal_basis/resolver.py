"""Which instruments can serve as the legal basis for a request between two states on a
date. Pure: the rulebook, the date's index and the query go in; a `Resolution` comes out.

For each instrument that covers the kind of cooperation asked:
1. it must cover the crimes (its scope), or, for the Ljubljana–The Hague Convention's annex
   crimes, both states must have declared that it applies to them (art. 2(2));
2. it must be in force for both states on the date of the request;
3. what either state reserved or declared on the article that makes it a basis, and any
   other condition, travels with the answer;
4. where one instrument takes the place of another between the two states (EU law), that
   is said, not applied silently.
When no instrument applies, the requested state's national law is given where the data
holds it. What the data cannot tell is reported as unknown, never as "not a party".

The steps live in their own modules: `scope` (1), `standing` (2 and the date limits),
`conditions` (3) and `precedence` (4, and the fallback); this one ties them together.
"""

from __future__ import annotations

from typing import Any, cast

from judicare.errors import InvalidInput
from judicare.legal_basis.conditions import _applicable
from judicare.legal_basis.domain import (
    Applicable,
    Condition,
    Conflict,
    NoBasis,
    Query,
    Resolution,
    Unknown,
)
from judicare.legal_basis.index import DateIndex
from judicare.legal_basis.precedence import _apply_precedence, _fallback
from judicare.legal_basis.rules import Rulebook
from judicare.legal_basis.scope import (
    _annex_declared_by_both,
    _annex_refusals,
    _scope,
    _scope_text,
)
from judicare.legal_basis.standing import (
    _not_in_force,
    _outside_pair,
    _own_dates,
    _state_verdict,
    _temporal_limit,
)
from judicare.states import state_name


def resolve(book: Rulebook, index: DateIndex, query: Query) -> Resolution:
    kind = query.kind._value_  # the plain string: Enum hashing is slow on the hot path
    relevant, notes = _relevant(book, index, kind, query.crimes)
    requesting, requested = query.requesting, query.requested
    bases: list[Applicable] = []
    no_basis: list[NoBasis] = []
    unknowns: list[Unknown] = []
    conflicts: list[Conflict] = []
    first_verdicts = _verdict_vector(index, relevant, requesting)
    second_verdicts = _verdict_vector(index, relevant, requested)
    for (snapshot, scope, not_in_force), first, second in zip(
        relevant, first_verdicts, second_verdicts, strict=True
    ):
        one_side = snapshot.instrument.one_side
        if one_side is not None and (requesting == one_side) == (requested == one_side):
            no_basis.append(_outside_pair(snapshot))
            continue
        if not_in_force is not None or first is not None or second is not None:
            # A definite reason wins over an unknown: the instrument cannot apply if either
            # state is definitely outside it, whatever the other's status.
            first_is_definite = first.__class__ is NoBasis
            second_is_definite = second.__class__ is NoBasis
            if not_in_force is not None or first_is_definite or second_is_definite:
                if not_in_force is not None:
                    no_basis.append(not_in_force)
                if first_is_definite:
                    no_basis.append(first)
                if second_is_definite:
                    no_basis.append(second)
            else:
                if first is not None:
                    unknowns.append(first)
                if second is not None:
                    unknowns.append(second)
            continue
        if scope == "annex" and not _annex_declared_by_both(snapshot, query):
            refusals, unreadable = _annex_refusals(snapshot, query, book)
            no_basis.extend(refusals)
            if not refusals:
                unknowns.extend(unreadable)
            continue
        limit = _temporal_limit(snapshot, query) if snapshot.instrument.temporal_limits else None
        if isinstance(limit, NoBasis):
            no_basis.append(limit)
            continue
        if isinstance(limit, Unknown):
            unknowns.append(limit)
            continue
        if snapshot.entry_disagreement:
            conflicts.append(Conflict((snapshot.instrument.id,), snapshot.entry_disagreement))
        base = _applicable(book, index, snapshot, query, scope)
        extra = _own_dates(snapshot, query)
        if limit is not None:
            extra = (limit, *extra)
        if extra:
            base = base._replace(conditions=(*base.conditions, *extra))
        bases.append(base)
    if bases:
        bases, more_conflicts = _apply_precedence(book, index, query, bases)
        conflicts.extend(more_conflicts)
    # Crime-specific instruments only count as a basis once the crimes are known.
    conditional = [b for b in bases if b.crime_conditional]
    if conditional:
        bases = [b for b in bases if not b.crime_conditional]
    fallback = None
    if not bases:
        fallback = _fallback(book, index, query)
        if fallback is not None and unknowns:
            names = ", ".join(sorted({u.instrument for u in unknowns}))
            fallback = fallback._replace(
                conditions=(
                    Condition(
                        "treaty_may_apply",
                        f"national law governs only where no instrument binds both states; "
                        f"whether {names} binds them is unknown on this data: check first",
                    ),
                )
            )
        if fallback is None:
            no_basis.append(_no_national_law(index, requested, kind))
    if len(bases) > 1:
        bases.sort(key=lambda b: (b.rank, b.instrument))
    return Resolution(
        query=query,
        bases=tuple(bases),
        conditional_bases=(
            tuple(sorted(conditional, key=lambda b: b.instrument)) if conditional else ()
        ),
        fallback=fallback,
        no_basis=tuple(no_basis),
        unknowns=tuple(unknowns),
        conflicts=tuple(conflicts),
        context=(
            index.contexts.get(requesting) or index.context_for(requesting),
            index.contexts.get(requested) or index.context_for(requested),
        ),
        notes=notes,
    )


_MISSING = object()


def _relevant(
    book: Rulebook, index: DateIndex, kind: str, crimes: tuple[str, ...]
) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """The instruments that cover this kind and these crimes, each with how (its scope), and
    notes on those left out. The same for every pair of states: computed once per date."""
    key = ("relevant", kind, crimes)
    cached = index.memo.get(key)
    if cached is not None:
        return cast(tuple[tuple[Any, ...], tuple[str, ...]], cached)
    unknown_crimes = [c for c in crimes if c not in book.crimes]
    if unknown_crimes:
        raise InvalidInput(
            f"unknown crime {unknown_crimes[0]!r}: use one of {', '.join(book.crimes)}"
        )
    relevant, notes = [], []
    for snapshot in index.candidates(kind):
        scope = _scope(book, snapshot.instrument, crimes)
        if scope is None:
            notes.append(
                f"{snapshot.instrument.id} not considered: it covers "
                f"{_scope_text(book, snapshot.instrument)} only"
            )
        else:
            not_in_force = _not_in_force(snapshot, index.on) if snapshot.in_force is False else None
            relevant.append((snapshot, scope, not_in_force))
    index.memo[key] = result = (tuple(relevant), tuple(notes))
    return result


def _verdict_vector(index: DateIndex, relevant: tuple[Any, ...], state: str) -> tuple[Any, ...]:
    """The state's verdict in each relevant instrument, in order; memoised per date."""
    key = ("vector", id(relevant), state)
    vector = index.memo.get(key)
    if vector is None:
        vector = index.memo[key] = tuple(
            _state_verdict(snapshot, state, index.on) for snapshot, _, _ in relevant
        )
    return vector


def _no_national_law(index: DateIndex, state: str, kind: str) -> NoBasis:
    key = ("no_national_law", state, kind)
    found = index.memo.get(key)
    if found is None:
        found = index.memo[key] = NoBasis(
            "national-law",
            "no_national_law_in_data",
            f"the national law of {state_name(state)} on {kind} is not in the data",
            state,
        )
    return found
