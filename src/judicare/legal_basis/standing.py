"""The resolver's standing rules: where each of the two states stands in an instrument on
the date, whether the instrument existed yet, and the pair- and date-specific limits (one
side of a bilateral agreement, art. 32 statements, member states' own dates). Pure."""

from __future__ import annotations

from datetime import date
from typing import cast

from judicare.legal_basis.domain import (
    Citation,
    Condition,
    NoBasis,
    Query,
    Unknown,
)
from judicare.legal_basis.index import InstrumentSnapshot
from judicare.states import state_name
from judicare.treaties.domain import ActionKind, Completeness, Instrument, PartyStatus
from judicare.treaties.participation import StateRecord
from judicare.treaties.wording import for_users

Verdict = NoBasis | Unknown | None  # None: in force for the state on the date

# --- standing of the two states -------------------------------------------------------------


def _state_verdict(snapshot: InstrumentSnapshot, state: str, on: date) -> Verdict:
    """None when in force for the state on the date; else a NoBasis or an Unknown. Memoised
    per state, since the snapshot belongs to one date."""
    verdicts = snapshot.verdicts
    if state not in verdicts:
        verdicts[state] = _compute_verdict(snapshot, state, on)
    return cast(Verdict, verdicts[state])


def _compute_verdict(snapshot: InstrumentSnapshot, state: str, on: date) -> Verdict:
    instrument = snapshot.instrument
    iid, name = instrument.id, state_name(state)
    standing = snapshot.standing(state)
    record = standing.record or StateRecord(state)  # no row: only its status is read
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
        return cast(NoBasis, cached)
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


def _outside_pair(snapshot: InstrumentSnapshot) -> NoBasis:
    """An agreement between one state and a group applies only across the two sides: the
    reason given for a pair on the same side (memoised per date)."""
    found = snapshot.cache.get("outside_pair")
    if found is None:
        one = snapshot.instrument.one_side or ""
        found = snapshot.cache["outside_pair"] = NoBasis(
            snapshot.instrument.id,
            "outside_instrument",
            f"{snapshot.instrument.short_title} applies only between {state_name(one)} and "
            "the states on the other side, not between these two",
        )
    return cast(NoBasis, found)


def _temporal_limit(
    snapshot: InstrumentSnapshot, query: Query
) -> NoBasis | Unknown | Condition | None:
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
