"""Use cases of the treaty register. Services load, call the pure core, and save; they
never commit (the caller's unit of work does) and never read the clock (`today` and `on`
are arguments)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from judicare.auth.permissions import Permission, Principal, authorize
from judicare.db.base import as_utc
from judicare.errors import ActionRefused, ImportRejected, InvalidInput, JudicareError
from judicare.states import resolve_state, state_name
from judicare.treaties import repository as repo
from judicare.treaties.catalogue import get_instrument, load_catalogue
from judicare.treaties.domain import Action, ActionKind, Instrument, Origin, PartyStatus
from judicare.treaties.models import InstrumentRow
from judicare.treaties.notifications import notification_text
from judicare.treaties.participation import Participation, StateRecord, build_participation
from judicare.treaties.participation import data_as_of as participation_data_as_of
from judicare.treaties.reference import load_actions
from judicare.treaties.sources import cross_check
from judicare.treaties.validation import refusals
from judicare.treaties.wording import for_users

IMPORT_COLUMNS = ("instrument", "iso3", "action", "date", "source_url", "notes")
# Other words officers use for the same acts.
ACTION_ALIASES = {
    "denunciation": "withdrawal",
    "central_authority": "central_authority_designation",
    "designation_of_central_authority": "central_authority_designation",
    "annex": "annex_acceptance",
}


def _normal(word: str) -> str:
    return word.strip().lower().replace("-", "_").replace(" ", "_")


# --- reference data ---------------------------------------------------------------------


def sync_reference(session: Session, progress: Callable[[str], None] | None = None) -> list[str]:
    """Load the shipped participation data for every instrument whose data changed since
    the last load. Reference rows are replaced whole; register rows are never touched."""
    stored = repo.stored_fingerprints(session)
    changed: list[str] = []
    for instrument in load_catalogue().values():
        actions, datasets = load_actions(instrument)
        fingerprint = repo.instrument_fingerprint(instrument, datasets)
        if stored.get(instrument.id) == fingerprint:
            continue
        repo.replace_reference_actions(session, instrument, actions, datasets, fingerprint)
        changed.append(instrument.id)
        if progress:
            progress(instrument.id)
    return changed


def reference_is_current(session: Session) -> bool:
    stored = repo.stored_fingerprints(session)
    for instrument in load_catalogue().values():
        _, datasets = load_actions(instrument)
        if stored.get(instrument.id) != repo.instrument_fingerprint(instrument, datasets):
            return False
    return True


# --- reading -----------------------------------------------------------------------------


def instrument_summary(instrument: Instrument) -> dict:
    return {
        "id": instrument.id,
        "title": instrument.title,
        "short_title": instrument.short_title,
        "depositary": instrument.depositary.value,
        "depositary_source": instrument.depositary.source_url,
        "kinds": instrument.kind_codes,
        "role": instrument.role,
        "adopted": _iso(instrument.adopted.value),
        "opened_for_signature": _iso(instrument.opened_for_signature.value),
        "participation_data": instrument.completeness.value,
    }


def list_instruments() -> list[dict]:
    return [instrument_summary(i) for i in load_catalogue().values()]


def participation_for(session: Session, instrument_id: str) -> Participation:
    instrument = get_instrument(instrument_id)
    return build_participation(instrument, repo.actions_for(session, instrument.id))


def status_report(participation: Participation, on: date) -> dict:
    """The instrument and every participating state on `on`, shaped for the CLI contract."""
    instrument = participation.instrument
    in_force = participation.in_force_on(on)
    determined = _entry_determined(participation, on)
    parties = [
        _party(record, status, on, determined) for record, status in participation.status_on(on)
    ]
    counts: dict[str, int] = {s.value: 0 for s in PartyStatus}
    for party in parties:
        counts[party["status"]] += 1
    return {
        "instrument": instrument.id,
        "on": on.isoformat(),
        "in_force": bool(in_force),
        "in_force_status": {True: "in_force", False: "not_in_force", None: "unknown"}[in_force],
        "entry_into_force": _iso(participation.entry_into_force) if determined else None,
        "entry_into_force_basis": participation.entry_into_force_basis,
        "entry_into_force_rule_verified": instrument.entry_into_force.verified,
        "participation_data": instrument.completeness.value,
        "participation_as_of": instrument.participation_as_of,
        "unlisted_states": _unlisted(participation, on),
        "unlisted_states_note": _unlisted_note(participation, on),
        "counts": counts,
        "parties": parties,
        "disagreements": list(participation.disagreements) + _cross_check(participation),
        "caveats": _caveats(instrument, on),
    }


def _cross_check(participation: Participation) -> list[str]:
    """Where a second source disagrees with the engine about a state (shown, not resolved)."""
    return cross_check(participation.instrument, participation)


def _caveats(instrument: Instrument, on: date) -> list[str]:
    """What the reader must know before relying on the answer: the data's age and gaps."""
    caveats = []
    data_date = participation_data_as_of(instrument)
    if data_date is not None and on > data_date:
        caveats.append(
            f"the participation data runs to about {data_date.isoformat()}; "
            f"events between then and {on.isoformat()} are not in it"
        )
    if not instrument.entry_into_force.verified:
        caveats.append("the entry-into-force rule is not verified against the instrument's text")
    return caveats + [for_users(gap, instrument.id) for gap in instrument.gaps]


