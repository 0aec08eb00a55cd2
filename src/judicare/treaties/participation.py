"""Who takes part in an instrument, and how, on any date.

`build_participation` turns an instrument (its rules, held as data) and its dated actions
into one `StateRecord` per state, computed once. `status_on` then answers for any date with
a few comparisons, which is what lets the register answer "as of any date" quickly.

The records never guess. A state with no row in complete data is simply absent (not a
participant); in partial data, absence means unknown and the result says so. When a
date cannot be computed, the record keeps the bounds it can prove and says why.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from judicare.treaties.domain import (
    Action,
    ActionKind,
    Completeness,
    Instrument,
    PartyStatus,
    StateOverride,
)
from judicare.treaties.entry_into_force import (
    InstrumentEntry,
    instrument_entry_into_force,
    state_entry_into_force,
    withdrawal_effective,
)


@dataclass(frozen=True, slots=True)
class StateRecord:
    """Everything about one state's participation that does not depend on the date asked."""

    state: str
    signed: date | None = None
    consent_kind: ActionKind | None = None
    consent_date: date | None = None
    in_force_from: date | None = None
    # Bounds when the exact date is unknown: not in force before `not_before`; certainly
    # bound from `bound_by` (e.g. the date of a notification of succession).
    not_before: date | None = None
    bound_by: date | None = None
    pending_indefinitely: bool = False  # the instrument has not entered into force (data)
    explanation: str = ""
    withdrawal_notified: date | None = None
    withdrawal_effective: date | None = None
    first_dated: date | None = None
    undated_only: bool = False
    reported_entry_into_force: date | None = None  # a source's own per-state date
    # From `unknown_from` until the consent date the status is unknown: a successor state
    # is bound from a date of succession the data does not give.
    unknown_from: date | None = None
    # Before `listed_from` the state is not listed at all (EU members before the act existed).
    listed_from: date | None = None
    notes: tuple[str, ...] = ()

    def change_dates(self) -> list[date]:
        """The only dates on which this state's status can change."""
        candidates = (
            self.signed, self.consent_date, self.in_force_from, self.not_before,
            self.bound_by, self.withdrawal_notified, self.withdrawal_effective,
            self.unknown_from, self.listed_from,
        )  # fmt: skip
        return sorted({d for d in candidates if d is not None})

    def status_on(self, on: date) -> PartyStatus | None:
        """The state's status on `on`, or None when it had not yet taken part. This is the
        rule itself; `Timeline` answers the same question faster for many dates."""
        if self.listed_from is not None and on < self.listed_from:
            return None
        if self.withdrawal_effective is not None and on >= self.withdrawal_effective:
            return PartyStatus.WITHDRAWN
        notified = self.withdrawal_notified
        if self.withdrawal_effective is None and notified is not None and on >= notified:
            return PartyStatus.UNKNOWN  # notified, but when it takes effect is not known
        if self.consent_date is not None and on >= self.consent_date:
            return self._consenting_status(on)
        if self.unknown_from is not None and on >= self.unknown_from:
            return PartyStatus.UNKNOWN
        if self.signed is not None and on >= self.signed:
            return PartyStatus.SIGNATORY
        if self.undated_only:
            return PartyStatus.UNKNOWN
        return None

    def _consenting_status(self, on: date) -> PartyStatus:
        if self.in_force_from is not None:
            return PartyStatus.PARTY if on >= self.in_force_from else PartyStatus.RATIFIED_PENDING
        if self.bound_by is not None and on >= self.bound_by:
            return PartyStatus.PARTY
        if self.not_before is not None and on < self.not_before:
            return PartyStatus.RATIFIED_PENDING
        if self.pending_indefinitely:
            return PartyStatus.RATIFIED_PENDING
        return PartyStatus.UNKNOWN


