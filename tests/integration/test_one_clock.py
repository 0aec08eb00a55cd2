"""One clock: the timestamps the database fills in by default come from the app's clock,
never from the wall clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from judicare.app import FixedClock, create_app
from judicare.auth.service import create_user, ensure_authority
from judicare.db.base import as_utc
from judicare.settings import Settings
from tests.conftest import TODAY


def _new_user(session, username: str):
    ensure_authority(session, "CLOCK-TEST", "NLD", "test")
    user = create_user(session, username=username, password="a long test password 1",
                       role="officer", authority_id="CLOCK-TEST")  # fmt: skip
    session.flush()
    return user


def test_a_default_timestamp_is_the_apps_moment(app):
    with app.unit_of_work() as uow:
        assert as_utc(_new_user(uow.session, "t.clock").created_at).date() == TODAY
        uow.commit()


def test_another_apps_clock_dates_its_own_rows(database_url, app):
    app.dispose()
    later = create_app(
        Settings(database_url=database_url, environment="test"),
        clock=FixedClock(date(2031, 1, 2)),
    )
    try:
        with later.unit_of_work() as uow:
            user = _new_user(uow.session, "t.later")
            uow.commit()
            assert as_utc(user.created_at).date() == date(2031, 1, 2)
    finally:
        later.dispose()
