"""Use cases of the request register: register, read, change, move through the lifecycle.

Services never commit: the caller's unit of work commits the change together with its
audit entry, or nothing. Every read of personal data and every change is audited.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction
from judicare.auth.permissions import Permission, Principal
from judicare.errors import Conflict, InvalidInput
from judicare.requests.access import audit_request_act, load_for, scope_of
from judicare.requests.access import audit_verb as _audit
from judicare.requests.dates import check_dates
from judicare.requests.domain import (
    DECISIONS,
    DecisionRequired,
    RecordedDecision,
    RequestStatus,
    check_transition,
)
from judicare.requests.events import StatusChanged, announce
from judicare.requests.models import (
    AssignmentRow,
    RequestLinkRow,
    RequestRow,
    TransitionRow,
)
from judicare.requests.read_models import request_detail
from judicare.requests.registration import (
    Registered,
    _crimes,
    check_basis_choice,
    create_request,
    fingerprint,
    fold,
    script_of,
    search_text,
)
from judicare.requests.schemas import BasisChoiceIn, LinkIn, RequestUpdate, TransitionIn
from judicare.treaties.catalogue import get_instrument


class PreconditionFailed(Conflict):
    code = "precondition_failed"
    http_status = 412


class PreconditionRequired(Conflict):
    code = "precondition_required"
    http_status = 428


# --- reading and changing ------------------------------------------------------------------


def get_request(
    session: Session, principal: Principal, request_id: int, *, now: datetime, why: str
) -> dict:
    row = load_for(session, principal, request_id, Permission.REQUEST_READ)
    _audit(
        session,
        principal,
        row.id,
        AuditAction.CONSULTATION,
        "read",
        why=why,
        now=now,
        details={"reference": row.reference},
    )
    return _detail(session, row)


def _detail(session: Session, row: RequestRow) -> dict:
    transitions = session.scalars(
        select(TransitionRow).where(TransitionRow.request_id == row.id).order_by(TransitionRow.id)
    ).all()
    links = session.scalars(
        select(RequestLinkRow).where(
            (RequestLinkRow.from_request_id == row.id) | (RequestLinkRow.to_request_id == row.id)
        )
    ).all()
    from judicare.requests.models import DocumentRow

    documents = session.scalars(select(DocumentRow).where(DocumentRow.request_id == row.id)).all()
    return request_detail(row, transitions, links, documents)


def _check_version(row: RequestRow, if_match: str | None) -> None:
    if if_match is None:
        raise PreconditionRequired(
            "send If-Match with the request's ETag (from GET) so that a change made meanwhile "
            "by someone else is not overwritten"
        )
    if if_match.strip().strip('"').removeprefix('W/"') != str(row.version):
        raise PreconditionFailed(
            f"the request changed since you read it (version now {row.version}): read it again"
        )


def update_request(
    session: Session,
    principal: Principal,
    request_id: int,
    change: RequestUpdate,
    *,
    if_match: str | None,
    now: datetime,
    why: str,
) -> dict:
    row = load_for(session, principal, request_id, Permission.REQUEST_UPDATE)
    _check_version(row, if_match)
    changed = {}
    for field, value in change.model_dump(exclude_unset=True).items():
        if field == "crimes":
            value = list(_crimes(value or []))
        if field == "legal_basis_instrument" and value:
            value = get_instrument(value).id
            check_basis_choice(value, row.legal_basis_answer)
        if field == "requesting_reference" and value is None:
            value = ""
        if hasattr(value, "value"):
            value = value.value
        if getattr(row, field) != value:
            changed[field] = {"from": _plain(getattr(row, field)), "to": _plain(value)}
            setattr(row, field, value)
    if changed.keys() & {"requested_execution_date", "request_date"}:
        check_dates(
            received_on=row.received_on,
            request_date=row.request_date,
            requested_execution_date=row.requested_execution_date,
            today=now.date(),
        )
    if changed:
        row.search_text = search_text(row)
        row.updated_at = now
        session.flush()
        _audit(
            session,
            principal,
            row.id,
            AuditAction.ALTERATION,
            "update",
            why=why,
            now=now,
            details={"fields": sorted(changed), "changes": changed},
        )
    return _detail(session, row)


def choose_legal_basis(
    session: Session,
    principal: Principal,
    request_id: int,
    choice: BasisChoiceIn,
    *,
    if_match: str | None,
    now: datetime,
    why: str,
) -> dict:
    """Choose, or change, the request's legal basis among the instruments resolved for it,
    with a reason: the change is versioned (If-Match) and audited with its reason."""
    row = load_for(session, principal, request_id, Permission.REQUEST_UPDATE)
    _check_version(row, if_match)
    instrument = get_instrument(choice.instrument).id
    check_basis_choice(instrument, row.legal_basis_answer)
    if row.legal_basis_answer is None:
        raise InvalidInput(
            "no legal basis was resolved for this request when it was registered: "
            "there is nothing to choose from"
        )
    before = row.legal_basis_instrument
    if before == instrument:
        raise Conflict(f"{instrument} is already the request's legal basis")
    row.legal_basis_instrument = instrument
    row.updated_at = now
    session.flush()
    _audit(
        session, principal, row.id, AuditAction.ALTERATION, "legal_basis",
        why=why, now=now, details={"from": before, "to": instrument, "reason": choice.reason},
    )  # fmt: skip
    return _detail(session, row)


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def transition_request(
    session: Session,
    principal: Principal,
    request_id: int,
    move: TransitionIn,
    *,
    if_match: str | None,
    now: datetime,
    why: str,
    decision_id: int | None = None,
) -> dict:
    """Move a request through its lifecycle. A decision's status (accepted, refused,
    postponed) needs `decision_id`, a recorded decision on this request that has taken
    effect (`domain.check_decided`); only `screening.decisions` gives one."""
    permission = (
        Permission.REQUEST_DECIDE if move.status in DECISIONS else Permission.REQUEST_TRANSITION
    )
    row = load_for(session, principal, request_id, permission)
    _check_version(row, if_match)
    current = RequestStatus(row.status)
    citations = [c.model_dump() for c in move.citations]
    decision = _recorded_decision(session, row, decision_id)
    check_transition(
        current, move.status, move.reasons, citations, decision=decision, request_id=row.id
    )
    session.add(
        TransitionRow(
            request_id=row.id,
            from_status=current.value,
            to_status=move.status.value,
            reasons=move.reasons,
            citations=citations,
            decision_id=decision_id,
            decided_by=principal.user_id,
            decided_at=now,
        )
    )
    row.status = move.status.value
    row.updated_at = now
    session.flush()
    details = {"from": current.value, "to": move.status.value, "citations": citations}
    if decision_id is not None:
        details["decision"] = decision_id
    if move.status is RequestStatus.WITHDRAWN:
        details["reasons"] = move.reasons
    _audit(
        session, principal, row.id, AuditAction.ALTERATION, move.status.value,
        why=why, now=now, details=details,
    )  # fmt: skip
    announce(session, StatusChanged(row.id, current.value, move.status.value, principal, now, why))
    return _detail(session, row)


def _recorded_decision(
    session: Session, row: RequestRow, decision_id: int | None
) -> RecordedDecision | None:
    """The stored decision offered as the ground of a change of status, read from the
    database (never from the caller), or None."""
    if decision_id is None:
        return None
    from judicare.screening.decisions import STATUS_OF, Outcome
    from judicare.screening.models import DecisionRow

    entry = session.get(DecisionRow, decision_id)
    if entry is None or entry.request_id != row.id:
        raise DecisionRequired(f"decision {decision_id} is not a decision on request {row.id}")
    applied = session.scalar(
        select(TransitionRow.id).where(TransitionRow.decision_id == entry.id).limit(1)
    )
    return RecordedDecision(
        decision_id=entry.id,
        produces=STATUS_OF[Outcome(entry.outcome)],
        status=entry.status,
        requires_approval=entry.requires_approval,
        proposed_by=entry.proposed_by,
        approved_by=entry.approved_by,
        already_applied=applied is not None,
    )


def link_requests(
    session: Session,
    principal: Principal,
    request_id: int,
    link: LinkIn,
    *,
    now: datetime,
    why: str,
) -> dict:
    row = load_for(session, principal, request_id, Permission.REQUEST_LINK)
    other = load_for(session, principal, link.to_request_id, Permission.REQUEST_LINK)
    if other.id == row.id:
        raise InvalidInput("a request cannot be linked to itself")
    exists = session.scalar(
        select(RequestLinkRow.id).where(
            RequestLinkRow.from_request_id == row.id,
            RequestLinkRow.to_request_id == other.id,
            RequestLinkRow.link_type == link.link_type.value,
        )
    )
    if exists:
        raise Conflict(
            f"request {row.id} is already linked to {other.id} as {link.link_type.value}"
        )
    session.add(
        RequestLinkRow(
            from_request_id=row.id,
            to_request_id=other.id,
            link_type=link.link_type.value,
            note=link.note,
        )
    )
    session.flush()
    _audit(
        session,
        principal,
        row.id,
        AuditAction.COMBINATION,
        "link",
        why=why,
        now=now,
        details={
            "to": other.id,
            "to_reference": other.reference,
            "link_type": link.link_type.value,
        },
    )
    return _detail(session, row)


def assign(
    session: Session,
    principal: Principal,
    request_id: int,
    user_id: int,
    *,
    now: datetime,
    why: str,
) -> dict:
    from judicare.auth.models import UserRow

    row = load_for(session, principal, request_id, Permission.REQUEST_ASSIGN)
    user = session.get(UserRow, user_id)
    if user is None:
        raise InvalidInput(f"unknown user {user_id}")
    if not session.scalar(
        select(AssignmentRow.id).where(
            AssignmentRow.request_id == row.id, AssignmentRow.user_id == user_id
        )
    ):
        session.add(AssignmentRow(request_id=row.id, user_id=user_id))
        session.flush()
        _audit(
            session,
            principal,
            row.id,
            AuditAction.DISCLOSURE,
            "assign",
            why=why,
            now=now,
            details={"recipients": [user_id], "names": [user.username]},
        )
        from judicare.notifications.service import on_assigned

        on_assigned(session, row, user_id, now)
    return _detail(session, row)


__all__ = [
    "PreconditionFailed", "PreconditionRequired", "Registered", "assign", "audit_request_act",
    "choose_legal_basis",
    "create_request", "fingerprint", "fold", "get_request", "link_requests", "load_for",
    "scope_of", "script_of", "search_text", "transition_request", "update_request",
]  # fmt: skip
