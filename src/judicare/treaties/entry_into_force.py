"""Entry into force, computed from the rule an instrument states in its final clauses.

Pure functions: the rule (held as data, with its article) and the dated deposits go in;
dates and the reasons for them come out. Nothing here reads a clock or a file.

Vocabulary of the rules (see `domain.Anchor`):
- "on the Nth day after the deposit" -> `after_delay` with a delay of N days: deposit + N.
- "the first day of the month after the Nth day following the deposit" (Rome Statute
  art. 126) and "the first day of the month following the expiration of a period of N
  months after the deposit" (Council of Europe clauses) -> `first_day_of_following_month`:
  the first day of the month that follows (deposit + delay). Both read the same way: the
  month that follows is always a later month, even when the delay ends on the 1st.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]

from judicare.treaties.domain import Action, Anchor, Delay, EntryIntoForceRule, TimingRule


def add_delay(start: date, delay: Delay) -> date:
    """start + delay. Months and years clip to the month's last day (31 Jan + 1 month is
    28 or 29 Feb), which is how a period "of one month" ending in a shorter month ends."""
    result: date = start + relativedelta(years=delay.years, months=delay.months, days=delay.days)
    return result


def first_day_of_following_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def apply_timing(deposit: date, rule: TimingRule) -> date:
    """The date a deposit takes effect under one timing rule."""
    end_of_delay = add_delay(deposit, rule.delay)
    if rule.anchor is Anchor.FIRST_DAY_OF_FOLLOWING_MONTH:
        return first_day_of_following_month(end_of_delay)
    return end_of_delay


@dataclass(frozen=True, slots=True)
class InstrumentEntry:
    """The instrument's own entry into force as the deposits and the rule give it."""

    date: _dt.date | None
    threshold_deposit: _dt.date | None  # the date of the deposit that reached the threshold
    instruments_counted: int
    explanation: str


def instrument_entry_into_force(
    rule: EntryIntoForceRule, consents: Iterable[Action]
) -> InstrumentEntry:
    """Count the instruments the rule counts, in order of deposit, and apply its timing to
    the one that reaches the threshold."""
    counted = sorted(
        (a.date for a in consents if a.date is not None and a.kind in rule.counted_actions),
    )
    n = rule.instruments_required
    if n is None or rule.timing is None:
        return InstrumentEntry(None, None, len(counted), _unknown_rule_text(rule))
    if len(counted) < n:
        return InstrumentEntry(
            None,
            None,
            len(counted),
            f"{len(counted)} of the {n} instruments required{_cite(rule)} are recorded; "
            "the instrument is not in force on this data",
        )
    threshold = counted[n - 1]
    when = apply_timing(threshold, rule.timing)
    return InstrumentEntry(
        when,
        threshold,
        len(counted),
        f"instrument no. {n} deposited {threshold.isoformat()}; "
        f"{_describe_timing(rule.timing)}{_cite(rule)} gives {when.isoformat()}",
    )


def state_entry_into_force(
    rule: EntryIntoForceRule,
    instrument: InstrumentEntry | None,
    instrument_date: date | None,
    consent_date: date,
) -> tuple[date | None, str]:
    """When the instrument enters into force for a state that deposited on `consent_date`.

    `instrument_date` is the instrument's own entry into force (computed or as a source
    states it). Returns the date (or None when the data cannot tell) and why.
    """
    if instrument_date is None:
        return None, "the instrument's own entry into force is not known on this data"
    threshold = instrument.threshold_deposit if instrument else None
    if threshold is not None and consent_date <= threshold:
        return instrument_date, (
            f"deposit on or before the deposit that reached the threshold ({threshold}); "
            f"in force with the instrument on {instrument_date}{_cite(rule)}"
        )
    if rule.later_states is None:
        return None, "the rule for states that join later is not known on this data"
    if threshold is None and rule.later_states != rule.timing:
        return None, (
            "the deposit that reached the threshold is not in the data and the rule for "
            "later states differs from the rule for the first ones"
        )
    own = apply_timing(consent_date, rule.later_states)
    if own <= instrument_date:
        return instrument_date, (
            f"{_describe_timing(rule.later_states)} would give {own}, before the instrument "
            f"itself entered into force; in force from {instrument_date}{_cite(rule)}"
        )
    return own, f"deposit {consent_date}; {_describe_timing(rule.later_states)}{_cite(rule)}"


def withdrawal_effective(notice: date, delay: Delay) -> date:
    """A withdrawal (denunciation) takes effect `delay` after the notice is received."""
    return add_delay(notice, delay)


def _describe_timing(rule: TimingRule) -> str:
    if rule.anchor is Anchor.FIRST_DAY_OF_FOLLOWING_MONTH:
        return f"first day of the month following {rule.delay.describe()} after deposit"
    if rule.delay == Delay():
        return "on the date of deposit"
    return f"{rule.delay.describe()} after deposit"


def _cite(rule: EntryIntoForceRule) -> str:
    if not rule.article:
        return " (article not confirmed)"
    flag = "" if rule.verified else ", unverified"
    return f" (art. {rule.article}{flag})"


def _unknown_rule_text(rule: EntryIntoForceRule) -> str:
    return "the entry-into-force rule is not known on this data" + (
        f": {rule.summary}" if rule.summary else ""
    )