def _unlisted(participation: Participation, on: date) -> str:
    """States with no row: "not_party" only in complete data up to the data's end date."""
    if participation.unlisted_states == "not_party" and participation.after_data(on):
        return "unknown"
    return participation.unlisted_states


def _unlisted_note(participation: Participation, on: date) -> str:
    instrument = participation.instrument
    existing = instrument.not_yet_existing(on)
    if existing == "not_yet_open":
        opened = instrument.opening_date
        return f"the instrument was not yet open for signature on {on} (opened {opened})"
    if existing == "not_yet_adopted":
        return f"the instrument was not yet adopted on {on} (adopted {instrument.adoption_date})"
    if _unlisted(participation, on) == "not_party":
        return (
            "the participation data is complete up to its date: a state not listed is not a party"
        )
    if participation.after_data(on):
        return (
            f"the participation data runs to {participation.data_as_of}; a state not listed may "
            "have joined since: unknown"
        )
    return "the participation data is partial: a state not listed has an unknown status"


def _entry_determined(participation: Participation, on: date) -> bool:
    """Whether the instrument's entry-into-force date was fixed by `on` (the deposit that
    reached the threshold had been made, or the date had passed)."""
    if participation.entry_into_force is None:
        return False
    threshold = participation.entry.threshold_deposit
    if threshold is not None:
        return threshold <= on
    return participation.entry_into_force <= on


def _party(record: StateRecord, status: PartyStatus, on: date, determined: bool) -> dict:
    in_force_from = record.in_force_from
    consented = record.consent_date is not None and record.consent_date <= on
    if not consented or (in_force_from is not None and in_force_from > on and not determined):
        in_force_from = None
    return {
        "state": record.state,
        "name": state_name(record.state),
        "status": status.value,
        "in_force_from": _iso(in_force_from),
        "signed": _iso(record.signed) if record.signed and record.signed <= on else None,
        "consent": (
            {"action": record.consent_kind.value, "date": _iso(record.consent_date)}
            if record.consent_kind and record.consent_date and record.consent_date <= on
            else None
        ),
        "withdrawal_effective": _iso(record.withdrawal_effective)
        if _withdrawal_known_on(record, on)
        else None,
        "explanation": record.explanation if consented else "",
        "notes": list(record.notes) if consented else [],
    }


def _withdrawal_known_on(record: StateRecord, on: date) -> bool:
    """Show a withdrawal only once it was notified (or took effect) by `on`."""
    known_since = record.withdrawal_notified or record.withdrawal_effective
    return known_since is not None and known_since <= on


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


