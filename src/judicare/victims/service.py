"""Use cases for victims and witnesses (issue 20): their rights and needs, protection and
special measures with who decided and why, information sent to them only with consent, and
their requests for information as tasks with a deadline. Services never commit; every
write is audited on the request it concerns; need-to-know is the request's (load_for)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.permissions import NotFound, Permission, Principal
from judicare.errors import Conflict, InvalidInput
from judicare.requests.access import audit_request_act, load_for
from judicare.requests.models import RequestPersonRow, RequestRow
from judicare.states import COURT, UnknownState, resolve_state
from judicare.victims import rules
from judicare.victims.models import (
    ProtectionMeasureRow,
    VictimInformationRequestRow,
    VictimNoticeRow,
    VictimRecordRow,
)
from judicare.victims.schemas import (
    InformationRequestIn,
    MeasureDecisionIn,
    MeasureIn,
    NeedsIn,
    NoticeIn,
)

PROTECTED_ROLES = ("victim", "witness", "expert")
VICTIM_ROLES = ("victim",)
COURT_INSTRUMENT = "rome-1998"


def _person(session: Session, row: RequestRow, person_id: int, roles=PROTECTED_ROLES):
    person = session.get(RequestPersonRow, person_id)
    if person is None or person.request_id != row.id:
        raise InvalidInput(
            f"person_id {person_id} is not a person named in request {row.id}: "
            "give the id of a person of this request"
        )
    if person.role not in roles:
        raise InvalidInput(
            f"person_id {person_id} is a {person.role}: this applies to a {' or '.join(roles)} only"
        )
    return person


def _act(session, principal, row, act, *, now, why, details, action=AuditAction.ALTERATION):
    audit_request_act(session, principal, row.id, action, act, why=why, now=now,
                      details=details)  # fmt: skip


# --- rights and needs ------------------------------------------------------------------------


def record_needs(
    session: Session, principal: Principal, request_id: int, person_id: int, needs: NeedsIn,
    *, now: datetime, why: str,
) -> dict:  # fmt: skip
    row = load_for(session, principal, request_id, Permission.REQUEST_UPDATE)
    _person(session, row, person_id)
    if needs.consent_to_contact and not needs.channel:
        raise InvalidInput(
            "consent_to_contact is true but no channel is given: record the channel the "
            "person chose (email, phone, post, in_person, through_lawyer)"
        )
    entry = session.scalar(select(VictimRecordRow).where(VictimRecordRow.person_id == person_id))
    if entry is None:
        entry = VictimRecordRow(request_id=row.id, person_id=person_id)
        session.add(entry)
    for name, value in needs.model_dump().items():
        setattr(entry, name, value)
    entry.updated_by, entry.updated_at = principal.user_id, now
    session.flush()
    _act(session, principal, row, "victim:needs", now=now, why=why,
         details={"person": person_id, **needs.model_dump(exclude={"contact"})})  # fmt: skip
    return needs_view(entry)


def needs_view(entry: VictimRecordRow) -> dict:
    return {
        "person_id": entry.person_id,
        "language": entry.language,
        "interpreter_needed": entry.interpreter_needed,
        "child": entry.child,
        "vulnerable": entry.vulnerable,
        "sgbv": entry.sgbv,
        "consent_to_contact": entry.consent_to_contact,
        "channel": entry.channel,
        "contact": entry.contact,
    }


# --- protection and special measures ---------------------------------------------------------


def _states(codes: list[str]) -> list[str]:
    out = []
    for code in codes:
        try:
            out.append(resolve_state(code).alpha3)
        except UnknownState as exc:
            raise InvalidInput(f"withhold_from: {exc.message}") from None
    return sorted(set(out))


def request_measure(
    session: Session, principal: Principal, request_id: int, measure: MeasureIn,
    *, now: datetime, why: str,
) -> dict:  # fmt: skip
    row = load_for(session, principal, request_id, Permission.REQUEST_UPDATE)
    roles = ("witness", "victim", "expert", "suspect", "accused", "person_sought")
    _person(session, row, measure.person_id, roles if measure.measure == "temporary_transfer"
            else PROTECTED_ROLES)  # fmt: skip
    entry = ProtectionMeasureRow(
        request_id=row.id, person_id=measure.person_id, measure=measure.measure,
        status="requested", data=measure.data, withhold_from=_states(measure.withhold_from),
        requested_by=principal.username, request_reasons=measure.reasons,
        decision_reasons="", created_at=now,
    )  # fmt: skip
    session.add(entry)
    session.flush()
    _act(session, principal, row, "victim:measure:request", now=now, why=why,
         details={"measure": entry.id, "kind": entry.measure,
                  "person": entry.person_id})  # fmt: skip
    return measure_view(session, row, entry)


def decide_measure(
    session: Session, principal: Principal, measure_id: int, decision: MeasureDecisionIn,
    *, now: datetime, why: str,
) -> dict:  # fmt: skip
    """A person who may decide on the request grants or refuses the measure, with reasons.
    A measure is granted only once complete (its required data given)."""
    entry = session.get(ProtectionMeasureRow, measure_id)
    hidden = NotFound(f"measure {measure_id} not found")
    if entry is None:
        raise hidden
    try:
        row = load_for(session, principal, entry.request_id, Permission.REQUEST_DECIDE)
    except NotFound:
        raise hidden from None
    if entry.status != "requested":
        raise Conflict(f"measure {measure_id} was already {entry.status}")
    if decision.grant:
        check = _completeness(session, entry)
        if not check.complete:
            fields = ", ".join(m["field"] for m in check.missing)
            raise InvalidInput(
                f"measure {measure_id} is not complete: give {fields} in its data before "
                "granting it"
            )
    entry.status = "granted" if decision.grant else "refused"
    entry.decided_by, entry.decision_reasons, entry.decided_at = (
        principal.username, decision.reasons, now,
    )  # fmt: skip
    session.flush()
    _act(session, principal, row, f"victim:measure:{entry.status}", now=now, why=why,
         details={"measure": entry.id, "reasons": decision.reasons})  # fmt: skip
    return measure_view(session, row, entry)


def _completeness(session: Session, entry: ProtectionMeasureRow) -> rules.Completeness:
    needs = session.scalar(
        select(VictimRecordRow).where(VictimRecordRow.person_id == entry.person_id)
    )
    return rules.completeness(
        entry.measure, entry.data or {}, interpreter_needed=bool(needs and needs.interpreter_needed)
    )


def _to_court(row: RequestRow) -> bool:
    """A request of the International Criminal Court (requesting "state" XIC)."""
    return row.requesting_state == COURT


def measure_view(session: Session, row: RequestRow, entry: ProtectionMeasureRow) -> dict:
    return {
        "id": entry.id,
        "person_id": entry.person_id,
        "measure": entry.measure,
        "status": entry.status,
        "data": entry.data,
        "withhold_from": entry.withhold_from,
        "requested_by": entry.requested_by,
        "request_reasons": entry.request_reasons,
        "decided_by": entry.decided_by,
        "decision_reasons": entry.decision_reasons,
        "completeness": _completeness(session, entry).as_dict(),
        "citations": rules.citations_of(entry.measure, to_court=_to_court(row)),
    }


def _measures(session: Session, request_id: int) -> list[ProtectionMeasureRow]:
    return list(
        session.scalars(
            select(ProtectionMeasureRow)
            .where(ProtectionMeasureRow.request_id == request_id)
            .order_by(ProtectionMeasureRow.id)
        )
    )


def wire_measures(session: Session, row: RequestRow, recipient_state: str) -> list[dict]:
    """The measures that may travel to `recipient_state` with the request (rules.disclosure),
    each naming its person by position in the request's list of persons."""
    position = {p.id: i for i, p in enumerate(row.persons)}
    out = []
    for entry in _measures(session, row.id):
        verdict = rules.disclosure(
            recipient=recipient_state,
            request_states=(row.requesting_state, row.requested_state),
            withhold_from=entry.withhold_from,
        )
        if verdict.allowed:
            out.append({
                "person": position[entry.person_id], "measure": entry.measure,
                "status": entry.status, "data": entry.data,
                "withhold_from": entry.withhold_from, "reasons": entry.request_reasons,
                "decided_by": entry.decided_by or "", "decision_reasons": entry.decision_reasons,
            })  # fmt: skip
    return out


