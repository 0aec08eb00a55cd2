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
"""

from __future__ import annotations

import re
from datetime import date

from judicare.errors import InvalidInput
from judicare.legal_basis.domain import (
    Applicable,
    Citation,
    Condition,
    Conflict,
    Fallback,
    NoBasis,
    Query,
    Resolution,
    Unknown,
)
from judicare.legal_basis.index import DateIndex, InstrumentSnapshot
from judicare.legal_basis.rules import Rulebook
from judicare.states import state_name
from judicare.treaties.domain import ActionKind, Completeness, Instrument, PartyStatus
from judicare.treaties.wording import for_users

_RANK_SPECIFIC, _RANK_GENERAL, _RANK_SUPERSEDING = 20, 50, 10


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
        if snapshot.instrument.one_side is not None:
            outside = _outside_pair(snapshot, query)
            if outside is not None:
                no_basis.append(outside)
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
        if limit.__class__ is NoBasis:
            no_basis.append(limit)
            continue
        if limit.__class__ is Unknown:
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


def _relevant(book: Rulebook, index: DateIndex, kind: str, crimes: tuple[str, ...]):
    """The instruments that cover this kind and these crimes, each with how (its scope), and
    notes on those left out. The same for every pair of states: computed once per date."""
    key = ("relevant", kind, crimes)
    cached = index.memo.get(key)
    if cached is not None:
        return cached
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


def _verdict_vector(index: DateIndex, relevant: tuple, state: str) -> tuple:
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


# --- standing of the two states -------------------------------------------------------------


def _state_verdict(snapshot: InstrumentSnapshot, state: str, on: date):
    """None when in force for the state on the date; else a NoBasis or an Unknown. Memoised
    per state, since the snapshot belongs to one date."""
    verdicts = snapshot.verdicts
    if state not in verdicts:
        verdicts[state] = _compute_verdict(snapshot, state, on)
    return verdicts[state]


def _compute_verdict(snapshot: InstrumentSnapshot, state: str, on: date):
    instrument = snapshot.instrument
    iid, name = instrument.id, state_name(state)
    standing = snapshot.standing(state)
    record = standing.record
    if state in snapshot.participation.not_bound:
        override = snapshot.participation.not_bound[state]
        return NoBasis(
            iid, "not_bound", f"{name} is not bound: {override.note} ({override.source_url})", state
        )
    status = standing.status
    if status is PartyStatus.PARTY:
        return None
    if status is None:
        existing = instrument.not_yet_existing(on)
        if existing is not None:
            return _not_yet_existing(instrument, existing, on, state)
    participation = snapshot.participation
    stale = participation.after_data(on)
    data_end = participation.data_as_of
    if (
        stale
        and status in (None, PartyStatus.SIGNATORY)
        and instrument.completeness is Completeness.COMPLETE
    ):
        done = f"signed on {record.signed}" if status is PartyStatus.SIGNATORY else "was not listed"
        return Unknown(
            iid,
            state,
            f"{name} {done} by {data_end}, the last date the participation data speaks for; "
            "whether it ratified or acceded since is not in the data",
        )
    if stale and status is PartyStatus.RATIFIED_PENDING and record.in_force_from is None:
        return Unknown(
            iid,
            state,
            f"{name}'s {record.consent_kind.value if record.consent_kind else 'consent'} of "
            f"{record.consent_date} was pending on {data_end}, the last date of the data; "
            "whether the instrument has entered into force since is not in the data",
        )
    if status is PartyStatus.SIGNATORY:
        return NoBasis(
            iid,
            "signed_not_ratified",
            f"{name} signed on {record.signed} but has not ratified",
            state,
        )
    if status is PartyStatus.RATIFIED_PENDING:
        when = (
            f"in force for it from {record.in_force_from}"
            if record.in_force_from
            else ("its entry into force is not yet determined")
        )
        return NoBasis(
            iid,
            "not_yet_in_force",
            f"not yet in force for {name}: "
            f"{record.consent_kind.value if record.consent_kind else 'consent'}"
            f" of {record.consent_date}; {when}",
            state,
        )
    if status is PartyStatus.WITHDRAWN:
        return NoBasis(
            iid,
            "withdrawn",
            f"{name} withdrew; the withdrawal took effect on {record.withdrawal_effective}",
            state,
        )
    if status is PartyStatus.UNKNOWN:
        return Unknown(
            iid,
            state,
            for_users(
                f"{name}'s status on {on} cannot be determined: "
                f"{record.explanation or '; '.join(record.notes)}",
                iid,
            ),
        )
    if instrument.completeness is Completeness.COMPLETE:
        as_of = instrument.participation_as_of
        return NoBasis(
            iid,
            "not_a_party",
            f"{name} is not a party (no signature or consent in the data, as of {as_of})",
            state,
        )
    data = (
        "no participation data at all"
        if instrument.completeness is Completeness.UNKNOWN
        else "the participation data is partial and does not list it"
    )
    return Unknown(iid, state, f"{name}'s participation is unknown: {data}")


def _not_in_force(snapshot: InstrumentSnapshot, on: date) -> NoBasis:
    cached = snapshot.cache.get("not_in_force")
    if cached is not None:
        return cached
    entry = snapshot.participation.entry
    existing = snapshot.instrument.not_yet_existing(on)
    if existing is not None:
        found = _not_yet_existing(snapshot.instrument, existing, on, None)
        found = NoBasis(found.instrument, "instrument_not_in_force", found.reason)
    else:
        found = NoBasis(
            snapshot.instrument.id,
            "instrument_not_in_force",
            f"{snapshot.instrument.short_title} is not in force on {on}: {entry.explanation}",
        )
    snapshot.cache["not_in_force"] = found
    return found


def _not_yet_existing(instrument: Instrument, code: str, on: date, state: str | None) -> NoBasis:
    """Before an instrument existed nobody was "not a party": it was not yet open or adopted."""
    if code == "not_yet_open":
        text = (
            f"{instrument.short_title} was not yet open for signature on {on} "
            f"(opened on {instrument.opening_date})"
        )
    else:
        text = (
            f"{instrument.short_title} was not yet adopted on {on} (adopted on "
            f"{instrument.adoption_date})"
        )
    return NoBasis(instrument.id, code, text, state)


# --- pairs, time limits and own dates -------------------------------------------------------


def _outside_pair(snapshot: InstrumentSnapshot, query: Query) -> NoBasis | None:
    """An agreement between one state and a group applies only across the two sides."""
    one = snapshot.instrument.one_side
    sides = (query.requesting == one, query.requested == one)
    if sides[0] != sides[1]:
        return None
    return NoBasis(
        snapshot.instrument.id,
        "outside_instrument",
        f"{snapshot.instrument.short_title} applies only between {state_name(one or '')} and "
        "the other side's states, not between these two",
    )


def _temporal_limit(snapshot: InstrumentSnapshot, query: Query):
    """The requested (executing) state's statement keeping older instruments for acts
    before a date (EAW Framework Decision art. 32): a refusal, an unknown or a condition."""
    instrument = snapshot.instrument
    limit = next((x for x in instrument.temporal_limits if x.state == query.requested), None)
    if limit is None:
        return None
    name = state_name(limit.state)
    cite = (Citation(instrument.id, limit.article, True, limit.source_url, limit.note),)
    conduct = query.conduct_date
    if limit.acts_before is not None:
        if conduct is not None and conduct < limit.acts_before:
            return NoBasis(
                instrument.id,
                "temporal_limit",
                f"{name} stated (art. {limit.article}) that it applies the "
                f"{instrument.short_title} only to acts committed from {limit.acts_before}; "
                f"for conduct on {conduct} the earlier extradition instruments apply",
                limit.state,
            )
        if conduct is not None:
            return None
        return Condition(
            "temporal_limit",
            f"{name} applies the {instrument.short_title} only to acts committed from "
            f"{limit.acts_before} (art. {limit.article}); for earlier acts the earlier "
            "instruments apply: give the date of the conduct",
            cite,
            limit.state,
        )
    latest = limit.not_later_than
    if conduct is not None and latest is not None and conduct >= latest:
        return None
    text = (
        f"{name} made a statement under art. {limit.article} limiting the "
        f"{instrument.short_title} to acts after a date that is not in the data"
        + (f" (it could not be later than {latest})" if latest else "")
    )
    if conduct is not None:
        detail = f"see `judicare treaty sources {instrument.id}`"
        return Unknown(
            instrument.id,
            limit.state,
            f"{text}; whether it covers conduct on {conduct} is unknown: {detail}",
        )
    return Condition("temporal_limit", f"{text}: give the date of the conduct", cite, limit.state)


def _has_own_dates(snapshot: InstrumentSnapshot) -> bool:
    """Whether the data gives member states' own dates of application (then a state
    without one stands out)."""
    found = snapshot.cache.get("has_own_dates")
    if found is None:
        overridden = {o.state for o in snapshot.instrument.state_overrides}
        found = snapshot.cache["has_own_dates"] = any(
            r.consent_kind is ActionKind.MEMBERSHIP
            and r.reported_entry_into_force is not None
            and r.state not in overridden
            for r in snapshot.participation.states.values()
        )
    return bool(found)


def _own_dates(snapshot: InstrumentSnapshot, query: Query) -> tuple[Condition, ...]:
    """A member state bound through membership whose own date of application is not in the
    data: the instrument's general date is used, and a person must check it."""
    instrument = snapshot.instrument
    if instrument.bound_at_latest is not None or not _has_own_dates(snapshot):
        return ()
    found = []
    for state in (query.requesting, query.requested):
        record = snapshot.standing(state).record
        if (
            record is not None
            and record.consent_kind is ActionKind.MEMBERSHIP
            and record.reported_entry_into_force is None
            and state not in {o.state for o in instrument.state_overrides}
        ):
            found.append(
                Condition(
                    "own_date_unknown",
                    f"the date from which {state_name(state)} applied the "
                    f"{instrument.short_title} is not in the data; the general date "
                    f"({record.in_force_from}) is used: check that it applied it on the date "
                    "of the request",
                    state=state,
                )
            )
    return tuple(found)