# --- recording -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedAction:
    instrument: Instrument
    action: Action


def parse_action(
    instrument_id: str,
    state_code: str,
    action: str,
    when: str,
    note: str = "",
    source_url: str | None = None,
) -> ProposedAction:
    """Turn user input into a proposed action, or raise an error naming the bad value."""
    instrument = get_instrument(instrument_id)
    state = resolve_state(state_code)
    try:
        kind = ActionKind(ACTION_ALIASES.get(_normal(action), _normal(action)))
    except ValueError:
        allowed = ", ".join(k.value for k in ActionKind if k.recordable)
        raise InvalidInput(f"unknown action {action!r}: use one of {allowed}") from None
    try:
        on = date.fromisoformat(when.strip())
    except ValueError:
        raise InvalidInput(f"date {when!r} is not a valid date: use YYYY-MM-DD") from None
    if source_url and not source_url.startswith(("http://", "https://")):
        raise InvalidInput(f"source URL {source_url!r} must start with http:// or https://")
    return ProposedAction(
        instrument,
        Action(
            instrument_id=instrument.id,
            state=state.alpha3,
            kind=kind,
            date=on,
            source_url=source_url or None,
            notes=note or "",
            origin=Origin.REGISTER,
        ),
    )


def record_action(
    session: Session, proposed: ProposedAction, today: date, *, who: Principal
) -> dict:
    """Validate and record one action with its numbered notification, drafted in the
    officer's name: another depositary officer issues it (`treaty issue`, four eyes)."""
    authorize(who, Permission.TREATY_RECORD)
    instrument, action = proposed.instrument, proposed.action
    _lock_instrument(session, instrument.id)
    earlier = [a for a in repo.actions_for(session, instrument.id) if a.state == action.state]
    reasons = refusals(instrument, action, earlier, today)
    if reasons:
        raise ActionRefused("; ".join(reasons))
    return _store(session, instrument, action, who.username)


def _lock_instrument(session: Session, instrument_id: str) -> None:
    """Serialise numbering per instrument (PostgreSQL row lock; SQLite has one writer)."""
    row = session.get(InstrumentRow, instrument_id, with_for_update=True)
    if row is None:
        raise JudicareError(
            f"instrument {instrument_id!r} is not loaded in this database: "
            "run `judicare db upgrade`"
        )


def _store(session: Session, instrument: Instrument, action: Action, drafted_by: str) -> dict:
    action_id = repo.add_action(session, action)
    number = repo.next_notification_number(session, instrument.id)
    when, why = None, ""
    if action.kind.expresses_consent:
        participation = participation_for(session, instrument.id)
        record = participation.states.get(action.state)
        if record is not None and record.in_force_from is not None:
            when, why = record.in_force_from, record.explanation
    text = notification_text(instrument, action, number, when, why)
    row = repo.add_notification(
        session, instrument.id, number, action_id, text.english, text.french,
        drafted_by=drafted_by,
    )  # fmt: skip
    return _notification_dict(row, action)


def _notification_dict(row, action: Action) -> dict:
    return {
        "instrument": row.instrument_id,
        "number": row.number,
        "reference": f"{row.instrument_id.upper()}/{row.number}",
        "state": action.state,
        "action": action.kind.value,
        "date": _iso(action.date),
        "issued_at": as_utc(row.issued_at).isoformat() if row.issued_at else None,
        "text_en": row.text_en,
        "text_fr": row.text_fr,
    }


def list_notifications(
    session: Session, instrument_id: str, include_drafts: bool = False
) -> list[dict]:
    """Issued notifications in number order; drafts at the desk only when asked for."""
    instrument = get_instrument(instrument_id)
    return [
        _notification_dict(n, repo.to_action(a))
        for n, a in repo.notifications_for(session, instrument.id)
        if include_drafts or n.status != "draft"
    ]


