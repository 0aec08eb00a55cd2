"""Roles, permissions, and the one place where access is decided.

Need-to-know: a user sees only the requests of their own authority or those assigned to
them. A request outside that is answered as if it did not exist (404), so that its
existence is not disclosed either. Routes and services never repeat these checks inline:
they call `authorize`.

Two roles act for the node rather than for one authority: the node administrator keeps the
node's national registers (refugees and the like, read by every authority's screening), and
the node auditor reads the whole node's audit trail. Every other role, the administrator and
the auditor included, acts within its own authority (see `judicare.persons.registers` and
`judicare.audit.scope`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from judicare.errors import JudicareError


class Role(enum.StrEnum):
    OFFICER = "officer"
    LEGAL_REVIEWER = "legal_reviewer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    DEPOSITARY_OFFICER = "depositary_officer"
    ADMIN = "admin"  # the authority's administrator: its users
    NODE_ADMIN = "node_admin"  # the node's: its national registers
    NODE_AUDITOR = "node_auditor"  # the node's: the whole audit trail


class Permission(enum.StrEnum):
    REQUEST_CREATE = "request:create"
    REQUEST_READ = "request:read"
    REQUEST_UPDATE = "request:update"
    REQUEST_TRANSITION = "request:transition"  # operational steps (register, execute, close)
    REQUEST_DECIDE = "request:decide"  # accept, refuse, postpone
    DECISION_APPROVE = "decision:approve"  # the second pair of eyes
    # prepare a draft decision for a reviewer or supervisor to propose (the officer's part)
    DECISION_DRAFT = "decision:draft"
    REQUEST_ASSIGN = "request:assign"
    REQUEST_LINK = "request:link"
    DOCUMENT_UPLOAD = "document:upload"
    DOCUMENT_READ = "document:read"
    AUDIT_READ = "audit:read"  # the trail of one's own authority
    AUDIT_READ_NODE = "audit:read_node"  # the whole node's trail, and the check of its chain
    TREATY_READ = "treaty:read"
    TREATY_RECORD = "treaty:record"
    USER_MANAGE = "user:manage"
    # load or change a national register of the node (refugees...) for screening
    REGISTER_IMPORT = "register:import"
    # the prevention desk (issue 21): an analyst's assessment of a country along the UN
    # Framework of Analysis; another person reviews it (four-eyes) before it counts
    ASSESSMENT_READ = "assessment:read"
    ASSESSMENT_DRAFT = "assessment:draft"
    ASSESSMENT_REVIEW = "assessment:review"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OFFICER: frozenset(
        {
            P.REQUEST_CREATE,
            P.REQUEST_READ,
            P.REQUEST_UPDATE,
            P.REQUEST_TRANSITION,
            P.REQUEST_LINK,
            P.DOCUMENT_UPLOAD,
            P.DOCUMENT_READ,
            P.TREATY_READ,
            P.DECISION_DRAFT,
            P.ASSESSMENT_READ,
            P.ASSESSMENT_DRAFT,
        }
    ),
    Role.LEGAL_REVIEWER: frozenset(
        {
            P.ASSESSMENT_READ,
            P.ASSESSMENT_REVIEW,
            P.REQUEST_READ,
            P.REQUEST_UPDATE,
            P.REQUEST_TRANSITION,
            P.REQUEST_DECIDE,
            P.REQUEST_LINK,
            P.DOCUMENT_READ,
            P.TREATY_READ,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            P.REQUEST_CREATE,
            P.REQUEST_READ,
            P.REQUEST_UPDATE,
            P.REQUEST_TRANSITION,
            P.REQUEST_DECIDE,
            P.REQUEST_ASSIGN,
            P.REQUEST_LINK,
            P.DOCUMENT_UPLOAD,
            P.DOCUMENT_READ,
            P.TREATY_READ,
            P.DECISION_APPROVE,
            P.DECISION_DRAFT,
            P.ASSESSMENT_READ,
            P.ASSESSMENT_DRAFT,
            P.ASSESSMENT_REVIEW,
        }
    ),
    Role.AUDITOR: frozenset(
        {P.REQUEST_READ, P.DOCUMENT_READ, P.AUDIT_READ, P.TREATY_READ, P.ASSESSMENT_READ}
    ),
    Role.DEPOSITARY_OFFICER: frozenset({P.TREATY_READ, P.TREATY_RECORD}),
    Role.ADMIN: frozenset({P.USER_MANAGE, P.TREATY_READ}),
    Role.NODE_ADMIN: frozenset({P.REGISTER_IMPORT, P.TREATY_READ}),
    Role.NODE_AUDITOR: frozenset({P.AUDIT_READ, P.AUDIT_READ_NODE, P.TREATY_READ}),
}
# Permissions that concern one request, and so also need the need-to-know test.
REQUEST_SCOPED = frozenset(
    {
        P.REQUEST_READ,
        P.REQUEST_UPDATE,
        P.REQUEST_TRANSITION,
        P.REQUEST_DECIDE,
        P.DECISION_APPROVE,
        P.DECISION_DRAFT,
        P.REQUEST_ASSIGN,
        P.REQUEST_LINK,
        P.DOCUMENT_UPLOAD,
        P.DOCUMENT_READ,
    }
)


class Forbidden(JudicareError):
    code = "forbidden"
    http_status = 403


class NotFound(JudicareError):
    code = "not_found"
    http_status = 404


class Unauthenticated(JudicareError):
    code = "unauthenticated"
    http_status = 401


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting."""

    user_id: int
    username: str
    role: Role
    authority_id: str


@dataclass(frozen=True, slots=True)
class RequestScope:
    """What need-to-know looks at for one request."""

    request_id: int
    authority_id: str
    assigned_user_ids: frozenset[int]


def authorize(
    principal: Principal, permission: Permission, scope: RequestScope | None = None
) -> None:
    """Raise unless `principal` may do `permission` (on the request in `scope`)."""
    if permission not in ROLE_PERMISSIONS[principal.role]:
        raise Forbidden(
            f"the role {principal.role.value} may not {permission.value.replace(':', ' ')}"
        )
    if permission in REQUEST_SCOPED and scope is not None:
        own = scope.authority_id == principal.authority_id
        if not own and principal.user_id not in scope.assigned_user_ids:
            raise NotFound(f"request {scope.request_id} not found")


def can(principal: Principal, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[principal.role]