class Timeline:
    """A state's status as a step function of the date, built from `StateRecord.status_on`
    at each change date, so that any date is answered by one bisection."""

    __slots__ = ("_dates", "_initial", "_statuses")

    def __init__(self, record: StateRecord) -> None:
        self._dates = record.change_dates()
        self._statuses = [record.status_on(d) for d in self._dates]
        self._initial = record.status_on(date.min)

    def status_on(self, on: date) -> PartyStatus | None:
        index = bisect_right(self._dates, on)
        return self._statuses[index - 1] if index else self._initial


@dataclass(frozen=True)
class Participation:
    instrument: Instrument
    entry: InstrumentEntry
    entry_into_force: date | None  # the date used: a source's, else the computed one
    entry_into_force_basis: str
    states: dict[str, StateRecord]
    disagreements: tuple[str, ...] = ()
    unlisted_states: str = "not_party"  # or "unknown" when the data is partial
    # States that the instrument does not bind although the rows list them (EU opt-outs).
    not_bound: dict[str, StateOverride] = field(default_factory=dict)
    # The latest date the participation data speaks for; later events are not in it.
    data_as_of: date | None = None

    def after_data(self, on: date) -> bool:
        return self.data_as_of is not None and on > self.data_as_of

    def in_force_on(self, on: date) -> bool | None:
        """True/False when the data can tell, None when it cannot."""
        if self.entry_into_force is not None:
            return on >= self.entry_into_force
        rule = self.instrument.entry_into_force
        complete = self.instrument.completeness is Completeness.COMPLETE
        if complete and rule.instruments_required is not None and self.entry.date is None:
            # Complete data where the threshold is not reached: not in force, as far as the
            # data goes; after its date, ratifications may be missing, so unknown.
            return None if self.after_data(on) else False
        return None

    @cached_property
    def timelines(self) -> dict[str, Timeline]:
        return {state: Timeline(record) for state, record in self.states.items()}

    def state_status_on(self, state: str, on: date) -> PartyStatus | None:
        timeline = self.timelines.get(state)
        return timeline.status_on(on) if timeline is not None else None

    def status_on(self, on: date) -> list[tuple[StateRecord, PartyStatus]]:
        rows = []
        for state, record in self.states.items():
            status = self.state_status_on(state, on)
            if status is not None:
                rows.append((record, status))
        rows.sort(key=lambda pair: pair[0].state)
        return rows


def build_participation(
    instrument: Instrument,
    actions: Iterable[Action],
) -> Participation:
    """Compute every state's record for one instrument from its actions."""
    by_state: dict[str, list[Action]] = defaultdict(list)
    for action in actions:
        by_state[action.state].append(action)
    rule = instrument.entry_into_force
    consents = [a for acts in by_state.values() for a in acts if a.kind.expresses_consent]
    entry = instrument_entry_into_force(rule, _first_consent_per_state(consents))
    if instrument.completeness is not Completeness.COMPLETE:
        # In a fragment the early deposits are missing: counting them would name the wrong
        # deposit as the one that reached the threshold.
        entry = InstrumentEntry(
            None,
            None,
            entry.instruments_counted,
            "the participation data is partial, so the deposit that reached the threshold "
            "cannot be identified from it",
        )
    known = instrument.known_entry_into_force.value
    known = known if isinstance(known, date) else None
    disagreements: list[str] = []
    if known and entry.date and known != entry.date:
        disagreements.append(
            f"the deposits in the data give entry into force on {entry.date} ({entry.explanation}),"
            f" but {instrument.known_entry_into_force.source_url} states {known}"
        )
        # The deposit the data names as the threshold is then not the real one: each state's
        # date follows from its own deposit and the stated date, never from that deposit.
        entry = InstrumentEntry(entry.date, None, entry.instruments_counted, entry.explanation)
    used = known or entry.date
    basis = (
        f"as stated by {instrument.known_entry_into_force.citation or 'the source'}"
        f" ({instrument.known_entry_into_force.source_url})"
        if known
        else entry.explanation
    )
    provisional = instrument.provisional_application
    if provisional is not None and isinstance(provisional.value, date):
        # Applied provisionally before its entry into force: the date it applied from.
        basis = (
            f"applied provisionally from {provisional.value} ({provisional.citation or ''}, "
            f"{provisional.source_url}); formally in force from {used or 'a date not in the data'}"
        )
        used = provisional.value
    overrides = {o.state: o for o in instrument.state_overrides}
    states: dict[str, StateRecord] = {}
    not_bound: dict[str, StateOverride] = {}
    for state, acts in by_state.items():
        override = overrides.get(state)
        if override is not None and not override.bound:
            not_bound[state] = override
            continue
        states[state] = _state_record(instrument, entry, used, state, acts, override)
        disagreements.extend(_reported_disagreements(instrument, state, acts))
    unlisted = "unknown" if instrument.completeness is not Completeness.COMPLETE else "not_party"
    return Participation(
        instrument=instrument,
        entry=entry,
        entry_into_force=used,
        entry_into_force_basis=basis,
        states=states,
        disagreements=tuple(disagreements),
        unlisted_states=unlisted,
        not_bound=not_bound,
        data_as_of=data_as_of(instrument),
    )


