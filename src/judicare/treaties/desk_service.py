"""Use cases of the depositary's desk (issue 19): receive an instrument, complete its full
powers, issue its notification (four eyes), keep the original's custody and the register of
certified true copies. Services load, call the pure core (`desk`, `validation`), save and
audit in the caller's transaction; they never commit and never read the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.permissions import Permission, Principal, authorize
from judicare.db.base import as_utc
from judicare.errors import ActionRefused, InvalidInput, JudicareError
from judicare.files.store import FileStore
from judicare.states import resolve_state
from judicare.treaties import repository as repo
from judicare.treaties import service as register
from judicare.treaties.catalogue import get_instrument
from judicare.treaties.desk import (
    Capacity,
    FullPowers,
    Received,
    Status,
    Subject,
    assess,
    objection_deadline,
    objection_period,
)
from judicare.treaties.desk_notices import desk_notification_text, notification_document
from judicare.treaties.domain import Action, ActionKind, Instrument, Origin
from judicare.treaties.entry_into_force import withdrawal_effective
from judicare.treaties.final_clauses import final_clauses, objection_rule
from judicare.treaties.models import (
    CustodyEventRow,
    DepositaryActionRow,
    DepositaryNotificationRow,
    DepositRow,
    DispatchRow,
    ReceivedNotificationRow,
)
from judicare.treaties.notifications import NotificationText
from judicare.treaties.validation import refusals

MAX_ORIGINAL_BYTES = 50 * 1024 * 1024
CUSTODY_EVENTS = ("received", "moved", "certified_copy")

# Sends one issued notification (its wire form, `wire_notification`) to the nodes of the
# states given, in the caller's transaction; answers {state: [(peer node, message id)]}
# for the states it reached. `exchange.depositary.deliverer` makes one from this node;
# without one (no node keys), every state concerned is sent the PDF.
Deliver = Callable[[Session, dict, list[str], datetime], dict[str, list[tuple[str, str]]]]


class NotFoundInRegister(JudicareError):
    code = "not_found"
    http_status = 404
    exit_code = 2


@dataclass(frozen=True)
class Receipt:
    """An instrument as the officer enters it at the desk, already parsed."""

    instrument: Instrument
    state: str
    kind: ActionKind
    deposited_on: date
    signatory: str
    capacity: Capacity
    full_powers: FullPowers | None = None
    subject: Subject = field(default_factory=Subject)
    text: str = ""
    objection_to: int | None = None  # the deposit id of the reservation objected to


def _choice(enum_type, value: str, name: str):
    try:
        return enum_type(value.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        allowed = ", ".join(e.value for e in enum_type)
        raise InvalidInput(f"{name} {value!r} is not known: use one of {allowed}") from None


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{name} {value!r} is not a valid date: use YYYY-MM-DD") from None


def parse_receipt(
    *,
    instrument_id: str,
    state: str,
    kind: str,
    deposited_on: str,
    signatory: str,
    capacity: str,
    full_powers_by: str | None = None,
    full_powers_on: str | None = None,
    full_powers_defects: tuple[str, ...] = (),
    article: str = "",
    declaration: str = "",
    annexes: tuple[str, ...] = (),
    objection_to: int | None = None,
    text: str = "",
) -> Receipt:
    """User input to a `Receipt`, or an error naming the field and the fix."""
    instrument = get_instrument(instrument_id)
    if not signatory.strip():
        raise InvalidInput("signatory is empty: give the name of the person who signed")
    powers = None
    if full_powers_by or full_powers_on:
        if not (full_powers_by and full_powers_on):
            raise InvalidInput("full powers need both --full-powers-by and --full-powers-on")
        unknown = set(full_powers_defects) - {"signatory", "instrument"}
        if unknown:
            raise InvalidInput(
                f"full-powers defect {sorted(unknown)[0]!r} is not known: use signatory or "
                "instrument"
            )
        powers = FullPowers(
            issued_by=_choice(Capacity, full_powers_by, "full-powers-by"),
            issued_on=_day(full_powers_on, "full-powers-on"),
            names_signatory="signatory" not in full_powers_defects,
            names_instrument="instrument" not in full_powers_defects,
        )
    action_kind = _choice(ActionKind, kind, "act")
    if action_kind is ActionKind.OBJECTION and objection_to is None:
        raise InvalidInput("an objection must name the reservation: pass --objection-to DEPOSIT")
    if action_kind in (ActionKind.RESERVATION, ActionKind.DECLARATION) and not text.strip():
        raise InvalidInput(f"a {action_kind.value} needs its text: pass --text")
    return Receipt(
        instrument=instrument,
        state=resolve_state(state).alpha3,
        kind=action_kind,
        deposited_on=_day(deposited_on, "deposited-on"),
        signatory=signatory.strip(),
        capacity=_choice(Capacity, capacity, "capacity"),
        full_powers=powers,
        subject=Subject(
            article=article.strip(),
            declaration=declaration.strip().lower(),
            annexes=tuple(a.strip().upper() for a in annexes if a.strip()),
        ),
        text=text.strip(),
        objection_to=objection_to,
    )


def receive(
    session: Session,
    store: FileStore,
    who: Principal,
    receipt: Receipt,
    original: tuple[str, bytes],
    *,
    location: str,
    now: datetime,
    today: date,
) -> dict:
    """Receive one instrument: keep its original by hash, run the formal checks, record the
    custody; if accepted, record the action and draft its numbered notification."""
    authorize(who, Permission.TREATY_RECORD)
    if receipt.deposited_on > today:
        raise InvalidInput(f"deposited-on {receipt.deposited_on} is after today ({today})")
    filename, content = original
    if not content:
        raise InvalidInput("the scanned original is empty: give the file of the instrument")
    if not location.strip():
        raise InvalidInput("location is empty: say where the original is kept")
    register._lock_instrument(session, receipt.instrument.id)
    receipt = _with_reservation(session, receipt)
    key, size, sha = store.put([content], MAX_ORIGINAL_BYTES)
    row = DepositRow(
        instrument_id=receipt.instrument.id, state=receipt.state, kind=receipt.kind.value,
        deposited_on=receipt.deposited_on, signatory=receipt.signatory,
        capacity=receipt.capacity.value, full_powers=_powers_dict(receipt.full_powers),
        subject=_subject_dict(receipt.subject), text=receipt.text, original_key=key,
        original_sha256=sha, original_size=size, original_filename=filename[:255],
        status=Status.PENDING.value, reasons=[], warnings=[], objection_to=receipt.objection_to,
        received_by=who.username, received_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    session.add(
        CustodyEventRow(
            deposit_id=row.id, event="received", location=location.strip(),
            handled_by=who.username, recipient="", at=now, note=f"sha256 {sha}",
        )
    )  # fmt: skip
    notice = _check_and_record(session, row, receipt, who, today)
    record(
        session, actor=who.username, action=AuditAction.COLLECTION,
        tag="depositary:instrument:receive", subject_type="deposit", subject_id=row.id,
        why=f"{receipt.kind.value} of {receipt.instrument.id} by {receipt.state}", at=now,
        details={"status": row.status, "sha256": sha, "notification": notice},
    )  # fmt: skip
    return deposit_dict(row, notice)


def complete_full_powers(
    session: Session, who: Principal, deposit_id: int, powers: FullPowers, *, now, today
) -> dict:
    """Full powers arrive for an instrument held as pending: check it again."""
    authorize(who, Permission.TREATY_RECORD)
    row = _deposit(session, deposit_id)
    if row.status != Status.PENDING.value:
        raise ActionRefused(f"deposit {deposit_id} is {row.status}, not pending: nothing to do")
    register._lock_instrument(session, row.instrument_id)
    receipt = replace(_receipt_of(row), full_powers=powers)
    receipt = _with_reservation(session, receipt)
    row.full_powers = _powers_dict(powers)
    notice = _check_and_record(session, row, receipt, who, today)
    record(
        session, actor=who.username, action=AuditAction.ALTERATION,
        tag="depositary:full_powers:record", subject_type="deposit", subject_id=row.id,
        why="full powers produced", at=now, details={"status": row.status, "notification": notice},
    )  # fmt: skip
    return deposit_dict(row, notice)


def _check_and_record(session, row: DepositRow, receipt: Receipt, who, today) -> str | None:
    outcome = assess(_received(receipt), final_clauses(receipt.instrument.id), objection_rule())
    reasons, status = list(outcome.reasons), outcome.status
    action = _action(receipt)
    if status is Status.ACCEPTED:
        earlier = [
            a for a in repo.actions_for(session, receipt.instrument.id) if a.state == receipt.state
        ]
        register_reasons = refusals(receipt.instrument, action, earlier, today)
        if register_reasons:
            status, reasons = Status.REFUSED, register_reasons
    row.status, row.reasons = status.value, reasons
    row.warnings = list(outcome.warnings)
    row.objection_late = outcome.objection_late
    if status is not Status.ACCEPTED:
        return None
    row.action_id = repo.add_action(session, action)
    return _draft(
        session, row, receipt, action, who, outcome.objection_deadline,
        outcome.objection_period_end,
    )  # fmt: skip


def _draft(session, row, receipt: Receipt, action: Action, who, deadline, outcome_end) -> str:
    instrument = receipt.instrument
    number = repo.next_notification_number(session, instrument.id)
    entry = None
    if action.kind.expresses_consent:
        record_ = register.participation_for(session, instrument.id).states.get(action.state)
        if record_ is not None and record_.in_force_from is not None:
            entry = (record_.in_force_from, record_.explanation)
    objection = None
    if receipt.objection_to is not None and deadline is not None:
        reference = _notification_reference(session, receipt.objection_to)
        end = outcome_end.value if outcome_end is not None else "twelve_months"
        objection = (reference, deadline, bool(row.objection_late), end)
    effective = None
    if action.kind is ActionKind.WITHDRAWAL and instrument.withdrawal.delay is not None:
        effective = withdrawal_effective(receipt.deposited_on, instrument.withdrawal.delay)
    text = desk_notification_text(
        instrument, replace(action, id=row.action_id), number,
        entry_into_force=entry, objection=objection, withdrawal_effective=effective,
    )  # fmt: skip
    repo.add_notification(
        session, instrument.id, number, row.action_id, text.english, text.french,
        drafted_by=who.username,
    )  # fmt: skip
    return f"{instrument.id.upper()}/{number}"


def issue(
    session: Session,
    store: FileStore,
    who: Principal,
    instrument_id: str,
    number: int,
    *,
    now: datetime,
    deliver: Deliver | None = None,
) -> dict:
    """A second officer issues a drafted notification: it is sent to every state concerned
    (over the exchange to a state whose node is a peer, otherwise as a PDF) and published.
    Four eyes: the drafter cannot issue."""
    authorize(who, Permission.TREATY_RECORD)
    instrument = get_instrument(instrument_id)
    register._lock_instrument(session, instrument.id)
    row, reference = _notification(session, instrument.id, number)
    if row.status != "draft":
        raise ActionRefused(f"notification {reference} was already issued")
    if not row.drafted_by or row.drafted_by == who.username:
        raise ActionRefused(
            f"notification {reference} was drafted by {row.drafted_by or 'nobody known'}: "
            f"another depositary officer than {who.username} must review and issue it "
            "(four eyes)"
        )
    row.status, row.issued_at, row.issued_by = "issued", now, who.username
    deposit = session.scalar(select(DepositRow).where(DepositRow.action_id == row.action_id))
    if deposit is not None and deposit.kind == ActionKind.RESERVATION.value:
        deposit.objection_deadline = objection_deadline(now.date(), objection_rule())
    states, rule = concerned_states(session, instrument)
    wire = wire_notification(session, instrument, row, deposit, now)
    row.issued_form = wire
    channels = _dispatch(session, store, instrument, row, now, states, wire, deliver)
    sent = sorted(channels)
    record(
        session, actor=who.username, action=AuditAction.DISCLOSURE,
        tag="depositary:notification:issue", subject_type="notification", subject_id=reference,
        why="depositary notification issued", at=now,
        details={"drafted_by": row.drafted_by, "sent_to": sent, "channels": channels,
                 "recipients_rule": rule},
    )  # fmt: skip
    return {
        "reference": reference,
        "issued_at": now.isoformat(),
        "sent_to": sent,
        "channels": channels,
        "recipients_rule": rule,
    }


DEFAULT_RECIPIENTS = ("signatories", "contracting_states", "acting_state", "others_with_action")
RECIPIENT_GROUPS = frozenset(DEFAULT_RECIPIENTS)


def concerned_states(session: Session, instrument: Instrument) -> tuple[list[str], str]:
    """The states a notification of the instrument goes to, and the rule applied. The final
    clauses (as data) may say it (`notifications.recipients`: signatories,
    contracting_states, acting_state, others_with_action); when they do not, every state
    with an action for the instrument (its signatories and parties, the state that acted,
    and any other state the register knows to have acted), and the rule says so."""
    clause = (final_clauses(instrument.id) or {}).get("notifications") or {}
    groups = clause.get("recipients")
    if groups:
        unknown = set(groups) - RECIPIENT_GROUPS
        if unknown:
            raise JudicareError(
                f"final clauses of {instrument.id}: notification recipients "
                f"{sorted(unknown)} are not known: use {', '.join(DEFAULT_RECIPIENTS)}"
            )
        rule = f"final clauses: {', '.join(groups)} ({clause.get('citation', 'no source')})"
    else:
        groups = DEFAULT_RECIPIENTS
        rule = (
            "the final clauses held as data do not say who is notified ("
            + clause.get("citation", "no clause")
            + "): sent to every signatory and party, and every other state with an action "
            "for the instrument"
        )
    actions = repo.actions_for(session, instrument.id)
    states: set[str] = set()
    for action in actions:
        if (
            "others_with_action" in groups
            or ("signatories" in groups and action.kind is ActionKind.SIGNATURE)
            or ("contracting_states" in groups and action.kind.expresses_consent)
        ):
            states.add(action.state)
    return sorted(states), rule


def wire_notification(session, instrument: Instrument, row, deposit, now: datetime) -> dict:
    """An issued notification as it travels to the states' nodes (JSON-plain, no floats):
    number, instrument, action, state, dates, texts in English and French, and the entry
    into force the register now computes for the state (for an act of consent)."""
    action = repo.to_action(session.get(DepositaryActionRow, row.action_id))
    entry = None
    if action.kind.expresses_consent:
        record_ = register.participation_for(session, instrument.id).states.get(action.state)
        if record_ is not None and record_.in_force_from is not None:
            entry = record_.in_force_from.isoformat()
    deadline = deposit.objection_deadline if deposit is not None else None
    return {
        "reference": f"{instrument.id.upper()}/{row.number}",
        "instrument": instrument.id,
        "instrument_title": instrument.title,
        "number": row.number,
        "state": action.state,
        "action": action.kind.value,
        "action_date": action.date.isoformat() if action.date else None,
        "issued_at": now.isoformat(),
        "entry_into_force": entry,
        "objection_deadline": deadline.isoformat() if deadline else None,
        "text_en": row.text_en,
        "text_fr": row.text_fr,
    }


def _dispatch(session, store, instrument, row, now, states, wire, deliver) -> dict[str, str]:
    """One dispatch per state concerned: over the exchange to a state whose node is a peer
    (the durable outbox delivers it), otherwise the PDF (`notification_pdf`). The issued
    text is also kept as a self-contained document, by hash, as the record of what was
    sent."""
    text = NotificationText(row.text_en, row.text_fr)
    document = notification_document(
        f"{instrument.id.upper()}/{row.number}", instrument.title, now.date(), text
    )
    key, _, sha = store.put([document], MAX_ORIGINAL_BYTES)
    reached = deliver(session, wire, states, now) if deliver is not None and states else {}
    channels = {}
    for state in states:
        via = reached.get(state) or []
        peer, message = via[0] if via else (None, None)
        channels[state] = "exchange" if via else "pdf"
        session.add(
            DispatchRow(
                notification_id=row.id, state=state, channel=channels[state],
                document_key=key, document_sha256=sha, at=now, peer_id=peer, message_id=message,
            )
        )  # fmt: skip
    session.flush()
    return channels


def record_custody(
    session: Session,
    who: Principal,
    deposit_id: int,
    event: str,
    *,
    location: str = "",
    recipient: str = "",
    note: str = "",
    now: datetime,
) -> dict:
    """The original moved, or a certified true copy made (numbered per original)."""
    authorize(who, Permission.TREATY_RECORD)
    deposit = _deposit(session, deposit_id)
    if event not in CUSTODY_EVENTS[1:]:
        raise InvalidInput(f"custody event {event!r} is not known: use moved or certified_copy")
    if event == "moved" and not location.strip():
        raise InvalidInput("location is empty: say where the original is now kept")
    if event == "certified_copy" and not recipient.strip():
        raise InvalidInput("recipient is empty: say to whom the certified copy is given")
    number = None
    if event == "certified_copy":
        number = 1 + (
            session.scalar(
                select(func.count()).where(
                    CustodyEventRow.deposit_id == deposit.id,
                    CustodyEventRow.event == "certified_copy",
                )
            )
            or 0
        )
    row = CustodyEventRow(
        deposit_id=deposit.id, event=event, location=location.strip(), handled_by=who.username,
        recipient=recipient.strip(), copy_number=number, at=now, note=note.strip(),
    )  # fmt: skip
    session.add(row)
    session.flush()
    record(
        session, actor=who.username, action=AuditAction.COLLECTION,
        tag=f"depositary:custody:{event}", subject_type="deposit", subject_id=deposit.id,
        why=f"custody of the original: {event}", at=now,
        details={"location": row.location, "recipient": row.recipient, "copy": number},
    )  # fmt: skip
    return custody_dict(row)


# --- reading -----------------------------------------------------------------------------


def list_deposits(session: Session, who: Principal, instrument_id: str | None = None) -> list:
    authorize(who, Permission.TREATY_READ)
    query = select(DepositRow).order_by(DepositRow.id)
    if instrument_id:
        query = query.where(DepositRow.instrument_id == get_instrument(instrument_id).id)
    return [
        {
            **deposit_dict(r, _reference_of_action(session, r.action_id)),
            "objection_periods": objection_periods(session, r),
        }
        for r in session.scalars(query)
    ]


def custody_register(session: Session, who: Principal, deposit_id: int) -> list[dict]:
    authorize(who, Permission.TREATY_READ)
    _deposit(session, deposit_id)
    rows = session.scalars(
        select(CustodyEventRow)
        .where(CustodyEventRow.deposit_id == deposit_id)
        .order_by(CustodyEventRow.id)
    )
    return [custody_dict(r) for r in rows]


def dispatches(session: Session, instrument_id: str, number: int) -> list[dict]:
    rows = session.execute(
        select(DispatchRow)
        .join(
            DepositaryNotificationRow, DispatchRow.notification_id == DepositaryNotificationRow.id
        )
        .where(
            DepositaryNotificationRow.instrument_id == instrument_id,
            DepositaryNotificationRow.number == number,
        )
        .order_by(DispatchRow.state)
    ).scalars()
    return [
        {"state": r.state, "channel": r.channel, "document_sha256": r.document_sha256,
         "peer": r.peer_id, "message_id": r.message_id}
        for r in rows
    ]  # fmt: skip


def _notification(
    session: Session, instrument_id: str, number: int
) -> tuple[DepositaryNotificationRow, str]:
    """The notification `number` of the instrument, and its reference ("LHC-2023/4")."""
    row = session.scalar(
        select(DepositaryNotificationRow).where(
            DepositaryNotificationRow.instrument_id == instrument_id,
            DepositaryNotificationRow.number == number,
        )
    )
    reference = f"{instrument_id.upper()}/{number}"
    if row is None:
        raise NotFoundInRegister(f"notification {reference} does not exist")
    return row, reference


def issued_form(session: Session, instrument_id: str, number: int) -> dict:
    """An issued notification as it was sent (for its PDF); a draft has none."""
    instrument = get_instrument(instrument_id)
    row, reference = _notification(session, instrument.id, number)
    if row.status != "issued" or row.issued_at is None:
        raise ActionRefused(f"notification {reference} is a draft: it has no PDF until issued")
    if row.issued_form is None:  # issued before the form was kept (or by the register)
        deposit = session.scalar(select(DepositRow).where(DepositRow.action_id == row.action_id))
        return wire_notification(session, instrument, row, deposit, as_utc(row.issued_at))
    return dict(row.issued_form)


def parse_reference(reference: str) -> tuple[str, int]:
    """ "LHC-2023/4" (as notifications are numbered) to ("lhc-2023", 4)."""
    instrument, _, number = reference.strip().rpartition("/")
    if not instrument or not number.isdigit() or int(number) < 1:
        raise InvalidInput(
            f"notification {reference!r} is not a reference like LHC-2023/4 (instrument/number)"
        )
    return get_instrument(instrument.lower()).id, int(number)


def received_notifications(session: Session, who: Principal) -> list[dict]:
    """The depositary notifications other nodes sent to this one, newest first."""
    authorize(who, Permission.TREATY_READ)
    rows = session.scalars(
        select(ReceivedNotificationRow).order_by(
            ReceivedNotificationRow.issued_at.desc(), ReceivedNotificationRow.id.desc()
        )
    )
    return [received_dict(r) for r in rows]


def received_dict(row: ReceivedNotificationRow) -> dict:
    def day(value):
        return value.isoformat() if value else None

    return {
        "reference": row.reference,
        "sender": row.sender,
        "message_id": row.message_id,
        "instrument": row.instrument_id,
        "number": row.number,
        "state": row.state,
        "action": row.action,
        "action_date": day(row.action_date),
        "issued_at": as_utc(row.issued_at).isoformat(),
        "entry_into_force": day(row.entry_into_force),
        "objection_deadline": day(row.objection_deadline),
        "text_en": row.text_en,
        "text_fr": row.text_fr,
        "received_at": as_utc(row.received_at).isoformat(),
    }


def deposit_dict(row: DepositRow, notification: str | None = None) -> dict:
    return {
        "deposit": row.id,
        "instrument": row.instrument_id,
        "state": row.state,
        "act": row.kind,
        "deposited_on": row.deposited_on.isoformat(),
        "signatory": row.signatory,
        "capacity": row.capacity,
        "full_powers": row.full_powers,
        "original_sha256": row.original_sha256,
        "status": row.status,
        "reasons": list(row.reasons or []),
        "warnings": list(row.warnings or []),
        "objection_to": row.objection_to,
        "objection_late": row.objection_late,
        "objection_deadline": row.objection_deadline.isoformat()
        if row.objection_deadline
        else None,
        "notification": notification,
    }


def custody_dict(row: CustodyEventRow) -> dict:
    return {
        "event": row.event,
        "location": row.location,
        "handled_by": row.handled_by,
        "recipient": row.recipient,
        "copy_number": row.copy_number,
        "at": as_utc(row.at).isoformat(),
        "note": row.note,
    }


# --- helpers -----------------------------------------------------------------------------


def _deposit(session: Session, deposit_id: int) -> DepositRow:
    row = session.get(DepositRow, deposit_id)
    if row is None:
        raise NotFoundInRegister(f"deposit {deposit_id} does not exist: see `treaty deposits`")
    return row


def _with_reservation(session: Session, receipt: Receipt) -> Receipt:
    """For an objection: the reservation it concerns, and when that was notified."""
    if receipt.objection_to is None:
        return receipt
    reservation = session.get(DepositRow, receipt.objection_to)
    if (
        reservation is None
        or reservation.kind != ActionKind.RESERVATION.value
        or reservation.instrument_id != receipt.instrument.id
        or reservation.status != Status.ACCEPTED.value
    ):
        raise InvalidInput(
            f"objection-to {receipt.objection_to} is not an accepted reservation to "
            f"{receipt.instrument.id}: see `treaty deposits {receipt.instrument.id}`"
        )
    if reservation.state == receipt.state:
        raise InvalidInput("a state cannot object to its own reservation: check --state")
    notified = session.scalar(
        select(DepositaryNotificationRow.issued_at).where(
            DepositaryNotificationRow.action_id == reservation.action_id,
            DepositaryNotificationRow.status == "issued",
        )
    )
    return replace(
        receipt,
        subject=replace(
            receipt.subject,
            reservation_notified_on=notified.date() if notified else None,
            consented_on=_consented_on(session, receipt.instrument.id, receipt.state),
        ),
    )


def _consented_on(session: Session, instrument_id: str, state: str) -> date | None:
    """When the state expressed its consent to be bound by the instrument, if it has."""
    days = [
        a.date
        for a in repo.actions_for(session, instrument_id)
        if a.state == state and a.kind.expresses_consent and a.date is not None
    ]
    return min(days) if days else None


def objection_periods(session: Session, deposit: DepositRow) -> dict[str, dict]:
    """For an issued reservation: each state's last day to object (VCLT art. 20(5)), the
    twelve months or its consent to be bound if later. States that have not consented
    yet have the twelve months, which their consent, if later, will extend."""
    if deposit.kind != ActionKind.RESERVATION.value or deposit.objection_deadline is None:
        return {}
    notified = session.scalar(
        select(DepositaryNotificationRow.issued_at).where(
            DepositaryNotificationRow.action_id == deposit.action_id
        )
    )
    if notified is None:
        return {}
    rule = objection_rule()
    states = {a.state for a in repo.actions_for(session, deposit.instrument_id)} - {deposit.state}
    periods = {}
    for state in sorted(states):
        day, end = objection_period(
            as_utc(notified).date(), _consented_on(session, deposit.instrument_id, state), rule
        )
        periods[state] = {"until": day.isoformat(), "ends_with": end.value}
    return periods


def _notification_reference(session: Session, deposit_id: int) -> str:
    deposit = session.get(DepositRow, deposit_id)
    return _reference_of_action(session, deposit.action_id if deposit else None) or "?"


def _reference_of_action(session: Session, action_id: int | None) -> str | None:
    if action_id is None:
        return None
    row = session.scalar(
        select(DepositaryNotificationRow).where(DepositaryNotificationRow.action_id == action_id)
    )
    return f"{row.instrument_id.upper()}/{row.number}" if row else None


def _received(receipt: Receipt) -> Received:
    return Received(
        kind=receipt.kind,
        deposited_on=receipt.deposited_on,
        capacity=receipt.capacity,
        full_powers=receipt.full_powers,
        subject=receipt.subject,
    )


def _action(receipt: Receipt) -> Action:
    subject = receipt.subject
    note = receipt.text
    if receipt.kind is ActionKind.RESERVATION and subject.article:
        note = f"Reservation to article {subject.article}: {receipt.text}"
    elif receipt.kind is ActionKind.DECLARATION and subject.annexes:
        note = f"Declaration under article 2(2), annexes {', '.join(subject.annexes)}: {note}"
    elif receipt.kind is ActionKind.OBJECTION:
        note = note or f"Objection to the reservation of deposit {receipt.objection_to}"
    return Action(
        instrument_id=receipt.instrument.id,
        state=receipt.state,
        kind=receipt.kind,
        date=receipt.deposited_on,
        notes=note.strip(),
        origin=Origin.REGISTER,
    )


def _receipt_of(row: DepositRow) -> Receipt:
    subject = row.subject or {}
    return Receipt(
        instrument=get_instrument(row.instrument_id),
        state=row.state,
        kind=ActionKind(row.kind),
        deposited_on=row.deposited_on,
        signatory=row.signatory,
        capacity=Capacity(row.capacity),
        subject=Subject(
            article=subject.get("article", ""),
            declaration=subject.get("declaration", ""),
            annexes=tuple(subject.get("annexes", ())),
        ),
        text=row.text,
        objection_to=row.objection_to,
    )


def _powers_dict(powers: FullPowers | None) -> dict | None:
    if powers is None:
        return None
    return {
        "issued_by": powers.issued_by.value,
        "issued_on": powers.issued_on.isoformat(),
        "names_signatory": powers.names_signatory,
        "names_instrument": powers.names_instrument,
    }


def _subject_dict(subject: Subject) -> dict:
    return {
        "article": subject.article,
        "declaration": subject.declaration,
        "annexes": list(subject.annexes),
    }
