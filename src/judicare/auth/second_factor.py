"""The optional second factor (TOTP, RFC 6238) and the signed-in sessions of the web app.

A user with a TOTP secret signs in with the password and then a six-digit code from an
authenticator app; the API's token endpoint asks for the same code. A web session is an API
token that expires after a working day and is revoked at sign-out. Services never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.auth.models import ApiTokenRow, UserRow
from judicare.auth.passwords import new_token, token_digest
from judicare.auth.permissions import Principal, Unauthenticated
from judicare.errors import InvalidInput

ISSUER = "Judicare"
WEB_SESSION_HOURS = 8
# One step (30 s) either side absorbs a phone clock that is slightly off.
CLOCK_DRIFT_STEPS = 1


def _user(session: Session, principal: Principal) -> UserRow:
    user = session.get(UserRow, principal.user_id)
    if user is None or not user.active:
        raise Unauthenticated("the user is not active")
    return user


def needs_second_factor(session: Session, principal: Principal) -> bool:
    return bool(_user(session, principal).totp_secret)


def check_second_factor(session: Session, principal: Principal, code: str | None, now: datetime):
    """Refuse unless the user has no second factor or `code` is its current TOTP code."""
    secret = _user(session, principal).totp_secret
    if not secret:
        return
    code = (code or "").replace(" ", "")
    if not code:
        raise Unauthenticated("this user signs in with a second factor: give the 6-digit code")
    if not pyotp.TOTP(secret).verify(code, for_time=now, valid_window=CLOCK_DRIFT_STEPS):
        raise Unauthenticated("the 6-digit code is wrong or has expired: use the current one")


def enable_second_factor(session: Session, username: str) -> tuple[str, str]:
    """Give a user a new TOTP secret; returns (secret, otpauth URI for a QR code)."""
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        raise InvalidInput(f"unknown user {username!r}")
    secret = pyotp.random_base32()
    user.totp_secret = secret
    session.flush()
    return secret, pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def disable_second_factor(session: Session, username: str) -> None:
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        raise InvalidInput(f"unknown user {username!r}")
    user.totp_secret = None
    session.flush()


def open_web_session(session: Session, principal: Principal, now: datetime) -> str:
    token = new_token()
    session.add(
        ApiTokenRow(
            user_id=principal.user_id,
            token_sha256=token_digest(token),
            name="web session",
            expires_at=now + timedelta(hours=WEB_SESSION_HOURS),
        )
    )
    session.flush()
    return token


def close_web_session(session: Session, token: str, now: datetime) -> None:
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_sha256 == token_digest(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.flush()


def set_preferred_language(session: Session, principal: Principal, language: str) -> None:
    _user(session, principal).preferred_language = language
    session.flush()


def preferred_language(session: Session, principal: Principal) -> str | None:
    return _user(session, principal).preferred_language
