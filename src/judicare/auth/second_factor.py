"""The optional second factor (TOTP, RFC 6238) and the signed-in sessions of the web app.

A user with a TOTP secret signs in with the password and then a six-digit code from an
authenticator app; the API's token endpoint asks for the same code. A web session is an API
token that expires after a working day and is revoked at sign-out. Services never commit.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.auth.models import ApiTokenRow, UserRow
from judicare.auth.passwords import token_digest
from judicare.auth.permissions import Principal, Unauthenticated
from judicare.auth.service import issue_token
from judicare.db.base import as_utc
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


MAX_WRONG_CODES = 5  # wrong codes in a row before codes are refused for a while
LOCK_MINUTES = 15


@dataclass(frozen=True, slots=True)
class SecondFactorVerdict:
    """Whether a sign-in's code was accepted, and why not. The row was updated either way
    (the step used, or one more wrong code): the caller commits in both cases, so that a
    refused code counts even though the sign-in fails."""

    accepted: bool
    reason: str = ""
    code: str = ""  # missing, wrong, used or locked: for a message in the user's language

    def raise_if_refused(self) -> None:
        if not self.accepted:
            raise Unauthenticated(self.reason)


def check_second_factor(
    session: Session, principal: Principal, code: str | None, now: datetime
) -> SecondFactorVerdict:
    """Accept the user's current TOTP code once (RFC 6238 with one step of drift either
    side); count wrong codes, and after MAX_WRONG_CODES in a row refuse every code for
    LOCK_MINUTES, so that six digits cannot be guessed by trying them all."""
    user = _user(session, principal)
    if not user.totp_secret:
        return SecondFactorVerdict(True)
    # The row is read again under a lock: two sign-ins at once must not both spend the
    # same code, nor count two wrong codes as one.
    user = session.get(UserRow, user.id, with_for_update=True, populate_existing=True)
    code = (code or "").replace(" ", "")
    if not code:
        return SecondFactorVerdict(
            False, "this user signs in with a second factor: give the 6-digit code", "missing"
        )
    if not _SIX_DIGITS.fullmatch(code):
        code = ""  # counted as a wrong code below (no digit but 0-9 is ever a TOTP code)
    locked = user.totp_locked_until
    if locked is not None and as_utc(locked) > now:
        return SecondFactorVerdict(
            False, f"too many wrong codes: try again after {as_utc(locked):%H:%M} UTC", "locked"
        )
    step = _matching_step(user.totp_secret, code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        user.totp_failures = (user.totp_failures or 0) + 1
        if user.totp_failures >= MAX_WRONG_CODES:
            until = now + timedelta(minutes=LOCK_MINUTES)
            user.totp_failures, user.totp_locked_until = 0, until
            session.flush()
            return SecondFactorVerdict(
                False, f"too many wrong codes: try again after {until:%H:%M} UTC", "locked"
            )
        session.flush()
        if step is not None:
            return SecondFactorVerdict(
                False, "this code was used already: wait for the next one", "used"
            )
        return SecondFactorVerdict(
            False, "the 6-digit code is wrong or has expired: use the current one", "wrong"
        )
    user.totp_last_step, user.totp_failures, user.totp_locked_until = step, 0, None
    session.flush()
    return SecondFactorVerdict(True)


_SIX_DIGITS = re.compile(r"[0-9]{6}")


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is, within the allowed drift, or None."""
    if not code:
        return None
    totp = pyotp.TOTP(secret)
    for drift in range(-CLOCK_DRIFT_STEPS, CLOCK_DRIFT_STEPS + 1):
        moment = now + timedelta(seconds=drift * totp.interval)
        if hmac.compare_digest(totp.at(moment), code):
            return totp.timecode(moment)
    return None


def enable_second_factor(session: Session, username: str) -> tuple[str, str]:
    """Give a user a new TOTP secret; returns (secret, otpauth URI for a QR code)."""
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        raise InvalidInput(f"unknown user {username!r}")
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_last_step, user.totp_failures, user.totp_locked_until = None, 0, None
    session.flush()
    return secret, pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def disable_second_factor(session: Session, username: str) -> None:
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        raise InvalidInput(f"unknown user {username!r}")
    user.totp_secret = None
    user.totp_last_step, user.totp_failures, user.totp_locked_until = None, 0, None
    session.flush()


def open_web_session(session: Session, principal: Principal, now: datetime) -> str:
    """A web session: a token kept in the signed cookie, audited as every sign-in is."""
    return issue_token(
        session, principal, "web session", now=now, lifetime=timedelta(hours=WEB_SESSION_HOURS)
    )


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