def receive_measures(
    session: Session, request_id: int, measures: object, *, sender: str, now: datetime, why: str
) -> int:
    """Store the measures that came with a request from a peer node; malformed ones are
    refused whole (the request is then not registered either: one transaction)."""
    if measures is None:
        return 0
    row = session.get(RequestRow, request_id)
    if not isinstance(measures, list) or row is None:
        raise InvalidInput("protection_measures must be a list")
    persons = list(row.persons)
    kinds = rules.measure_kinds()
    for number, item in enumerate(measures):
        ok = (
            isinstance(item, dict)
            and isinstance(item.get("person"), int)
            and 0 <= item["person"] < len(persons)
            and item.get("measure") in kinds
            and item.get("status") in rules.STATUSES
            and isinstance(item.get("data", {}), dict)
            and isinstance(item.get("withhold_from", []), list)
        )
        if not ok:
            raise InvalidInput(f"protection_measures[{number}] is malformed")
        session.add(ProtectionMeasureRow(
            request_id=row.id, person_id=persons[item["person"]].id, measure=item["measure"],
            status=item["status"], data=item.get("data", {}),
            withhold_from=[str(s)[:3] for s in item.get("withhold_from", [])],
            requested_by=f"node {sender}", request_reasons=str(item.get("reasons", ""))[:8000],
            decided_by=str(item.get("decided_by") or "")[:200] or None,
            decision_reasons=str(item.get("decision_reasons", ""))[:8000], created_at=now,
        ))  # fmt: skip
    session.flush()
    record(session, actor=f"node:{sender}", action=AuditAction.COLLECTION,
           tag="node:victim:measure:receive", subject_type="request", subject_id=row.id,
           why=why, at=now, details={"measures": len(measures)})  # fmt: skip
    return len(measures)