def issued_notifications(session: Session, instrument_ids: list[str]) -> dict[str, list[dict]]:
    """The issued notifications of these instruments (catalogue ids), each instrument's in
    number order (as `list_notifications`), read in one statement."""
    found: dict[str, list[dict]] = {instrument_id: [] for instrument_id in instrument_ids}
    for n, a in repo.issued_notifications_of(session, sorted(found)):
        found[n.instrument_id].append(_notification_dict(n, repo.to_action(a)))
    return found


# --- import --------------------------------------------------------------------------------


def read_import_file(text: str) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = tuple(h.strip() for h in (reader.fieldnames or ()))
    if header != IMPORT_COLUMNS:
        raise ImportRejected([f"header {list(header)} must be exactly {','.join(IMPORT_COLUMNS)}"])
    rows = []
    for number, row in enumerate(reader, start=2):
        if None in row:
            raise ImportRejected([f"row {number}: more cells than the header has columns"])
        rows.append((number, {k.strip(): (v or "").strip() for k, v in row.items()}))
    if not rows:
        raise ImportRejected(["the file has a header but no rows"])
    return rows


def import_actions(
    session: Session,
    rows: Iterable[tuple[int, dict[str, str]]],
    today: date,
    instrument_filter: str | None = None,
    *,
    who: Principal,
) -> list[dict]:
    """All or nothing: every row is checked (against the register and the rows before it in
    date order) before anything is written. One bad row rejects the file. Each notification
    is drafted in the officer's name; another officer issues it (four eyes)."""
    authorize(who, Permission.TREATY_RECORD)
    if instrument_filter:
        instrument_filter = get_instrument(instrument_filter).id
    problems: list[str] = []
    proposed: list[tuple[int, ProposedAction]] = []
    for number, row in rows:
        try:
            proposed.append((number, _parse_import_row(row, instrument_filter)))
        except JudicareError as exc:
            problems.append(f"row {number}: {exc.message}")
    # Lock before checking, in a fixed order: a concurrent import or record then waits, and
    # sees these rows when it checks its own.
    for instrument_id in sorted({p.instrument.id for _, p in proposed}):
        _lock_instrument(session, instrument_id)
    accepted = _check_in_date_order(session, proposed, today, problems)
    if problems:
        raise ImportRejected(sorted(problems, key=_row_number))
    return [_store(session, p.instrument, p.action, who.username) for _, p in accepted]


def _parse_import_row(row: dict[str, str], instrument_filter: str | None) -> ProposedAction:
    instrument_id = row["instrument"] or instrument_filter
    if not instrument_id:
        raise InvalidInput("no instrument: fill the instrument column or pass --instrument")
    if instrument_filter and get_instrument(instrument_id).id != instrument_filter:
        raise InvalidInput(
            f"instrument {instrument_id!r} does not match --instrument {instrument_filter}"
        )
    if not row["source_url"]:
        raise InvalidInput("no source_url: every imported action needs the source it comes from")
    return parse_action(
        instrument_id, row["iso3"], row["action"], row["date"], row["notes"], row["source_url"]
    )


def _check_in_date_order(session, proposed, today, problems) -> list[tuple[int, ProposedAction]]:
    existing: dict[str, list[Action]] = {}
    accepted: list[tuple[int, ProposedAction]] = []
    for number, p in sorted(proposed, key=lambda item: (item[1].action.date, item[0])):
        if p.instrument.id not in existing:
            existing[p.instrument.id] = repo.actions_for(session, p.instrument.id)
        earlier = [a for a in existing[p.instrument.id] if a.state == p.action.state]
        reasons = refusals(p.instrument, p.action, earlier, today)
        if reasons:
            problems.extend(f"row {number}: {reason}" for reason in reasons)
            continue
        existing[p.instrument.id].append(p.action)
        accepted.append((number, p))
    accepted.sort(key=lambda item: (item[1].action.date, item[0]))
    return accepted


def _row_number(problem: str) -> int:
    try:
        return int(problem.split(":", 1)[0].removeprefix("row "))
    except ValueError:
        return 0
