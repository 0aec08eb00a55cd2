"""Whose audit trail a reader reads.

An authority's auditor reads the trail of that authority: the entries about its requests
(whoever acted on them) and the entries of acts by its users. The node auditor reads the
whole node's trail, the entries of the node itself included (the exchange with other nodes,
imports of the node's registers by the operator), and checks the chain: checking it reads
every entry. `judicare audit verify` is an operator's command, run with the database in
hand: it stays node-level.
"""

from __future__ import annotations

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from judicare.audit.models import AuditEventRow
from judicare.audit.service import list_events
from judicare.audit.trail import verify_trail
from judicare.auth.models import UserRow
from judicare.auth.permissions import Permission, Principal, authorize, can
from judicare.requests.models import RequestRow


def of_authority(authority_id: str) -> ColumnElement[bool]:
    """The entries about the authority's requests, or by its users."""
    its_requests = select(cast(RequestRow.id, String)).where(
        RequestRow.authority_id == authority_id
    )
    its_users = select(UserRow.username).where(UserRow.authority_id == authority_id)
    return or_(
        and_(AuditEventRow.subject_type == "request", AuditEventRow.subject_id.in_(its_requests)),
        AuditEventRow.actor.in_(its_users),
    )


def read_trail(
    session: Session,
    principal: Principal,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
    **filters,
) -> list[dict]:
    """The entries `principal` may read, in chain order (or newest first), filtered
    (`audit.service.list_events`: actor, action, tag, time) and paged."""
    authorize(principal, Permission.AUDIT_READ)
    node_wide = can(principal, Permission.AUDIT_READ_NODE)
    return list_events(
        session,
        subject_type=subject_type,
        subject_id=subject_id,
        limit=limit,
        offset=offset,
        within=None if node_wide else of_authority(principal.authority_id),
        **filters,
    )


def check_chain(session: Session, principal: Principal, anchor) -> tuple[int, list]:
    """The check of the whole chain and of the checkpoints signed outside the database
    (node-level: it reads, and counts, every entry)."""
    authorize(principal, Permission.AUDIT_READ_NODE)
    report = verify_trail(session, anchor)
    return report.entries, report.problems