# --- information to victims ------------------------------------------------------------------


def log_information_request(
    session: Session, principal: Principal, request_id: int, asked: InformationRequestIn,
    *, now: datetime, why: str,
) -> dict:  # fmt: skip
    row = load_for(session, principal, request_id, Permission.REQUEST_UPDATE)
    _person(session, row, asked.person_id, VICTIM_ROLES)
    if asked.received_on > now.date():
        raise InvalidInput("received_on is in the future: give the date the victim asked")
    entry = VictimInformationRequestRow(
        request_id=row.id, person_id=asked.person_id, question=asked.question,
        received_on=asked.received_on, due=rules.information_due(asked.received_on),
        status="open", created_by=principal.user_id, created_at=now,
    )  # fmt: skip
    session.add(entry)
    session.flush()
    _act(session, principal, row, "victim:information:ask", now=now, why=why,
         details={"information_request": entry.id, "person": entry.person_id,
                  "due": entry.due.isoformat()})  # fmt: skip
    return information_request_view(entry, now.date())


def information_request_view(entry: VictimInformationRequestRow, today: date) -> dict:
    return {
        "id": entry.id,
        "person_id": entry.person_id,
        "question": entry.question,
        "received_on": entry.received_on.isoformat(),
        "due": entry.due.isoformat(),
        "status": entry.status,
        "overdue": entry.status == "open" and entry.due < today,
    }


