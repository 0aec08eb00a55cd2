"""Who holds a request and who may be given it, and finding a request to link by its
reference, within need-to-know (the principal's authority, or assigned to them)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.auth.models import UserRow
from judicare.auth.permissions import Permission, Principal, authorize
from judicare.errors import InvalidInput
from judicare.requests.models import AssignmentRow, RequestRow

# Roles that handle cases: the ones a request may be assigned to.
CASE_ROLES = ("officer", "legal_reviewer", "supervisor")


def assignable_users(session: Session, principal: Principal) -> list[dict]:
    """Active case handlers of the principal's own authority (never another's)."""
    authorize(principal, Permission.REQUEST_ASSIGN)
    return colleagues(session, principal)


def colleagues(session: Session, principal: Principal) -> list[dict]:
    """The case handlers of the principal's own authority (for the list's assignee filter)."""
    authorize(principal, Permission.REQUEST_READ)
    rows = session.scalars(
        select(UserRow)
        .where(UserRow.authority_id == principal.authority_id)
        .where(UserRow.active.is_(True))
        .where(UserRow.role.in_(CASE_ROLES))
        .order_by(UserRow.display_name, UserRow.id)
    ).all()
    return [
        {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role}
        for u in rows
    ]


def holders(session: Session, request_id: int) -> list[dict]:
    """The users a request is assigned to (the caller has already read the request)."""
    rows = session.scalars(
        select(UserRow)
        .join(AssignmentRow, AssignmentRow.user_id == UserRow.id)
        .where(AssignmentRow.request_id == request_id)
        .order_by(UserRow.display_name)
    ).all()
    return [{"id": u.id, "username": u.username, "display_name": u.display_name} for u in rows]


def request_id_by_reference(session: Session, principal: Principal, reference: str) -> int:
    """The id of the request with this reference among those the principal may see."""
    from judicare.requests.queries import visible_to

    authorize(principal, Permission.REQUEST_READ)
    found = session.scalar(
        select(RequestRow.id)
        .where(RequestRow.reference == reference.strip())
        .where(visible_to(principal))
    )
    if found is None:  # another authority's request is as unknown as a missing one
        raise InvalidInput(f"no request you may see has the reference {reference.strip()!r}")
    return found
