"""Pure values of the treaty register. No I/O here: plain data in, plain data out."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Any


class ActionKind(enum.StrEnum):
    """What a state can do in respect of an instrument, as the depositary records it."""

    FULL_POWERS = "full_powers"
    SIGNATURE = "signature"
    RATIFICATION = "ratification"
    ACCEPTANCE = "acceptance"
    APPROVAL = "approval"
    ACCESSION = "accession"
    SUCCESSION = "succession"
    RESERVATION = "reservation"
    DECLARATION = "declaration"
    OBJECTION = "objection"
    WITHDRAWAL = "withdrawal"
    CENTRAL_AUTHORITY = "central_authority_designation"
    ANNEX_ACCEPTANCE = "annex_acceptance"
    # Found only in reference data, never recorded through the register:
    MEMBERSHIP = "membership"  # EU membership (EU instruments bind member states)
    DEPOSIT = "deposit"  # OAS sheets record the deposit of the instrument itself
    ENTRY_INTO_FORCE = "entry_into_force"  # a source's own per-state entry-into-force date

    @property
    def expresses_consent(self) -> bool:
        """Consent to be bound: the act that can make a state a party."""
        return self in CONSENT_ACTIONS

    @property
    def recordable(self) -> bool:
        """Actions the depositary register accepts from an officer."""
        return self not in REFERENCE_ONLY_ACTIONS


CONSENT_ACTIONS = frozenset(
    {
        ActionKind.RATIFICATION,
        ActionKind.ACCEPTANCE,
        ActionKind.APPROVAL,
        ActionKind.ACCESSION,
        ActionKind.SUCCESSION,
        ActionKind.MEMBERSHIP,
        ActionKind.DEPOSIT,
    }
)
REFERENCE_ONLY_ACTIONS = frozenset(
    {ActionKind.MEMBERSHIP, ActionKind.DEPOSIT, ActionKind.ENTRY_INTO_FORCE}
)
# Ratification, acceptance and approval follow a signature; accession and succession do not.
NEEDS_PRIOR_SIGNATURE = frozenset(
    {ActionKind.RATIFICATION, ActionKind.ACCEPTANCE, ActionKind.APPROVAL}
)
# Actions whose substance is a text: the register needs it in the note.
NEEDS_TEXT = frozenset(
    {
        ActionKind.RESERVATION,
        ActionKind.DECLARATION,
        ActionKind.OBJECTION,
        ActionKind.CENTRAL_AUTHORITY,
        ActionKind.ANNEX_ACCEPTANCE,
    }
)


class PartyStatus(enum.StrEnum):
    """A state's position in respect of an instrument on a given date."""

    PARTY = "party"  # bound, and the instrument is in force for it
    RATIFIED_PENDING = "ratified_pending"  # consent deposited, not yet in force for it
    SIGNATORY = "signatory"  # signed, no consent to be bound yet
    WITHDRAWN = "withdrawn"  # its withdrawal (denunciation) has taken effect
    UNKNOWN = "unknown"  # the data cannot tell


class Completeness(enum.StrEnum):
    """How far the participation data can be trusted to list every participant."""

    COMPLETE = "complete"  # a state with no row is not a participant
    PARTIAL = "partial"  # a fragment: a state with no row is unknown
    UNKNOWN = "unknown"  # no participation data at all


class Origin(enum.StrEnum):
    """Where an action came from."""

    REFERENCE = "reference"  # third-party participation data shipped with Judicare
    REGISTER = "register"  # recorded by a depositary officer in this register


@dataclass(frozen=True, slots=True)
class Action:
    """One depositary action. `date` is empty for many reservations in the sources."""

    instrument_id: str
    state: str  # ISO 3166-1 alpha-3 (XKX for Kosovo)
    kind: ActionKind
    date: date | None
    source_url: str | None = None
    notes: str = ""
    origin: Origin = Origin.REFERENCE
    dataset: str | None = None  # reference file the row came from
    row_number: int | None = None
    # For a withdrawal row that gives the date the withdrawal took effect (not the notice).
    date_is_effective: bool = False
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Sourced:
    """A legal fact with the source it was read from."""

    value: object
    source_url: str | None
    citation: str | None
    note: str | None = None
    disagreements: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Delay:
    days: int = 0
    months: int = 0
    years: int = 0

    def describe(self) -> str:
        parts = [
            f"{n} {unit}{'s' if n != 1 else ''}"
            for n, unit in ((self.years, "year"), (self.months, "month"), (self.days, "day"))
            if n
        ]
        return " ".join(parts) or "no delay"


