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
from judicare.treaties.domain import Completeness, Instrument, PartyStatus

_RANK_SPECIFIC, _RANK_GENERAL, _RANK_SUPERSEDING = 20, 50, 10


def resolve(book: Rulebook, index: DateIndex, query: Query) -> Resolution:
    unknown_crimes = [c for c in query.crimes if c not in book.crimes]
    if unknown_crimes:
        raise InvalidInput(
            f"unknown crime {unknown_crimes[0]!r}: use one of {', '.join(book.crimes)}"
        )
    bases: list[Applicable] = []
    no_basis: list[NoBasis] = []
    unknowns: list[Unknown] = []
    conflicts: list[Conflict] = []
    notes: list[str] = []
    kind = query.kind.value
    for instrument_id, snapshot in index.instruments.items():
        instrument = snapshot.instrument
        if instrument.role != "cooperation" or kind not in instrument.kind_codes:
            continue
        if instrument.supplements and kind in book.instruments[instrument.supplements].kind_codes:
            continue  # a protocol to an instrument that covers this kind: shown with it
        scope = _scope(book, instrument, query)
        if scope is None:
            notes.append(
                f"{instrument_id} not considered: it covers {_scope_text(book, instrument)} only"
            )
            continue
        outcome = _standing_of_both(snapshot, query, index.on)
        if outcome is not None:
            found_no, found_unknown = outcome
            no_basis.extend(found_no)
            unknowns.extend(found_unknown)
            continue
        if scope == "annex" and not _annex_declared_by_both(snapshot, query):
            no_basis.extend(_annex_refusals(snapshot, query, book))
            continue
        if snapshot.entry_disagreement:
            conflicts.append(Conflict((instrument_id,), snapshot.entry_disagreement))
        bases.append(_applicable(book, index, snapshot, query, scope))
    bases, more_conflicts = _apply_precedence(book, index, query, bases)
    conflicts.extend(more_conflicts)
    # Crime-specific instruments only count as a basis once the crimes are known.
    conditional = [b for b in bases if b.crime_conditional]
    bases = [b for b in bases if not b.crime_conditional]
    fallback = None
    if not bases:
        fallback = _fallback(book, query)
        if fallback is None:
            no_basis.append(
                NoBasis(
                    "national-law",
                    "no_national_law_in_data",
                    f"the national law of {state_name(query.requested)} on {kind} "
                    "is not in the data",
                    query.requested,
                )
            )
    return Resolution(
        query=query,
        bases=tuple(sorted(bases, key=lambda b: (b.rank, b.instrument))),
        conditional_bases=tuple(sorted(conditional, key=lambda b: b.instrument)),
        fallback=fallback,
        no_basis=tuple(no_basis),
        unknowns=tuple(unknowns),
        conflicts=tuple(conflicts),
        context=tuple(_context(index, query)),
        notes=tuple(notes),
    )


# --- scope --------------------------------------------------------------------------------


def _scope(book: Rulebook, instrument: Instrument, query: Query) -> str | None:
    """'all', 'core', 'annex', 'unstated' (no crimes given) or None (not relevant)."""
    scope = instrument.scope or {}
    covered = scope.get("crimes")
    if covered == "all" or covered is None:
        return "all"
    if not query.crimes:
        return "unstated"
    if set(query.crimes) & set(covered):
        return "core"
    if scope.get("annex_by_declaration") and any(
        book.crimes[c].ljhc == "annex" for c in query.crimes
    ):
        return "annex"
    return None


def _scope_text(book: Rulebook, instrument: Instrument) -> str:
    covered = (instrument.scope or {}).get("crimes") or []
    return ", ".join(book.crimes[c].title.lower() for c in covered)


# --- standing of the two states -------------------------------------------------------------


def _standing_of_both(snapshot: InstrumentSnapshot, query: Query, on: date):
    """None when the instrument binds both states on the date; otherwise why not."""
    found_no: list[NoBasis] = []
    found_unknown: list[Unknown] = []
    if snapshot.in_force is False:
        found_no.append(_not_in_force(snapshot, on))
    for state in (query.requesting, query.requested):
        verdict = _state_verdict(snapshot, state, on)
        if isinstance(verdict, NoBasis):
            found_no.append(verdict)
        elif isinstance(verdict, Unknown):
            found_unknown.append(verdict)
    if found_no:
        return found_no, []
    if found_unknown:
        return [], found_unknown
    return None


