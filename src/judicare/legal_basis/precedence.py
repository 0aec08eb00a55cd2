"""The resolver's precedence rules: where one instrument takes the place of another between
the two states, and the requested state's national law where no instrument binds both. Pure."""

from __future__ import annotations

from typing import cast

from judicare.legal_basis.conditions import _RANK_SUPERSEDING
from judicare.legal_basis.domain import (
    Applicable,
    Conflict,
    Fallback,
    NoBasis,
    Query,
    Unknown,
)
from judicare.legal_basis.index import DateIndex
from judicare.legal_basis.rules import Rulebook
from judicare.legal_basis.standing import _state_verdict
from judicare.treaties.wording import for_users

# --- precedence, fallback, context ------------------------------------------------------------


def _apply_precedence(
    book: Rulebook, index: DateIndex, query: Query, bases: list[Applicable]
) -> tuple[list[Applicable], list[Conflict]]:
    key = ("precedence_ids", query.kind._value_)
    touched = index.memo.get(key)
    if touched is None:
        touched = index.memo[key] = frozenset(
            i
            for rule in book.precedence
            if query.kind._value_ in rule.kinds
            for i in (rule.superseding, *rule.superseded)
        )
    if not any(b.instrument in touched for b in bases):
        return bases, []
    by_id = {b.instrument: b for b in bases}
    conflicts: list[Conflict] = []
    for rule in book.precedence:
        if query.kind._value_ not in rule.kinds:
            continue
        replaced = [i for i in rule.superseded if i in by_id]
        if rule.superseding in by_id:
            for iid in replaced:
                by_id[iid] = _with_precedence(
                    by_id[iid], f"replaced by {rule.superseding} between these states: {rule.text}"
                )
            names = ", ".join(sorted(rule.superseded))
            by_id[rule.superseding] = _with_precedence(
                by_id[rule.superseding],
                f"takes the place of {names} between these states: {rule.text}",
                rank=_RANK_SUPERSEDING,
            )
            continue
        snapshot = index.instruments.get(rule.superseding)
        if snapshot is None or not replaced:
            continue
        verdicts = [
            _state_verdict(snapshot, s, index.on) for s in (query.requesting, query.requested)
        ]
        if any(isinstance(v, Unknown) for v in verdicts) and not any(
            isinstance(v, NoBasis) for v in verdicts
        ):
            conflicts.append(
                Conflict(
                    (rule.superseding, *sorted(replaced)),
                    f"{rule.superseding} may take the place of {', '.join(sorted(replaced))}, "
                    f"but whether it applies between these states on {index.on} is unknown; "
                    "a person must decide which governs",
                    (rule.citation,),
                )
            )
    return list(by_id.values()), conflicts


def _with_precedence(base: Applicable, text: str, rank: int | None = None) -> Applicable:
    return base._replace(precedence=text, rank=base.rank if rank is None else rank)


def _fallback(book: Rulebook, index: DateIndex, query: Query) -> Fallback | None:
    key = ("fallback", query.requested, query.kind._value_)
    if key not in index.memo:
        law = book.law_for(query.requested, query.kind._value_)
        index.memo[key] = (
            None
            if law is None
            else Fallback(
                law.id,
                law.title,
                law.citations,
                law.reciprocity,
                tuple(for_users(gap) for gap in law.gaps),
            )
        )
    return cast(Fallback | None, index.memo[key])
