"""Whether an instrument binds a state on a date, as the participation data tells: "yes",
"no" or "unknown". A state with no row is "no" only where the data is complete and speaks
for that date; otherwise it is unknown, never "not a party". Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from judicare.screening.domain import Binding
from judicare.treaties.domain import Completeness, PartyStatus
from judicare.treaties.participation import Participation

_NOT_BOUND = frozenset({PartyStatus.RATIFIED_PENDING, PartyStatus.SIGNATORY, PartyStatus.WITHDRAWN})


def binding_status(participation: Participation | None, state: str, on: date) -> Binding:
    if participation is None:  # no instrument or no data in the register
        return Binding.UNKNOWN
    override = participation.not_bound.get(state)
    if override is not None and not override.bound:
        return Binding.NO
    if participation.in_force_on(on) is False:
        return Binding.NO
    status = participation.state_status_on(state, on)
    if status is PartyStatus.PARTY:
        return Binding.YES
    if status in _NOT_BOUND:
        return Binding.NO
    if status is PartyStatus.UNKNOWN:
        return Binding.UNKNOWN
    if state in participation.states:  # its own dated rows: it had not yet taken part
        return Binding.NO
    complete = participation.instrument.completeness is Completeness.COMPLETE
    if (
        complete
        and participation.unlisted_states == "not_party"
        and not participation.after_data(on)
    ):
        return Binding.NO
    return Binding.UNKNOWN


def binding_table(
    participations: Mapping[str, Participation],
    instruments: Iterable[str],
    requesting: str,
    requested: str,
    on: date,
) -> dict[str, dict[str, str]]:
    """instrument -> {"requesting": ..., "requested": ...} on the date."""
    return {
        instrument: {
            "requesting": binding_status(participations.get(instrument), requesting, on),
            "requested": binding_status(participations.get(instrument), requested, on),
        }
        for instrument in sorted(instruments)
    }