class Anchor(enum.StrEnum):
    AFTER_DELAY = "after_delay"  # "on the 90th day after deposit": deposit + delay
    FIRST_DAY_OF_FOLLOWING_MONTH = "first_day_of_following_month"  # 1st of the month after


@dataclass(frozen=True, slots=True)
class TimingRule:
    delay: Delay
    anchor: Anchor


@dataclass(frozen=True, slots=True)
class EntryIntoForceRule:
    """The instrument's own clause on entry into force, held as data with its citation."""

    instruments_required: int | None
    counted_actions: frozenset[ActionKind]
    timing: TimingRule | None
    later_states: TimingRule | None
    article: str | None = None
    source_url: str | None = None
    verified: bool = False
    summary: str = ""


@dataclass(frozen=True, slots=True)
class WithdrawalRule:
    delay: Delay | None
    article: str | None = None
    source_url: str | None = None
    verified: bool = False
    summary: str = ""


@dataclass(frozen=True, slots=True)
class StateOverride:
    """A per-state fact that the participation rows cannot carry (EU opt-outs, national
    implementation dates), each with its own source."""

    state: str
    bound: bool = True
    in_force_from: date | None = None
    source_url: str | None = None
    note: str = ""
    # The last day the instrument applied to the state (the UK: the end of the Brexit
    # transition period), when the rows cannot say it.
    in_force_until: date | None = None


@dataclass(frozen=True, slots=True)
class TemporalLimit:
    """A state's statement that, as the requested (executing) state, it keeps applying the
    older instruments to acts committed before a date (EAW Framework Decision art. 32)."""

    state: str
    acts_before: date | None  # None: the statement exists but its date is not in the data
    not_later_than: date | None  # the latest cut-off the instrument allowed, if sourced
    article: str | None
    source_url: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Instrument:
    id: str
    title: str
    short_title: str
    role: str
    adopted: Sourced
    opened_for_signature: Sourced
    depositary: Sourced
    known_entry_into_force: Sourced
    kinds: tuple[dict[str, Any], ...]
    entry_into_force: EntryIntoForceRule
    withdrawal: WithdrawalRule
    completeness: Completeness
    participation_files: tuple[str, ...]
    participation_as_of: str | None
    participation_note: str
    sources: tuple[dict[str, Any], ...] = ()
    gaps: tuple[str, ...] = ()
    state_overrides: tuple[StateOverride, ...] = ()
    # Applies to states that are bound but whose own date is unknown: bound "at the latest"
    # from this date (with a source); before it their status is unknown.
    bound_at_latest: Sourced | None = None
    row_interpretations: tuple[dict[str, Any], ...] = ()
    cross_check_files: tuple[str, ...] = ()
    scope: dict[str, Any] | None = (
        None  # crimes covered: {"crimes": "all" | [codes], article, source}
    )
    supplements: str | None = None  # a protocol that applies only with its parent instrument
    channels: tuple[
        dict[str, Any], ...
    ] = ()  # channels of transmission per kind, each with its source
    # Provisional application before entry into force (the EU–UK TCA from 1 Jan 2021).
    provisional_application: Sourced | None = None
    temporal_limits: tuple[TemporalLimit, ...] = ()
    # An agreement between one state and a group (the EU–UK TCA): it applies only to pairs
    # with this state on one side and a listed state on the other.
    one_side: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def kind_codes(self) -> list[str]:
        return [k["kind"] for k in self.kinds]

    @property
    def opening_date(self) -> date | None:
        value = self.opened_for_signature.value
        return value if isinstance(value, date) else None

    @property
    def adoption_date(self) -> date | None:
        value = self.adopted.value
        return value if isinstance(value, date) else None

    def not_yet_existing(self, on: date) -> str | None:
        """'not_yet_open' or 'not_yet_adopted' when the instrument did not exist on `on`
        (dates from the instrument's own data), else None."""
        opening, adopted = self.opening_date, self.adoption_date
        if opening is not None and on < opening:
            return "not_yet_open"
        if opening is None and adopted is not None and on < adopted:
            return "not_yet_adopted"
        return None
