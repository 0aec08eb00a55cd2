"""Checking a password at sign-in: throttled, bounded, and the same for unknown names.

The order matters. (1) A read-only look at the throttles refuses a locked account or
address at once, before anything waits. (2) A slot among a few concurrent argon2 checks is
taken, or the attempt is refused with 503 after a short wait: an unauthenticated flood can
occupy at most `slots` CPUs with hashing, and never queues without bound. (3) The attempt is
counted and committed before the password is checked, so parallel guesses cannot all slip
under the threshold. (4) The password is checked, against a dummy hash for an unknown name.
(5) Only a correct password for an active user takes the count back.

This is a use case over several transactions (the count must be committed before the
check), so it opens its own units of work, like the document upload does.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import select

from judicare.app import App
from judicare.auth.models import UserRow
from judicare.auth.passwords import verify_or_waste
from judicare.auth.permissions import Principal, Unauthenticated
from judicare.auth.service import principal_of
from judicare.auth.throttle import (
    ThrottlePolicy,
    account_key,
    attempt_succeeded,
    audit_lockouts,
    check_not_locked,
    reserve_attempt,
    source_key,
)
from judicare.errors import JudicareError


class VerifierBusy(JudicareError):
    """Every password-check slot is taken: try again in a moment."""

    code = "busy"
    exit_code = 4
    http_status = 503

    def __init__(self) -> None:
        super().__init__("too many sign-ins at this moment: try again in a second")
        self.headers = {"Retry-After": "1"}


class PasswordGate:
    """At most `slots` argon2 checks at once in this process; waiting at most `wait`."""

    def __init__(self, slots: int, wait_seconds: float) -> None:
        self.slots = slots
        self.wait_seconds = wait_seconds
        self._semaphore = threading.BoundedSemaphore(slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._semaphore.acquire(timeout=self.wait_seconds):
            raise VerifierBusy()
        try:
            yield
        finally:
            self._semaphore.release()


@dataclass
class SignIn:
    app: App
    policy: ThrottlePolicy
    gate: PasswordGate = field(repr=False)

    @classmethod
    def for_app(cls, app: App) -> SignIn:
        settings = app.settings
        slots = settings.login_concurrent_verifications or os.cpu_count() or 1
        return cls(
            app,
            ThrottlePolicy.from_settings(settings),
            PasswordGate(slots, settings.login_verify_wait_seconds),
        )

    def check(self, username: str, password: str, source: str) -> Principal:
        """The principal whose password this is, or Unauthenticated (wrong name or password,
        or inactive user: one message for all), TooManyAttempts (429) or VerifierBusy (503)."""
        app = self.app
        keys = (account_key(username), source_key(source))
        with app.unit_of_work() as uow:
            check_not_locked(uow.session, keys, app.now())
        with self.gate.slot():
            attempted_at = app.now()
            with app.unit_of_work() as uow:
                reserve_attempt(uow.session, keys, attempted_at, self.policy)
                uow.commit()
            with app.unit_of_work() as uow:
                user = uow.session.scalar(select(UserRow).where(UserRow.username == username))
                stored = user.password_hash if user else None
                who = principal_of(user) if user is not None and user.active else None
            right = verify_or_waste(stored, password)
        if not right or who is None:
            with app.unit_of_work() as uow:
                audit_lockouts(uow.session, keys, attempted_at)
                uow.commit()
            raise Unauthenticated("wrong user name or password")
        with app.unit_of_work() as uow:
            attempt_succeeded(uow.session, keys, self.policy)
            uow.commit()
        return who


def client_address(request) -> str:
    """The address a request came from, as the server saw it (behind a reverse proxy, run
    uvicorn with --proxy-headers and --forwarded-allow-ips so that this is the client's)."""
    client = getattr(request, "client", None)
    return client.host if client is not None else "unknown"
