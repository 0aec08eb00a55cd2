"""The resolver's conditions: an applicable instrument with what travels with it (its
citations, channel, reservations, protocols, the data's age). Pure."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, cast

from judicare.legal_basis.domain import (
    Applicable,
    Citation,
    Condition,
    NoBasis,
    Query,
)
from judicare.legal_basis.index import DateIndex, InstrumentSnapshot
from judicare.legal_basis.rules import Rulebook
from judicare.legal_basis.scope import _scope_conditions, _text
from judicare.legal_basis.standing import _state_verdict
from judicare.states import state_name
from judicare.treaties.domain import Instrument

_RANK_SPECIFIC, _RANK_GENERAL, _RANK_SUPERSEDING = 20, 50, 10


# --- the applicable instrument, with conditions -----------------------------------------------


def _applicable(
    book: Rulebook, index: DateIndex, snapshot: InstrumentSnapshot, query: Query, scope: str
) -> Applicable:
    instrument = snapshot.instrument
    kind = query.kind._value_
    plan = _plan(book, index, snapshot, kind, scope, query.crimes)
    static = plan["static"]
    in_force_since = _in_force_since(snapshot, query)
    reserved = _reservations(snapshot, query.requesting, kind, static["articles"]) + (
        _reservations(snapshot, query.requested, kind, static["articles"])
    )
    if not reserved and query.conduct_date is None and not plan["has_protocols"]:
        # The usual case: nothing specific to this pair of states; the conditions are the
        # instrument's own for this kind and these crimes, computed once per date.
        conditions = tuple(plan["plain_conditions"])
    else:
        conditions = _pair_conditions(
            book, index, snapshot, instrument, query, static, scope, reserved, in_force_since
        )
    return Applicable(
        crime_conditional=scope == "unstated",
        instrument=instrument.id,
        title=instrument.title,
        in_force_since=in_force_since,
        citations=static["citations"],
        conditions=conditions,
        channel=static["channel"],
        rank=static["rank"],
    )


def _pair_conditions(
    book: Rulebook,
    index: DateIndex,
    snapshot: InstrumentSnapshot,
    instrument: Instrument,
    query: Query,
    static: dict[str, Any],
    scope: str,
    reserved: tuple[Condition, ...],
    in_force_since: date | None,
) -> tuple[Condition, ...]:
    """The conditions that depend on this pair of states, their reservations, the protocols
    and the conduct's date, after the instrument's own."""
    conditions = list(static["conditions"])
    conditions += _scope_conditions(book, snapshot, query.crimes, scope)
    conditions += reserved
    conditions += _supplements(index, instrument, query)
    if query.conduct_date and (in_force_since is None or query.conduct_date < in_force_since):
        conditions.append(
            Condition(
                "temporal_application",
                f"the conduct ({query.conduct_date}) predates entry into force between the two"
                f" states ({in_force_since or 'date unknown'}); whether the instrument covers "
                "earlier conduct is not in the data: legal review",
            )
        )
    if static["unverified"] is not None:
        conditions.append(static["unverified"])
    conditions += _data_age(snapshot, index.on)
    return tuple(conditions)


def _plan(
    book: Rulebook,
    index: DateIndex,
    snapshot: InstrumentSnapshot,
    kind: str,
    scope: str,
    crimes: tuple[str, ...],
) -> dict[str, Any]:
    """Everything about an applicable instrument that is the same for every pair of states,
    for this kind and these crimes: computed once per date index."""
    key = (kind, scope, crimes)
    plan = snapshot.plans.get(key)
    if plan is None:
        static = _static_parts(snapshot, kind)
        plan = snapshot.plans[key] = {
            "static": static,
            "has_protocols": bool(_protocols_of(index, snapshot.instrument.id)),
            "plain_conditions": (
                *static["conditions"],
                *_scope_conditions(book, snapshot, crimes, scope),
                *((static["unverified"],) if static["unverified"] else ()),
                *_data_age(snapshot, index.on),
            ),
        }
    return plan


def _data_age(snapshot: InstrumentSnapshot, on: date) -> tuple[Condition, ...]:
    participation = snapshot.participation
    if not participation.after_data(on):
        return ()
    return (
        Condition(
            "data_age",
            f"the participation data runs to {participation.data_as_of}; a later event (a "
            "withdrawal, say) is not in it: confirm with the depositary before relying on it",
        ),
    )


def _static_parts(snapshot: InstrumentSnapshot, kind: str) -> dict[str, Any]:
    """What an instrument says for a kind of cooperation whoever the states are: its
    citations, its own conditions, its channel. Computed once per date index."""
    key = ("static", kind)
    cached = snapshot.cache.get(key)
    if cached is not None:
        return cast(dict[str, Any], cached)
    instrument = snapshot.instrument
    kind_entries = [k for k in instrument.kinds if k["kind"] == kind]
    scope_block = instrument.scope or {}
    kind_citations = [
        Citation(
            instrument.id,
            _text(k.get("article")),
            bool(k.get("verified")),
            k.get("source_url"),
            k.get("note") or "",
        )
        for k in kind_entries
    ]
    scope_citation = Citation(
        instrument.id,
        _text(scope_block.get("article")),
        bool(scope_block.get("verified", True)),
        scope_block.get("source_url"),
        scope_block.get("note") or "",
    )
    citations = (*kind_citations, scope_citation)
    unverified = None
    if any(not c.verified for c in citations) or not instrument.entry_into_force.verified:
        unverified = Condition(
            "unverified_citation",
            "at least one citation or the entry-into-force rule is not verified against "
            "the instrument's text",
        )
    parts = {
        "citations": citations,
        "conditions": tuple(
            Condition("instrument_condition", k["condition"], citations[:1])
            for k in kind_entries
            if k.get("condition")
        ),
        "articles": tuple(str(k["article"]) for k in kind_entries if k.get("article")),
        "unverified": unverified,
        "channel": _channel(instrument, kind),
        "rank": _RANK_SPECIFIC if isinstance(scope_block.get("crimes"), list) else _RANK_GENERAL,
    }
    snapshot.cache[key] = parts
    return parts


def _in_force_since(snapshot: InstrumentSnapshot, query: Query) -> date | None:
    first_record = snapshot.standing(query.requesting).record
    second_record = snapshot.standing(query.requested).record
    first = first_record.in_force_from if first_record else None
    second = second_record.in_force_from if second_record else None
    if first is None or second is None:
        return None
    return first if first > second else second


def _reservations(
    snapshot: InstrumentSnapshot, state: str, kind: str, articles: tuple[str, ...]
) -> tuple[Condition, ...]:
    """What the state reserved or declared on the articles that make the instrument a basis
    for this kind (e.g. a CAT art. 8 reservation refusing the Convention as a basis for
    extradition). Memoised per state and kind for the date."""
    texts = snapshot.texts.get(state)
    if not texts or not articles:
        return ()
    key = ("reservations", state, kind)
    cached = snapshot.cache.get(key)
    if cached is not None:
        return cast(tuple[Condition, ...], cached)
    found: list[Condition] = []
    if articles and texts:
        pattern = re.compile(
            r"\bart(?:icle)?s?\.?\s*(?:" + "|".join(re.escape(a) for a in articles) + r")\b",
            re.IGNORECASE,
        )
        for action in texts:
            if pattern.search(action.notes):
                found.append(
                    Condition(
                        f"{action.kind.value}_of_a_state",
                        f"{state_name(state)}: {action.kind.value} bearing on art. "
                        f"{', '.join(articles)}: {action.notes[:400]}",
                        (
                            Citation(
                                snapshot.instrument.id, ", ".join(articles), True, action.source_url
                            ),
                        ),
                        state,
                    )
                )
    snapshot.cache[key] = result = tuple(found)
    return result


def _protocols_of(index: DateIndex, instrument_id: str) -> tuple[InstrumentSnapshot, ...]:
    key = ("protocols", instrument_id)
    found = index.memo.get(key)
    if found is None:
        found = index.memo[key] = tuple(
            s for s in index.instruments.values() if s.instrument.supplements == instrument_id
        )
    return found


def _supplements(index: DateIndex, instrument: Instrument, query: Query) -> list[Condition]:
    found = []
    for snapshot in _protocols_of(index, instrument.id):
        verdicts = [
            _state_verdict(snapshot, s, index.on) for s in (query.requesting, query.requested)
        ]
        protocol = snapshot.instrument
        if all(v is None for v in verdicts):
            text = f"{protocol.short_title} also applies between the two states"
        elif any(isinstance(v, NoBasis) for v in verdicts):
            continue
        else:
            text = f"whether {protocol.short_title} also applies is unknown (participation data)"
        found.append(
            Condition(
                "protocol",
                text,
                (
                    Citation(
                        protocol.id,
                        _text((protocol.scope or {}).get("article")),
                        True,
                        (protocol.scope or {}).get("source_url"),
                    ),
                ),
            )
        )
    return found


def _channel(instrument: Instrument, kind: str) -> Condition | None:
    for channel in instrument.channels:
        if channel["kind"] == kind:
            return Condition(
                "channel",
                channel["channel"],
                (
                    Citation(
                        instrument.id,
                        _text(channel.get("article")),
                        bool(channel.get("verified")),
                        channel["source_url"],
                    ),
                ),
            )
    return None
