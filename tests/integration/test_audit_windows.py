"""An authority's auditor reads the trail in windows of sequence numbers on PostgreSQL
(`audit.service._in_windows`: the monthly partitions each built the reader's subqueries
before the first row, 12 s a page at 100,000 requests): the same entries, in the same order,
as one statement, whatever the page, the filters and the order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from judicare.audit import service as audit
from judicare.audit.models import AuditEventRow

ACTORS = ("own.officer", "own.auditor", "other.officer")
START = datetime(2026, 1, 1, tzinfo=UTC)


def _fill(app) -> None:
    """60 entries over five months, by three actors, about three requests."""
    with app.unit_of_work() as uow:
        for n in range(60):
            audit.record(uow.session, actor=ACTORS[n % 3], action=audit.AuditAction.CONSULTATION,
                         tag="officer:request:read", subject_type="request",
                         subject_id=str(n % 4), why="a test",
                         at=START + timedelta(days=2 * n))  # fmt: skip
        uow.commit()


def _one_statement(session, within, *, newest_first, offset, limit, **where) -> list[int]:
    query = select(AuditEventRow.seq).where(within)
    for column, value in where.items():
        query = query.where(getattr(AuditEventRow, column) == value)
    order = AuditEventRow.seq.desc() if newest_first else AuditEventRow.seq
    return list(session.scalars(query.order_by(order).offset(offset).limit(limit)))


CASES = [  # (newest first, offset, limit, filters)
    (True, 0, 5, {}),
    (True, 7, 5, {}),
    (True, 0, 100, {}),
    (False, 0, 5, {}),
    (False, 11, 9, {}),
    (True, 3, 4, {"subject_id": "2"}),
    (False, 0, 50, {"subject_id": "3"}),
    (True, 0, 5, {"actor": "other.officer"}),  # outside `within`: nothing
    (True, 40, 10, {}),  # past the end
]


@pytest.mark.parametrize(("newest_first", "offset", "limit", "where"), CASES)
def test_the_windows_read_what_one_statement_reads(app, monkeypatch, newest_first, offset,
                                                    limit, where):  # fmt: skip
    monkeypatch.setattr(audit, "FIRST_WINDOW", 2)  # many windows over 60 entries
    _fill(app)
    within = AuditEventRow.actor.in_(ACTORS[:2])
    with app.unit_of_work() as uow:
        expected = _one_statement(uow.session, within, newest_first=newest_first,
                                  offset=offset, limit=limit, **where)  # fmt: skip
        read = audit.list_events(uow.session, within=within, newest_first=newest_first,
                                 offset=offset, limit=limit, **where)  # fmt: skip
    assert [e["seq"] for e in read] == expected
    if not where and offset == 0 and limit == 100:
        assert len(expected) == 40  # two actors of three, 20 entries each


def test_an_empty_trail_reads_nothing(app):
    with app.unit_of_work() as uow:
        within = AuditEventRow.actor.in_(ACTORS[:2])
        assert audit.list_events(uow.session, within=within, newest_first=True) == []


@pytest.mark.postgres
def test_the_apps_postgresql_connections_do_not_compile_statements(postgres_database):
    """JIT off (`db.engine.make_engine`): the auditor's page spent 8 s of 12.7 s compiling."""
    from sqlalchemy import text

    from judicare.db.engine import make_engine

    for read_only in (False, True):
        engine = make_engine(postgres_database, read_only=read_only)
        with engine.connect() as connection:
            assert connection.execute(text("SHOW jit")).scalar() == "off"
            read_only_setting = connection.execute(text("SHOW default_transaction_read_only"))
            assert read_only_setting.scalar() == ("on" if read_only else "off")
        engine.dispose()


@pytest.mark.postgres
def test_the_urls_own_options_are_kept_beside_the_apps(postgres_database):
    """A URL that asks for its own settings (the replica drill's writes that must not wait
    for the standby) keeps them: the driver takes one `options`, and the app's must not
    replace the URL's."""
    from sqlalchemy import text

    from judicare.db.engine import make_engine

    engine = make_engine(postgres_database + "?options=-csynchronous_commit%3Dlocal")
    with engine.connect() as connection:
        assert connection.execute(text("SHOW synchronous_commit")).scalar() == "local"
        assert connection.execute(text("SHOW jit")).scalar() == "off"
    engine.dispose()
