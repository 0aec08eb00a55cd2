"""An account's life after creation: deactivation, reactivation, password changes and the
revocation of tokens. Every act is audited in the caller's transaction; services never
commit.

Web sessions are API tokens too (`second_factor.open_web_session`), and every page and API
call reads the token and its user afresh (`service.principal_for_token`): revoking the
tokens ends every session and token of the user at the next request, on every process.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.models import ApiTokenRow, UserRow
from judicare.auth.passwords import hash_password, token_digest
from judicare.auth.permissions import (
    NotFound,
    Permission,
    Principal,
    Unauthenticated,
    authorize,
)
from judicare.auth.service import check_password_rules
from judicare.auth.throttle import clear_account
from judicare.errors import Conflict, InvalidInput

# Who acts from the command line (the operator of the node, outside the web and the API).
OPERATOR = "local-operator"


def find_user(session: Session, username: str) -> UserRow:
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        raise InvalidInput(f"unknown user {username!r}")
    return user


def managed_user(session: Session, admin: Principal, user_id: int) -> UserRow:
    """A user an administrator may manage: one of their own authority (others: 404)."""
    authorize(admin, Permission.USER_MANAGE)
    user = session.get(UserRow, user_id)
    if user is None or user.authority_id != admin.authority_id:
        raise NotFound(f"user {user_id} not found")
    return user


def revoke_tokens(session: Session, user: UserRow, now: datetime, keep: str | None = None) -> int:
    """Revoke every live token and web session of `user` (but the one whose digest is
    `keep`); returns how many."""
    query = update(ApiTokenRow).where(
        ApiTokenRow.user_id == user.id, ApiTokenRow.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(ApiTokenRow.token_sha256 != keep)
    count = session.execute(query.values(revoked_at=now)).rowcount or 0
    session.flush()
    return count


def deactivate(session: Session, user: UserRow, *, actor: str, now: datetime, why: str) -> int:
    """The user can no longer sign in, and every session and token ends at once."""
    if not user.active:
        raise Conflict(f"the user {user.username!r} is inactive already")
    user.active = False
    ended = revoke_tokens(session, user, now)
    _audit(session, actor, "deactivate", user, now, why, {"tokens_revoked": ended})
    return ended


def activate(session: Session, user: UserRow, *, actor: str, now: datetime, why: str) -> None:
    """The user may sign in again (earlier sessions stay ended); a password lockout ends."""
    user.active = True
    clear_account(session, user.username)
    _audit(session, actor, "activate", user, now, why, {})
    session.flush()


def set_password(
    session: Session, user: UserRow, password: str, *, actor: str, now: datetime, why: str
) -> int:
    """An administrator's reset: a new password, every session and token ended, any
    lockout lifted."""
    check_password_rules(password)
    user.password_hash = hash_password(password)
    ended = revoke_tokens(session, user, now)
    clear_account(session, user.username)
    _audit(session, actor, "set-password", user, now, why, {"tokens_revoked": ended})
    return ended


def change_own_password(
    session: Session, who: Principal, new: str, *, token: str, now: datetime
) -> int:
    """The user's own change, once the caller has checked the current password through
    `sign_in.SignIn.check` (throttled like a sign-in); every other session and token ends
    (the one in use stays)."""
    user = session.get(UserRow, who.user_id)
    if user is None or not user.active:
        raise Unauthenticated("the user is not active")
    check_password_rules(new)
    user.password_hash = hash_password(new)
    ended = revoke_tokens(session, user, now, keep=token_digest(token))
    _audit(session, who.username, "change-password", user, now, "own password", {
        "tokens_revoked": ended})  # fmt: skip
    return ended


def revoke_all(session: Session, user: UserRow, *, actor: str, now: datetime, why: str) -> int:
    ended = revoke_tokens(session, user, now)
    _audit(session, actor, "revoke-tokens", user, now, why, {"tokens_revoked": ended})
    return ended


def revoke_current(session: Session, who: Principal, token: str, now: datetime) -> None:
    """Sign out of the API: the token in use is revoked."""
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_sha256 == token_digest(token)))
    if row is None or row.user_id != who.user_id or row.revoked_at is not None:
        raise Unauthenticated("the API token is unknown or revoked")
    row.revoked_at = now
    user = session.get(UserRow, who.user_id)
    _audit(session, who.username, "revoke-token", user, now, "sign-out", {"token_id": row.id})
    session.flush()


def _audit(
    session: Session, actor: str, verb: str, user: UserRow, now: datetime, why: str, details
) -> None:
    record(
        session, actor=actor, action=AuditAction.ALTERATION, tag=f"account:user:{verb}",
        subject_type="user", subject_id=user.username, why=why or verb, at=now,
        details={"user_id": user.id, **details},
    )  # fmt: skip


def list_users(session: Session, admin: Principal) -> list[dict]:
    """The users an administrator manages (their own authority), by name."""
    authorize(admin, Permission.USER_MANAGE)
    rows = session.scalars(
        select(UserRow).where(UserRow.authority_id == admin.authority_id).order_by(UserRow.username)
    )
    return [
        {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
         "active": bool(u.active), "second_factor": bool(u.totp_secret)}
        for u in rows
    ]  # fmt: skip