# --- annex crimes (Ljubljana–The Hague Convention art. 2(2)) ---------------------------------


def _annex_declared_by_both(snapshot: InstrumentSnapshot, query: Query) -> bool:
    return {query.requesting, query.requested} <= snapshot.annex_declared


def _annex_refusals(snapshot: InstrumentSnapshot, query: Query, book: Rulebook):
    """For each state without an annex declaration: a definite refusal, or an unknown when
    it made a declaration whose text the data does not hold."""
    crimes = ", ".join(
        book.crimes[c].title.lower() for c in query.crimes if book.crimes[c].ljhc == "annex"
    )
    refusals, unreadable = [], []
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
        conditions = plan["plain_conditions"]
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
    return Applicable(
        crime_conditional=scope == "unstated",
        instrument=instrument.id,
        title=instrument.title,
        in_force_since=in_force_since,
        citations=static["citations"],
        conditions=tuple(conditions),
        channel=static["channel"],
        rank=static["rank"],
    )


def _plan(
    book: Rulebook,
    index: DateIndex,
    snapshot: InstrumentSnapshot,
    kind: str,
    scope: str,
    crimes: tuple[str, ...],
) -> dict:
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


def _static_parts(snapshot: InstrumentSnapshot, kind: str) -> dict:
    """What an instrument says for a kind of cooperation whoever the states are: its
    citations, its own conditions, its channel. Computed once per date index."""
    key = ("static", kind)
    cached = snapshot.cache.get(key)
    if cached is not None:
        return cached
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


def _text(value) -> str | None:
    return None if value is None else str(value)


def _in_force_since(snapshot: InstrumentSnapshot, query: Query) -> date | None:
    first = snapshot.standings[query.requesting].record.in_force_from
    second = snapshot.standings[query.requested].record.in_force_from
    if first is None or second is None:
        return None
    return first if first > second else second


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
        return cached
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


# --- precedence, fallback, context ------------------------------------------------------------


def _apply_precedence(book: Rulebook, index: DateIndex, query: Query, bases: list[Applicable]):
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
    return index.memo[key]
