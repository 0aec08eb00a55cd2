"""Use cases for users and tokens. Services never commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.models import ApiTokenRow, AuthorityRow, UserRow
from judicare.auth.passwords import hash_password, new_token, token_digest
from judicare.auth.permissions import Principal, Role, Unauthenticated
from judicare.db.base import as_utc
from judicare.errors import Conflict, InvalidInput
from judicare.states import resolve_state


def ensure_authority(session: Session, authority_id: str, state: str, name: str) -> AuthorityRow:
    row = session.get(AuthorityRow, authority_id)
    if row is None:
        row = AuthorityRow(id=authority_id, state=resolve_state(state).alpha3, name=name)
        session.add(row)
        session.flush()
    return row


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    authority_id: str,
    display_name: str = "",
) -> UserRow:
    try:
        role_value = Role(role)
    except ValueError:
        raise InvalidInput(
            f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}"
        ) from None
    check_password_rules(password)
    if session.get(AuthorityRow, authority_id) is None:
        raise InvalidInput(f"unknown authority {authority_id!r}: create it first")
    if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise Conflict(f"a user named {username!r} exists already")
    user = UserRow(
        username=username,
        display_name=display_name or username,
        role=role_value.value,
        authority_id=authority_id,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


MIN_PASSWORD_LENGTH = 12
# A token nobody asked a lifetime for (settings.api_token_hours is what adapters pass).
DEFAULT_TOKEN_LIFETIME = timedelta(hours=12)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def principal_of(user: UserRow) -> Principal:
    return Principal(user.id, user.username, Role(user.role), user.authority_id)


def issue_token(
    session: Session,
    principal: Principal,
    name: str = "",
    *,
    now: datetime,
    lifetime: timedelta = DEFAULT_TOKEN_LIFETIME,
) -> str:
    """A new API token (or web session) for `principal`, valid from `now` for `lifetime`;
    only its SHA-256 digest is stored, the token itself is shown once. Each one is audited
    (OWASP ASVS 5.0 v5.0.0-16.3.1: every authentication is logged), never the token."""
    token = new_token()
    row = ApiTokenRow(
        user_id=principal.user_id,
        token_sha256=token_digest(token),
        name=name,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor=principal.username,
        action=AuditAction.COLLECTION,
        tag="account:credential:issue",
        subject_type="user",
        subject_id=principal.username,
        why="signed in" if name in ("", "web session") else f"token {name!r} issued",
        at=now,
        details={
            "user_id": principal.user_id,
            "kind": name or "api token",
            "token_id": row.id,
            "expires_at": row.expires_at.isoformat(),
        },
    )
    return token


def principal_for_token(session: Session, token: str, now: datetime) -> Principal:
    """The principal an API token stands for, read fresh on every call (one query joining
    the token and its user), so that a revoked token or a deactivated user is refused at
    once; nothing is cached. Core, not ORM: it runs on every API call."""
    found = (
        session.connection()
        .execute(
            select(
                ApiTokenRow.revoked_at,
                ApiTokenRow.expires_at,
                UserRow.id,
                UserRow.username,
                UserRow.role,
                UserRow.authority_id,
                UserRow.active,
            )
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .where(ApiTokenRow.token_sha256 == token_digest(token))
        )
        .first()
    )
    if found is None or found.revoked_at is not None:
        raise Unauthenticated("the API token is unknown or revoked")
    if found.expires_at is not None and as_utc(found.expires_at) <= now:
        raise Unauthenticated("the API token has expired")
    if not found.active:
        raise Unauthenticated("the token's user is not active")
    return Principal(found.id, found.username, Role(found.role), found.authority_id)