def _reported_disagreements(instrument: Instrument, state: str, acts: list[Action]) -> list[str]:
    """Two sources giving one state different dates of application: both are shown."""
    reported = sorted(
        {a.date for a in acts if a.kind is ActionKind.ENTRY_INTO_FORCE and a.date is not None}
    )
    if len(reported) < 2:
        return []
    return [
        f"{state}: the sources give different dates from which {instrument.short_title} "
        f"applied ({', '.join(str(d) for d in reported)}); the earliest is used"
    ]


def data_as_of(instrument: Instrument) -> date | None:
    """The latest full date named in the participation data's "as of" note, if any."""
    found = re.findall(r"\d{4}-\d{2}-\d{2}", instrument.participation_as_of or "")
    dates = []
    for text in found:
        try:
            dates.append(date.fromisoformat(text))
        except ValueError:
            continue
    return max(dates, default=None)


def _first_consent_per_state(consents: list[Action]) -> list[Action]:
    """One binding act per state: its deposit where the source records one, else its first
    act of consent."""
    first: dict[str, Action] = {}
    deposits_first = sorted(
        consents, key=lambda a: (a.kind is not ActionKind.DEPOSIT, a.date or date.max)
    )
    for action in deposits_first:
        if action.date is not None and action.state not in first:
            first[action.state] = action
    return list(first.values())


def _state_record(
    instrument: Instrument,
    entry: InstrumentEntry,
    instrument_date: date | None,
    state: str,
    acts: list[Action],
    override,
) -> StateRecord:
    dated = sorted((a for a in acts if a.date is not None), key=lambda a: a.date)
    values: dict = {
        "state": state,
        "first_dated": dated[0].date if dated else None,
        "undated_only": not dated,
    }
    notes: list[str] = []
    signatures = [a.date for a in dated if a.kind is ActionKind.SIGNATURE]
    values["signed"] = signatures[0] if signatures else None
    # Where a source records the deposit itself (OAS sheets), the deposit is the act that
    # binds the state; the domestic ratification before it is not.
    deposit = next((a for a in dated if a.kind is ActionKind.DEPOSIT), None)
    consent = deposit or next((a for a in dated if a.kind.expresses_consent), None)
    reported = next((a.date for a in dated if a.kind is ActionKind.ENTRY_INTO_FORCE), None)
    values["reported_entry_into_force"] = reported
    if consent is None and reported is not None:
        # Some sources give only the per-state entry into force (a party on that date).
        values.update(consent_kind=None, consent_date=reported, in_force_from=reported)
        values["explanation"] = "entry into force for this state as the source states it"
    elif consent is not None:
        values.update(consent_kind=consent.kind, consent_date=consent.date)
        values.update(_consent_dates(instrument, entry, instrument_date, consent, reported))
    if override is not None and override.in_force_from is not None:
        values["in_force_from"] = override.in_force_from
        values["explanation"] = f"{override.note} ({override.source_url})"
    elif (
        consent is not None
        and values.get("in_force_from") is None
        and instrument.bound_at_latest is not None
    ):
        values["bound_by"] = instrument.bound_at_latest.value
        notes.append(
            f"bound at the latest from {instrument.bound_at_latest.value} "
            f"({instrument.bound_at_latest.source_url}); the exact date is not in the data"
        )
    values.update(_withdrawal(instrument, dated, override))
    values["notes"] = tuple(notes)
    return StateRecord(**values)


