"""Listing and searching requests, within need-to-know. Lists carry no personal data; a
search by a person's name is itself audited as a consultation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from judicare.audit.service import AuditAction, record
from judicare.auth.permissions import Permission, Principal, authorize
from judicare.requests.domain import OPEN_STATUSES, RequestStatus
from judicare.requests.models import (
    AssignmentRow,
    DeadlineRow,
    PersonNameRow,
    RequestPersonRow,
    RequestRow,
)
from judicare.requests.service import fold
from judicare.requests.views import request_summary
from judicare.states import resolve_state

MAX_LIMIT = 100


def _escape(term: str) -> str:
    """LIKE wildcards in user input match themselves."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class RequestFilters:
    status: RequestStatus | None = None
    state: str | None = None  # requesting or requested
    kind: str | None = None
    overdue: bool | None = None
    person: str | None = None  # a name, or part of one, in any script
    q: str | None = None  # words in the reference, authority or facts
    limit: int = 20
    offset: int = 0


def visible_to(principal: Principal):
    """Need-to-know as a query condition: own authority, or assigned to me."""
    assigned = exists().where(
        AssignmentRow.request_id == RequestRow.id, AssignmentRow.user_id == principal.user_id
    )
    return or_(RequestRow.authority_id == principal.authority_id, assigned)


def list_requests(
    session: Session,
    principal: Principal,
    filters: RequestFilters,
    *,
    today: date,
    now: datetime,
    why: str,
) -> dict:
    authorize(principal, Permission.REQUEST_READ)
    query = select(RequestRow).where(visible_to(principal))
    if filters.status:
        query = query.where(RequestRow.status == filters.status.value)
    if filters.state:
        state = resolve_state(filters.state).alpha3
        query = query.where(
            or_(RequestRow.requesting_state == state, RequestRow.requested_state == state)
        )
    if filters.kind:
        query = query.where(RequestRow.kind == filters.kind)
    if filters.overdue is not None:
        late = exists().where(DeadlineRow.request_id == RequestRow.id, DeadlineRow.due < today)
        open_ = RequestRow.status.in_([s.value for s in OPEN_STATUSES])
        query = query.where(late & open_) if filters.overdue else query.where(~(late & open_))
    if filters.person:
        term = f"%{_escape(fold(filters.person))}%"
        query = query.where(
            exists()
            .where(RequestPersonRow.request_id == RequestRow.id)
            .where(PersonNameRow.person_id == RequestPersonRow.id)
            .where(PersonNameRow.name_folded.like(term, escape="\\"))
        )
    if filters.q:
        for word in fold(filters.q).split()[:8]:
            query = query.where(RequestRow.search_text.like(f"%{_escape(word)}%", escape="\\"))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.options(selectinload(RequestRow.deadlines))
        .order_by(RequestRow.received_on.desc(), RequestRow.id.desc())
        .limit(filters.limit)
        .offset(filters.offset)
    ).all()
    if filters.person:
        record(
            session,
            actor=principal.username,
            action=AuditAction.CONSULTATION,
            tag=f"{principal.role.value}:request:search_person",
            subject_type="search",
            subject_id="requests",
            why=why,
            at=now,
            details={"results": [r.id for r in rows]},
        )
    return {
        "items": [request_summary(r, today) for r in rows],
        "total": total,
        "limit": filters.limit,
        "offset": filters.offset,
    }
