"""Everything the resolver needs to know on one date, computed once for that date: each
state's standing in each instrument, and the texts (reservations, declarations) that can
bear on a request. Resolving a pair of states is then a handful of dictionary lookups."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from judicare.treaties.domain import Action, ActionKind, Instrument, PartyStatus
from judicare.treaties.participation import Participation, StateRecord

TEXT_ACTIONS = frozenset(
    {ActionKind.RESERVATION, ActionKind.DECLARATION, ActionKind.ANNEX_ACCEPTANCE}
)
_ANNEX_DECLARATION = re.compile(r"2\s*\(\s*2\s*\)|annex", re.IGNORECASE)
# A declaration row whose text the source did not give: it may or may not be an annex one.
_TEXT_NOT_READ = re.compile(r"placeholder|not read|not captured|text not", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Standing:
    """One state's position in one instrument on the date."""

    status: PartyStatus | None  # None: no row for the state
    record: StateRecord | None


@dataclass
class InstrumentSnapshot:
    instrument: Instrument
    participation: Participation
    in_force: bool | None
    standings: dict[str, Standing]
    texts: dict[str, tuple[Action, ...]]
    annex_declared: frozenset[str]
    annex_unknown: frozenset[str] = frozenset()  # declarations whose text is not in the data
    entry_disagreement: str | None = None
    cache: dict[Any, Any] = field(default_factory=dict)  # resolver memo
    # state -> None (bound) | NoBasis | Unknown
    verdicts: dict[str, Any] = field(default_factory=dict)
    plans: dict[Any, Any] = field(default_factory=dict)  # (kind, scope, crimes) -> resolver plan

    def standing(self, state: str) -> Standing:
        return self.standings.get(state) or _ABSENT


_ABSENT = Standing(status=None, record=None)


@dataclass
class DateIndex:
    on: date
    instruments: dict[str, InstrumentSnapshot]
    memo: dict[Any, Any] = field(default_factory=dict)
    contexts: dict[str, Any] = field(default_factory=dict)  # state -> context rows

    def candidates(self, kind: str) -> list[InstrumentSnapshot]:
        """The cooperation instruments that cover this kind (protocols that only add to an
        instrument covering the same kind are shown with that instrument instead)."""
        key = ("candidates", kind)
        if key not in self.memo:
            found = []
            for snapshot in self.instruments.values():
                instrument = snapshot.instrument
                if instrument.role != "cooperation" or kind not in instrument.kind_codes:
                    continue
                parent = self.instruments.get(instrument.supplements or "")
                if parent is not None and kind in parent.instrument.kind_codes:
                    continue
                found.append(snapshot)
            self.memo[key] = found
        return cast(list[InstrumentSnapshot], self.memo[key])

    def context_for(self, state: str) -> tuple[tuple[str, str, str], ...]:
        """(instrument, role, status word) for each court and safeguard instrument."""
        if state not in self.contexts:
            self.contexts[state] = tuple(
                (s.instrument.id, s.instrument.role, status_word(s, state, self.on))
                for s in self.instruments.values()
                if s.instrument.role != "cooperation"
            )
        return cast(tuple[tuple[str, str, str], ...], self.contexts[state])


def status_word(snapshot: InstrumentSnapshot, state: str, on: date | None = None) -> str:
    """The state's status as one word; a state with no row is "not_party" only in complete
    data, before the data's end date, once the instrument existed."""
    status = snapshot.standing(state).status
    if status is not None:
        return status.value
    if on is not None:
        existing = snapshot.instrument.not_yet_existing(on)
        if existing is not None:
            return existing
        if snapshot.participation.after_data(on):
            return "unknown"
    return "not_party" if snapshot.instrument.completeness.value == "complete" else "unknown"


def build_index(
    participations: dict[str, Participation], actions: dict[str, list[Action]], on: date
) -> DateIndex:
    snapshots = {}
    for instrument_id, participation in participations.items():
        standings = {
            state: Standing(participation.state_status_on(state, on), record)
            for state, record in participation.states.items()
        }
        texts: dict[str, list[Action]] = defaultdict(list)
        for action in actions.get(instrument_id, ()):
            if action.kind in TEXT_ACTIONS and (action.date is None or action.date <= on):
                texts[action.state].append(action)
        declared = frozenset(
            state
            for state, items in texts.items()
            if any(
                a.kind is ActionKind.ANNEX_ACCEPTANCE or _ANNEX_DECLARATION.search(a.notes)
                for a in items
            )
        )
        unreadable = frozenset(
            state
            for state, items in texts.items()
            if state not in declared
            and any(
                a.kind is ActionKind.DECLARATION and _TEXT_NOT_READ.search(a.notes) for a in items
            )
        )
        snapshots[instrument_id] = InstrumentSnapshot(
            instrument=participation.instrument,
            participation=participation,
            in_force=participation.in_force_on(on),
            standings=standings,
            texts={s: tuple(items) for s, items in texts.items()},
            annex_declared=declared,
            annex_unknown=unreadable,
            entry_disagreement=_entry_disagreement(participation, on),
        )
    return DateIndex(on=on, instruments=snapshots)


def _entry_disagreement(participation: Participation, on: date) -> str | None:
    """Sources disagree about the instrument's entry into force in a way that changes the
    answer on this date."""
    computed, used = participation.entry.date, participation.entry_into_force
    if computed is None or used is None or computed == used:
        return None
    if min(computed, used) <= on < max(computed, used):
        return (
            f"the deposits in the data put entry into force on {computed}, a source states "
            f"{used}; on {on} the two disagree on whether it was in force"
        )
    return None