def _state_verdict(snapshot: InstrumentSnapshot, state: str, on: date):
    """None when in force for the state on the date; else a NoBasis or an Unknown. Memoised
    per state, since the snapshot belongs to one date."""
    key = ("verdict", state)
    if key in snapshot.cache:
        return snapshot.cache[key]
    verdict = _compute_verdict(snapshot, state, on)
    snapshot.cache[key] = verdict
    return verdict


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
            f"{name}'s status on {on} cannot be determined: "
            f"{record.explanation or '; '.join(record.notes)}",
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
        else "partial participation data with no row for it"
    )
    return Unknown(iid, state, f"{name}'s participation is unknown: {data}")


def _not_in_force(snapshot: InstrumentSnapshot, on: date) -> NoBasis:
    entry = snapshot.participation.entry
    return NoBasis(
        snapshot.instrument.id,
        "instrument_not_in_force",
        f"{snapshot.instrument.short_title} is not in force on {on}: {entry.explanation}",
    )


# --- annex crimes (Ljubljana–The Hague Convention art. 2(2)) ---------------------------------


def _annex_declared_by_both(snapshot: InstrumentSnapshot, query: Query) -> bool:
    return {query.requesting, query.requested} <= snapshot.annex_declared


def _annex_refusals(snapshot: InstrumentSnapshot, query: Query, book: Rulebook) -> list[NoBasis]:
    crimes = ", ".join(
        book.crimes[c].title.lower() for c in query.crimes if book.crimes[c].ljhc == "annex"
    )
    return [
        NoBasis(
            snapshot.instrument.id,
            "annex_not_accepted",
            f"{state_name(state)} has not declared that the Convention applies to the annex crimes "
            f"concerned ({crimes}) (art. 2(2))",
            state,
        )
        for state in (query.requesting, query.requested)
        if state not in snapshot.annex_declared
    ]


# --- the applicable instrument, with conditions -----------------------------------------------


def _applicable(
    book: Rulebook, index: DateIndex, snapshot: InstrumentSnapshot, query: Query, scope: str
) -> Applicable:
    instrument = snapshot.instrument
    kind = query.kind.value
    kind_entries = [k for k in instrument.kinds if k["kind"] == kind]
    citations = [
        Citation(
            instrument.id,
            _text(k.get("article")),
            bool(k.get("verified")),
            k.get("source_url"),
            k.get("note") or "",
        )
        for k in kind_entries
    ]
    scope_block = instrument.scope or {}
    citations.append(
        Citation(
            instrument.id,
            _text(scope_block.get("article")),
            bool(scope_block.get("verified", True)),
            scope_block.get("source_url"),
            scope_block.get("note") or "",
        )
    )
    conditions = [
        Condition("instrument_condition", k["condition"], tuple(citations[:1]))
        for k in kind_entries
        if k.get("condition")
    ]
    conditions += _scope_conditions(book, instrument, query, scope)
    conditions += _reservations(snapshot, query, kind_entries)
    conditions += _supplements(index, instrument, query)
    in_force_since = _in_force_since(snapshot, query)
    if query.conduct_date and (in_force_since is None or query.conduct_date < in_force_since):
        conditions.append(
            Condition(
                "temporal_application",
                f"the conduct ({query.conduct_date}) predates entry into force between the two"
                f" states ({in_force_since or 'date unknown'}); whether the instrument covers "
                "earlier conduct "
                "is not in the data: legal review",
            )
        )
    if any(not c.verified for c in citations) or not instrument.entry_into_force.verified:
        conditions.append(
            Condition(
                "unverified_citation",
                "at least one citation or the entry-into-force rule is not verified against "
                "the instrument's text",
            )
        )
    rank = _RANK_SPECIFIC if isinstance(scope_block.get("crimes"), list) else _RANK_GENERAL
    return Applicable(
        crime_conditional=scope == "unstated",
        instrument=instrument.id,
        title=instrument.title,
        in_force_since=in_force_since,
        citations=tuple(citations),
        conditions=tuple(conditions),
        channel=_channel(instrument, kind),
        rank=rank,
    )


