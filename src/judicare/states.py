"""States, as ISO 3166-1 codes (pycountry), accepting alpha-2 or alpha-3 on input.

Kosovo has no ISO 3166-1 code; the reference data uses the user-assigned code XKX (see
the participation data README), so it is accepted here with the same convention.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache

import pycountry

from judicare.errors import UnknownState


@dataclass(frozen=True, slots=True)
class State:
    alpha2: str
    alpha3: str
    name: str


# User-assigned code used by the reference data (treaties/README.md, "Columns"); and the
# International Criminal Court, which makes requests as a state does but is none: XIC in
# both columns (no alpha-2 is claimed), so that its requests can be registered and told
# apart (competing requests, Rome Statute art. 90).
#
# Why XIC, checked against ../shared/data (December 2026): no file there gives the Court a
# code. The sources name it only in words ("International Criminal Court (ICC)", in the
# joint statements of data/statements/ and the Rome Statute rows of data/treaties/); every
# `iso3` column holds ISO 3166-1 alpha-3 codes of states, and the one user-assigned code
# documented is Kosovo's XKX (data/safeguards/README.md). ISO 3166-1 leaves the X-range to
# its users, so XIC is ours, not a standard's: it never appears in a row of reference data,
# and a data file that later documents another code for the Court should replace it here.
COURT = "XIC"
_USER_ASSIGNED = (
    State(alpha2="XK", alpha3="XKX", name="Kosovo"),
    State(alpha2=COURT, alpha3=COURT, name="International Criminal Court"),
)


@cache
def _index() -> dict[str, State]:
    index: dict[str, State] = {}
    for country in pycountry.countries:
        state = State(alpha2=country.alpha_2, alpha3=country.alpha_3, name=country.name)
        index[state.alpha2] = state
        index[state.alpha3] = state
    for state in _USER_ASSIGNED:
        index[state.alpha2] = state
        index[state.alpha3] = state
    return index


def resolve_state(code: str) -> State:
    """The state for an alpha-2 or alpha-3 code, case-insensitive."""
    key = (code or "").strip().upper()
    state = _index().get(key)
    if state is None:
        raise UnknownState(
            f"unknown state {code!r}: give an ISO 3166-1 alpha-2 or alpha-3 code "
            "(for example BE or BEL; XKX for Kosovo)"
        )
    return state


def all_states() -> list[State]:
    """Every state once, ordered by alpha-3 code."""
    return sorted({s.alpha3: s for s in _index().values()}.values(), key=lambda s: s.alpha3)


@cache
def state_name(alpha3: str, locale: str = "en") -> str:
    """The state's short name in English or in a language pycountry translates to; the code
    itself for a code that is not a state (never raises while printing a report)."""
    try:
        state = resolve_state(alpha3)
    except UnknownState:
        return alpha3
    if locale == "en":
        return state.name
    try:
        translation = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale])
    except OSError:
        return state.name
    return translation.gettext(state.name)
