"""Need-to-know on one request and the audit entry of an act on it: shared by every use case
of the register (registration, service, documents) and by screening and the exchange."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.permissions import NotFound, Permission, Principal, RequestScope, authorize
from judicare.requests.models import (
    AssignmentRow,
    RequestRow,
)

# --- need-to-know ------------------------------------------------------------------------


_SCOPES = "judicare.request_scopes"  # session.info, while `scopes_kept`


def scope_of(session: Session, row: RequestRow) -> RequestScope:
    kept = session.info.get(_SCOPES)
    if kept is not None and row.id in kept:
        return kept[row.id]
    assigned = session.scalars(
        select(AssignmentRow.user_id).where(AssignmentRow.request_id == row.id)
    ).all()
    scope = RequestScope(row.id, row.authority_id, frozenset(assigned))
    if kept is not None:
        kept[row.id] = scope
    return scope


@contextmanager
def scopes_kept(session: Session) -> Iterator[None]:
    """Within the block, each request's need-to-know scope (its authority and assignees) is
    read once, not once per check: for a page that only reads, made of many parts that
    each check the same request. Not for a block that changes assignments."""
    if _SCOPES in session.info:  # already kept by an enclosing block
        yield
        return
    session.info[_SCOPES] = {}
    try:
        yield
    finally:
        session.info.pop(_SCOPES, None)


def load_for(
    session: Session, principal: Principal, request_id: int, permission: Permission
) -> RequestRow:
    """The request, if the principal may do `permission` on it; else 403 or 404."""
    authorize(principal, permission)
    row = session.get(RequestRow, request_id)
    if row is None:
        raise NotFound(f"request {request_id} not found")
    authorize(principal, permission, scope_of(session, row))
    return row


# --- auditing an act on a request ---------------------------------------------------------


def audit_verb(
    session: Session,
    principal: Principal,
    request_id: int,
    action: AuditAction,
    verb: str,
    *,
    why: str,
    now: datetime,
    details: dict,
) -> None:
    """Audit one act on a request, tagged role:request:verb."""
    audit_request_act(
        session, principal, request_id, action, f"request:{verb}",
        why=why, now=now, details=details,
    )  # fmt: skip


def audit_request_act(
    session: Session,
    principal: Principal,
    request_id: int,
    action: AuditAction,
    act: str,
    *,
    why: str,
    now: datetime,
    details: dict,
) -> None:
    """Audit an act concerning one request (its subject), tagged role:act, e.g.
    `supervisor:decision:approve`. The one place that shapes such entries."""
    record(
        session,
        actor=principal.username,
        action=action,
        tag=f"{principal.role.value}:{act}",
        subject_type="request",
        subject_id=request_id,
        why=why,
        at=now,
        details=details,
    )