def _text(value) -> str | None:
    return None if value is None else str(value)


def _in_force_since(snapshot: InstrumentSnapshot, query: Query) -> date | None:
    dates = [snapshot.standing(s).record.in_force_from for s in (query.requesting, query.requested)]
    return None if None in dates else max(dates)


def _scope_conditions(
    book: Rulebook, instrument: Instrument, query: Query, scope: str
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
        crimes = [book.crimes[c] for c in query.crimes if book.crimes[c].ljhc == "annex"]
        letters = "; ".join(
            f"{c.title}: annex {c.annex}{' (' + c.annex_note + ')' if c.annex_note else ''}"
            for c in crimes
        )
        return [
            Condition(
                "annex_crime",
                f"annex crime ({letters}); both states declared under art. 2(2). Verify that both "
                "declarations cover this annex; whether both must declare is [UNSURE]: "
                "legal review",
                cite,
            )
        ]
    if scope == "core":
        outside = [c for c in query.crimes if c not in block.get("crimes", [])]
        if outside:
            names = ", ".join(book.crimes[c].title.lower() for c in outside)
            return [
                Condition(
                    "crime_scope", f"covers only {_scope_text(book, instrument)}; not {names}", cite
                )
            ]
    return []


def _reservations(
    snapshot: InstrumentSnapshot, query: Query, kind_entries: list[dict]
) -> list[Condition]:
    articles = [str(k["article"]) for k in kind_entries if k.get("article")]
    if not articles:
        return []
    pattern = re.compile(
        r"\bart(?:icle)?s?\.?\s*(?:" + "|".join(re.escape(a) for a in articles) + r")\b",
        re.IGNORECASE,
    )
    found = []
    for state in (query.requesting, query.requested):
        for action in snapshot.texts.get(state, ()):
            if pattern.search(action.notes):
                found.append(
                    Condition(
                        f"{action.kind.value}_of_a_state",
                        f"{state_name(state)}: {action.kind.value} bearing on art. "
                        f"{', '.join(articles)}: "
                        f"{action.notes[:400]}",
                        (
                            Citation(
                                snapshot.instrument.id, ", ".join(articles), True, action.source_url
                            ),
                        ),
                        state,
                    )
                )
    return found


def _supplements(index: DateIndex, instrument: Instrument, query: Query) -> list[Condition]:
    found = []
    for snapshot in index.instruments.values():
        if snapshot.instrument.supplements != instrument.id:
            continue
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
    by_id = {b.instrument: b for b in bases}
    conflicts: list[Conflict] = []
    for rule in book.precedence:
        if query.kind.value not in rule.kinds:
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
    from dataclasses import replace

    return replace(base, precedence=text, rank=base.rank if rank is None else rank)


def _fallback(book: Rulebook, query: Query) -> Fallback | None:
    law = book.law_for(query.requested, query.kind.value)
    if law is None:
        return None
    return Fallback(law.id, law.title, law.citations, law.reciprocity, law.gaps)


def _context(index: DateIndex, query: Query) -> list[dict]:
    """Where each state stands in the court and safeguard instruments (not bases themselves,
    but the screening of the request relies on them)."""
    rows = []
    for snapshot in index.instruments.values():
        if snapshot.instrument.role == "cooperation":
            continue
        rows.append(
            {
                "instrument": snapshot.instrument.id,
                "role": snapshot.instrument.role,
                "requesting": _status_word(snapshot, query.requesting),
                "requested": _status_word(snapshot, query.requested),
            }
        )
    return rows


def _status_word(snapshot: InstrumentSnapshot, state: str) -> str:
    status = snapshot.standing(state).status
    if status is not None:
        return status.value
    return "not_party" if snapshot.instrument.completeness is Completeness.COMPLETE else "unknown"
