"""Limits on guessing passwords (NIST SP 800-63B 5.2.2, rate limiting).

Failed sign-ins are counted in the database, so that every process of a node shares them:
per account name (known or not, so that a lockout tells nothing about which names exist)
and per source address. After `account_threshold` wrong passwords in a row for an account,
or `source_threshold` failures from one address within `source_window`, further attempts
are refused without looking at the password for a lockout that starts at `lockout_base`
and doubles with each further failure, up to `lockout_max`. After `account_max_failures`
in a row (NIST's outer bound is 100) the account stays locked until an administrator sets
its password or activates it again. A correct password resets the account's count.

An attempt is counted *before* its password is checked (and the count taken back if the
password was right): two hundred guesses sent at once cannot all slip under the threshold
while the first ones are being checked. Services never commit; `judicare.auth.sign_in`
commits the count before checking the password.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.models import LoginThrottleRow
from judicare.db.base import as_utc
from judicare.errors import JudicareError
from judicare.settings import Settings

FOREVER = datetime(9999, 12, 31, tzinfo=UTC)


class TooManyAttempts(JudicareError):
    """Sign-ins refused for a while; `retry_after` (seconds) goes into Retry-After."""

    code = "too_many_attempts"
    exit_code = 4
    http_status = 429

    def __init__(self, message: str, retry_after: int, scope: str, until_reset=False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.scope = scope  # "account" or "source"
        self.until_reset = until_reset  # locked until an administrator acts
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    account_threshold: int = 5
    source_threshold: int = 20
    source_window: timedelta = timedelta(minutes=15)
    lockout_base: timedelta = timedelta(minutes=1)
    lockout_max: timedelta = timedelta(hours=1)
    account_max_failures: int = 100

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottlePolicy:
        return cls(
            account_threshold=settings.login_account_threshold,
            source_threshold=settings.login_source_threshold,
            source_window=timedelta(seconds=settings.login_source_window_seconds),
            lockout_base=timedelta(seconds=settings.login_lockout_base_seconds),
            lockout_max=timedelta(seconds=settings.login_lockout_max_seconds),
            account_max_failures=settings.login_account_max_failures,
        )

    def lockout(self, failures: int, threshold: int) -> timedelta:
        """The wait after `failures` (>= threshold): base, doubled per further failure."""
        doublings = min(failures - threshold, 30)
        return min(self.lockout_base * (2**doublings), self.lockout_max)


def account_key(username: str) -> str:
    return "account:" + username[:180]


def source_key(address: str) -> str:
    return "source:" + (address or "unknown")[:180]


def check_not_locked(session: Session, keys: tuple[str, str], now: datetime) -> None:
    """Refuse at once, reading only, when the account or the source is locked: a flood of
    throttled attempts never waits for a password check."""
    rows = session.scalars(select(LoginThrottleRow).where(LoginThrottleRow.key.in_(keys)))
    for row in rows:
        _refuse_if_locked(row, now)


def reserve_attempt(
    session: Session, keys: tuple[str, str], now: datetime, policy: ThrottlePolicy
) -> None:
    """Count one attempt against the account and the source (under row locks), or raise
    TooManyAttempts without counting when either is locked."""
    account, source = (_locked_row(session, key) for key in keys)
    _refuse_if_locked(account, now)
    _refuse_if_locked(source, now)
    if source.last_failure_at is not None and now - as_utc(source.last_failure_at) > (
        policy.source_window
    ):
        source.failures = 0  # the address's earlier failures are old: a new window
    for row, threshold in ((account, policy.account_threshold), (source, policy.source_threshold)):
        row.failures = (row.failures or 0) + 1
        row.last_failure_at = now
        if row.failures >= threshold:
            row.locked_until = now + policy.lockout(row.failures, threshold)
    if account.failures >= policy.account_max_failures:
        account.locked_until = FOREVER
    session.flush()


def audit_lockouts(session: Session, keys: tuple[str, str], attempted_at: datetime) -> None:
    """After a wrong password: each lockout that this attempt (counted at `attempted_at`)
    started goes into the audit trail. One entry per lockout, never one per guess, so that
    a flood of guesses cannot bury the trail: attempts during a lockout are refused before
    they are counted."""
    rows = session.scalars(select(LoginThrottleRow).where(LoginThrottleRow.key.in_(keys)))
    for row in rows:
        started_now = row.last_failure_at is not None and as_utc(row.last_failure_at) == (
            attempted_at
        )
        if started_now and row.locked_until is not None and as_utc(row.locked_until) > attempted_at:
            _audit_lockout(session, row, attempted_at)


def _audit_lockout(session: Session, row: LoginThrottleRow, now: datetime) -> None:
    scope, name = row.key.split(":", 1)
    until = as_utc(row.locked_until)
    record(
        session,
        actor="node:sign-in",
        action=AuditAction.COLLECTION,
        tag=f"account:sign-in:locked-{scope}",
        subject_type=scope,
        subject_id=name,
        why=f"{row.failures} failed sign-ins",
        at=now,
        details={
            "failures": row.failures,
            "until": "an administrator's reset" if until == FOREVER else until.isoformat(),
        },
    )


def attempt_succeeded(session: Session, keys: tuple[str, str], policy: ThrottlePolicy) -> None:
    """The password was right: the account starts afresh, and the source's count is taken
    back (the attempt reserved for it was not a failure)."""
    account, source = keys
    session.execute(delete(LoginThrottleRow).where(LoginThrottleRow.key == account))
    row = session.get(LoginThrottleRow, source, with_for_update=True, populate_existing=True)
    if row is not None:
        row.failures = max((row.failures or 0) - 1, 0)
        if row.failures < policy.source_threshold:
            row.locked_until = None
    session.flush()


def clear_account(session: Session, username: str) -> None:
    """Lift an account's lockout (an administrator set its password or activated it)."""
    session.execute(delete(LoginThrottleRow).where(LoginThrottleRow.key == account_key(username)))


def _locked_row(session: Session, key: str) -> LoginThrottleRow:
    """The row for `key`, created if missing, locked until the transaction ends (SQLite
    transactions hold the write lock from their start)."""
    dialect = session.get_bind().dialect.name
    maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        maker(LoginThrottleRow)
        .values(key=key, failures=0)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return session.get(LoginThrottleRow, key, with_for_update=True, populate_existing=True)


def _refuse_if_locked(row: LoginThrottleRow, now: datetime) -> None:
    if row.locked_until is None or as_utc(row.locked_until) <= now:
        return
    scope = row.key.split(":", 1)[0]
    if as_utc(row.locked_until).year == FOREVER.year:
        raise TooManyAttempts(
            "too many wrong passwords: this account is locked until an administrator "
            "sets its password",
            24 * 3600,
            scope,
            until_reset=True,
        )
    wait = max(1, math.ceil((as_utc(row.locked_until) - now).total_seconds()))
    what = "for this account" if scope == "account" else "from this address"
    raise TooManyAttempts(
        f"too many failed sign-ins {what}: try again in {wait} seconds", wait, scope
    )