def _consent_dates(instrument, entry, instrument_date, consent: Action, reported) -> dict:
    rule = instrument.entry_into_force
    if reported is not None and consent.kind is ActionKind.MEMBERSHIP:
        # A member state's own date of application; never before the act itself applied.
        adopted = instrument.adopted.value if isinstance(instrument.adopted.value, date) else None
        floor = instrument_date or reported
        return {
            "listed_from": max(consent.date, adopted or floor),
            "in_force_from": max(reported, floor),
            "explanation": "this member state's own date of application, as the source states it",
        }
    if reported is not None:
        return {
            "in_force_from": reported,
            "explanation": "entry into force as the source states it",
        }
    if consent.kind is ActionKind.SUCCESSION:
        return {
            "bound_by": consent.date,
            "not_before": None,
            "unknown_from": instrument_date or consent.date,
            "explanation": (
                "succession: bound from the date of succession, which the data does not give;"
                " certainly bound once the succession was notified"
            ),
        }
    if consent.kind is ActionKind.MEMBERSHIP:
        if instrument_date is None:
            return {"explanation": "the instrument's date of application is not in the data"}
        start = max(consent.date, instrument_date)
        adopted = instrument.adopted.value if isinstance(instrument.adopted.value, date) else None
        listed = {"listed_from": max(consent.date, adopted or instrument_date)}
        if instrument.bound_at_latest is not None:
            return {
                **listed,
                "not_before": start,
                "explanation": f"binds member states, not before {start}; this state's own date "
                "of application is not in the data",
            }
        return {
            **listed,
            "in_force_from": start,
            "explanation": f"binds member states: from membership ({consent.date}) "
            f"or the instrument's own date ({instrument_date}), whichever is later, as the "
            "data README instructs; the date a state actually applied it may differ",
        }
    if instrument_date is None:
        pending = (
            instrument.completeness is Completeness.COMPLETE
            and rule.instruments_required is not None
            and entry.date is None
        )
        return {"pending_indefinitely": pending, "explanation": entry.explanation}
    when, why = state_entry_into_force(rule, entry, instrument_date, consent.date)
    if when is None:
        return {"not_before": instrument_date, "explanation": why}
    return {"in_force_from": when, "explanation": why}


def _withdrawal(
    instrument: Instrument, dated: list[Action], override: StateOverride | None = None
) -> dict:
    if override is not None and override.in_force_until is not None:
        # The last day it applied, from a source the rows cannot carry (Brexit transition).
        return {
            "withdrawal_notified": None,
            "withdrawal_effective": override.in_force_until + timedelta(days=1),
        }
    start = override.in_force_from if override is not None else None
    withdrawal = next(
        (
            a
            for a in dated
            if a.kind is ActionKind.WITHDRAWAL and (start is None or a.date >= start)
        ),
        None,
    )  # a withdrawal before the state's participation began cannot end it
    if withdrawal is None:
        return {}
    if withdrawal.date_is_effective:
        return {"withdrawal_notified": None, "withdrawal_effective": withdrawal.date}
    delay = instrument.withdrawal.delay
    effective = withdrawal_effective(withdrawal.date, delay) if delay is not None else None
    return {"withdrawal_notified": withdrawal.date, "withdrawal_effective": effective}


__all__ = ["Participation", "StateRecord", "build_participation"]
