"""The depositary register's acceptance rules for a new action. Pure: the instrument, the
state's earlier actions and today's date go in; a list of refusals (one line each) comes
out. An empty list means the action is accepted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from judicare.treaties.domain import (
    NEEDS_PRIOR_SIGNATURE,
    NEEDS_TEXT,
    Action,
    ActionKind,
    Instrument,
)
from judicare.treaties.entry_into_force import withdrawal_effective


def refusals(
    instrument: Instrument,
    proposed: Action,
    earlier: Sequence[Action],
    today: date,
) -> list[str]:
    """Why the register must refuse `proposed`, given the state's `earlier` actions for the
    same instrument. Each reason is one line naming the problem and the fix."""
    reasons: list[str] = []
    kind = proposed.kind
    when = proposed.date
    who = f"{proposed.state} / {instrument.id}"
    if not kind.recordable:
        reasons.append(
            f"{kind.value!r} comes only from reference data and cannot be recorded in the register"
        )
    if when is None:
        return [*reasons, "the action needs a date (YYYY-MM-DD)"]
    if when > today:
        reasons.append(
            f"date {when} is in the future (today is {today}): "
            "record an action once it has happened"
        )
    opening = instrument.opening_date
    if opening is not None and when < opening:
        reasons.append(
            f"date {when} is before {instrument.id} opened for signature on {opening} "
            f"({instrument.opened_for_signature.source_url})"
        )
    if kind in NEEDS_TEXT and not proposed.notes.strip():
        reasons.append(f"a {kind.value} needs its text or subject: pass it with --note")
    reasons.extend(_sequence_refusals(instrument, proposed, earlier, who))
    return reasons


def _sequence_refusals(
    instrument: Instrument, proposed: Action, earlier: Sequence[Action], who: str
) -> list[str]:
    kind, when = proposed.kind, proposed.date
    assert when is not None
    reasons: list[str] = []
    dated = [a for a in earlier if a.date is not None]
    effective = _withdrawal_took_effect(instrument, dated)
    if effective is not None and when >= effective:
        reasons.append(
            f"{who}: the withdrawal took effect on {effective}; no action can be recorded after it"
        )
    duplicate = next((a for a in earlier if _same_action(a, proposed)), None)
    if duplicate is not None:
        reasons.append(
            f"{who}: duplicate of the {duplicate.kind.value} already recorded for "
            f"{duplicate.date or 'an undated row'}"
            + (f" (register entry {duplicate.id})" if duplicate.id else "")
        )
        return reasons
    consent = next((a for a in dated if a.kind.expresses_consent), None)
    if kind.expresses_consent and consent is not None and (effective is None or when < effective):
        reasons.append(
            f"{who}: consent to be bound was already expressed by {consent.kind.value} "
            f"on {consent.date}; a second instrument is a duplicate"
        )
    if kind in NEEDS_PRIOR_SIGNATURE:
        signed = [a.date for a in dated if a.kind is ActionKind.SIGNATURE and a.date <= when]
        if not signed:
            reasons.append(
                f"{who}: {kind.value} without a prior signature: record the signature first, "
                "or record an accession if the state never signed"
            )
    if kind is ActionKind.SIGNATURE and consent is not None and consent.date <= when:
        reasons.append(
            f"{who}: already bound by {consent.kind.value} of {consent.date}; "
            "a signature after consent is not an action the depositary records"
        )
    if kind is ActionKind.WITHDRAWAL and (consent is None or consent.date > when):
        reasons.append(
            f"{who}: cannot withdraw from an instrument the state has not consented to be bound "
            "by (no ratification, acceptance, approval, accession or succession before that date)"
        )
    return reasons


def _same_action(a: Action, b: Action) -> bool:
    if a.kind is not b.kind:
        return False
    if a.kind in NEEDS_TEXT:
        return a.date == b.date and a.notes.strip() == b.notes.strip()
    if a.kind is ActionKind.SIGNATURE or a.kind is ActionKind.WITHDRAWAL:
        return True  # a state signs once; withdraws once
    return a.date == b.date


def _withdrawal_took_effect(instrument: Instrument, dated: Sequence[Action]) -> date | None:
    for action in dated:
        if action.kind is not ActionKind.WITHDRAWAL:
            continue
        if action.date_is_effective:
            return action.date
        if instrument.withdrawal.delay is not None:
            return withdrawal_effective(action.date, instrument.withdrawal.delay)
    return None