def send_notice(
    session: Session, principal: Principal, request_id: int, notice: NoticeIn,
    *, now: datetime, why: str,
) -> dict:  # fmt: skip
    """Send a victim plain-language information about a step of the case, in their
    language, by the channel they chose, only with their consent; logged and audited."""
    row = load_for(session, principal, request_id, Permission.REQUEST_UPDATE)
    _person(session, row, notice.person_id, VICTIM_ROLES)
    needs = session.scalar(
        select(VictimRecordRow).where(VictimRecordRow.person_id == notice.person_id)
    )
    if needs is None:
        raise Conflict(
            f"no rights-and-needs record for person {notice.person_id}: record the language, "
            "consent and channel first"
        )
    may = rules.may_contact(consent=needs.consent_to_contact, channel=needs.channel)
    if not may.allowed:
        raise Conflict(f"information not sent: {may.reason}")
    asked = None
    if notice.information_request_id is not None:
        asked = session.get(VictimInformationRequestRow, notice.information_request_id)
        if asked is None or asked.request_id != row.id or asked.person_id != notice.person_id:
            raise InvalidInput(
                f"information_request_id {notice.information_request_id} is not a question "
                "of this person on this request"
            )
        if asked.status != "open":
            raise Conflict(f"information request {asked.id} was already answered")
    if (notice.step == "answer_to_question") != (asked is not None):
        raise InvalidInput(
            "an answer_to_question notice needs information_request_id, and only it does"
        )
    try:
        text = rules.notice_text(notice.step, needs.language, reference=row.reference,
                                 answer=notice.answer)  # fmt: skip
    except LookupError as exc:
        raise InvalidInput(str(exc)) from None
    entry = VictimNoticeRow(
        request_id=row.id, person_id=notice.person_id, step=notice.step,
        language=needs.language, channel=needs.channel or "", text=text,
        information_request_id=asked.id if asked else None, sent_by=principal.user_id,
        sent_at=now,
    )  # fmt: skip
    session.add(entry)
    if asked is not None:
        asked.status = "answered"
    session.flush()
    _act(session, principal, row, "victim:information:send", now=now, why=why,
         action=AuditAction.DISCLOSURE,
         details={"notice": entry.id, "person": entry.person_id, "step": entry.step,
                  "language": entry.language, "channel": entry.channel})  # fmt: skip
    return notice_view(entry)


def notice_view(entry: VictimNoticeRow) -> dict:
    return {
        "id": entry.id,
        "person_id": entry.person_id,
        "step": entry.step,
        "language": entry.language,
        "channel": entry.channel,
        "text": entry.text,
        "information_request_id": entry.information_request_id,
        "sent_at": entry.sent_at.isoformat(),
    }


# --- the whole picture for one request -------------------------------------------------------


def victims_on(
    session: Session, principal: Principal, request_id: int, *, now: datetime, why: str
) -> dict:
    """Everything on the victims and witnesses of one request (reading it is audited)."""
    row = load_for(session, principal, request_id, Permission.REQUEST_READ)
    _act(session, principal, row, "victim:read", now=now, why=why,
         action=AuditAction.CONSULTATION, details={})  # fmt: skip
    records = {
        r.person_id: needs_view(r)
        for r in session.scalars(
            select(VictimRecordRow).where(VictimRecordRow.request_id == row.id)
        )
    }
    today = now.date()
    persons = [
        {"id": p.id, "role": p.role, "name": p.names[0].name if p.names else "",
         "needs": records.get(p.id)}
        for p in row.persons if p.role in PROTECTED_ROLES
    ]  # fmt: skip
    asked = session.scalars(
        select(VictimInformationRequestRow)
        .where(VictimInformationRequestRow.request_id == row.id)
        .order_by(VictimInformationRequestRow.due)
    )
    notices = session.scalars(
        select(VictimNoticeRow)
        .where(VictimNoticeRow.request_id == row.id)
        .order_by(VictimNoticeRow.id)
    )
    return {
        "request_id": row.id,
        "reference": row.reference,
        "persons": persons,
        "measures": [measure_view(session, row, m) for m in _measures(session, row.id)],
        "information_requests": [information_request_view(a, today) for a in asked],
        "notices": [notice_view(n) for n in notices],
    }
