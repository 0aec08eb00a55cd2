"""Roles, permissions, and the one place where access is decided.

Need-to-know: a user sees only the requests of their own authority or those assigned to
them. A request outside that is answered as if it did not exist (404), so that its
existence is not disclosed either. Routes and services never repeat these checks inline:
they call `authorize`.
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
    ADMIN = "admin"


class Permission(enum.StrEnum):
    REQUEST_CREATE = "request:create"
    REQUEST_READ = "request:read"
    REQUEST_UPDATE = "request:update"
    REQUEST_TRANSITION = "request:transition"  # operational steps (register, execute, close)
    REQUEST_DECIDE = "request:decide"  # accept, refuse, postpone
    DECISION_APPROVE = "decision:approve"  # the second pair of eyes
    REQUEST_ASSIGN = "request:assign"
    REQUEST_LINK = "request:link"
    DOCUMENT_UPLOAD = "document:upload"
    DOCUMENT_READ = "document:read"
    AUDIT_READ = "audit:read"
    TREATY_READ = "treaty:read"
    TREATY_RECORD = "treaty:record"
    USER_MANAGE = "user:manage"
    REGISTER_IMPORT = "register:import"  # load a register of protected persons for screening


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
        }
    ),
    Role.LEGAL_REVIEWER: frozenset(
        {
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
        }
    ),
    Role.AUDITOR: frozenset({P.REQUEST_READ, P.DOCUMENT_READ, P.AUDIT_READ, P.TREATY_READ}),
    Role.DEPOSITARY_OFFICER: frozenset({P.TREATY_READ, P.TREATY_RECORD}),
    Role.ADMIN: frozenset({P.USER_MANAGE, P.TREATY_READ, P.REGISTER_IMPORT}),
}
# Permissions that concern one request, and so also need the need-to-know test.
REQUEST_SCOPED = frozenset(
    {
        P.REQUEST_READ,
        P.REQUEST_UPDATE,
        P.REQUEST_TRANSITION,
        P.REQUEST_DECIDE,
        P.DECISION_APPROVE,
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
