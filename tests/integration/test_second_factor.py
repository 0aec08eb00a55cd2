"""The TOTP second factor on SQLite and PostgreSQL: a code is spent once, even by two
sign-ins at the same moment, and wrong codes in a row lock codes out for a while."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pyotp

from judicare.auth.second_factor import (
    LOCK_MINUTES,
    MAX_WRONG_CODES,
    check_second_factor,
    enable_second_factor,
)
from judicare.auth.service import create_user, ensure_authority, principal_of

NOW = datetime(2026, 12, 3, 9, 0, 10, tzinfo=UTC)


def _user_with_code(app):
    with app.unit_of_work() as uow:
        ensure_authority(uow.session, "BEL-CA", "BEL", "test")
        who = principal_of(create_user(uow.session, username="totp.user", password="x" * 12,
                                       role="officer", authority_id="BEL-CA"))  # fmt: skip
        secret, _ = enable_second_factor(uow.session, "totp.user")
        uow.commit()
    return who, secret


def test_two_sign_ins_at_once_cannot_both_spend_one_code(app):
    who, secret = _user_with_code(app)
    code = pyotp.TOTP(secret).at(NOW)
    verdicts = []
    first = app.unit_of_work().__enter__()
    verdicts.append(check_second_factor(first.session, who, code, NOW))  # holds the row

    def second() -> None:
        with app.unit_of_work() as uow:
            verdicts.append(check_second_factor(uow.session, who, code, NOW))
            uow.commit()

    racer = threading.Thread(target=second)
    racer.start()
    racer.join(timeout=0.5)
    assert racer.is_alive()  # waits for the first sign-in's transaction
    first.commit()
    first.__exit__(None, None, None)
    racer.join(timeout=30)
    assert [(v.accepted, v.code) for v in verdicts] == [(True, ""), (False, "used")]


def test_wrong_codes_in_a_row_lock_codes_out_then_the_lock_ends(app):
    who, secret = _user_with_code(app)
    for n in range(1, MAX_WRONG_CODES + 1):
        with app.unit_of_work() as uow:
            verdict = check_second_factor(uow.session, who, "000000", NOW)
            uow.commit()
        assert verdict.code == ("locked" if n == MAX_WRONG_CODES else "wrong")
    later = NOW + timedelta(seconds=60)
    with app.unit_of_work() as uow:
        right = pyotp.TOTP(secret).at(later)
        assert check_second_factor(uow.session, who, right, later).code == "locked"
    after = NOW + timedelta(minutes=LOCK_MINUTES, seconds=30)
    with app.unit_of_work() as uow:
        verdict = check_second_factor(uow.session, who, pyotp.TOTP(secret).at(after), after)
        uow.commit()
    assert verdict.accepted
