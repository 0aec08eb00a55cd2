"""The audit trail partitioned by month on PostgreSQL (migration 0036, issue 22): months
are created ahead (`judicare audit partitions`), an entry of a month without a partition
lands in the default partition rather than being refused, every partition is append-only
and cannot be truncated, the chain verifies across partitions, and the migration goes back
to one table."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from judicare.app import FixedClock, create_app
from judicare.audit.partitions import ensure_partitions
from judicare.audit.service import AuditAction, record
from judicare.bootstrap import upgrade_database
from judicare.cli import app as cli
from judicare.db import migrate
from judicare.settings import Settings
from tests.conftest import TODAY, _create_postgres_database, _drop_postgres_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def partitioned(tmp_path):
    url = _create_postgres_database()
    app = create_app(Settings(database_url=url, environment="test", data_dir=tmp_path),
                     clock=FixedClock(TODAY))  # fmt: skip
    try:
        upgrade_database(app)
        yield app, url
    finally:
        app.dispose()
        _drop_postgres_database(url)


def _entry(app, at: datetime) -> str:
    """Record one entry dated `at`; the partition it landed in."""
    with app.unit_of_work() as uow:
        row = record(uow.session, actor="system", action=AuditAction.ALTERATION,
                     tag="system:audit:partition_test", subject_type="test", subject_id="1",
                     why="partition test", at=at)  # fmt: skip
        uow.commit()
    with app.engine.connect() as connection:
        return connection.execute(
            text("SELECT tableoid::regclass::text FROM audit_events WHERE seq = :seq"),
            {"seq": row.seq},
        ).scalar_one()


def test_months_are_created_ahead_and_an_unplanned_month_is_kept_not_refused(partitioned):
    app, url = partitioned
    with app.engine.connect() as connection:
        kind = connection.execute(
            text("SELECT relkind::text FROM pg_class WHERE relname = 'audit_events'")
        ).scalar_one()
    assert kind == "p"
    with app.engine.begin() as connection:
        made = ensure_partitions(connection, date(2031, 12, 9), ahead=1)
    assert [(m.month, m.table) for m in made] == [
        ("2031-12", "audit_events_2031_12"), ("2032-01", "audit_events_2032_01")
    ]  # fmt: skip
    assert _entry(app, datetime(2031, 12, 31, 23, 59, tzinfo=UTC)) == "audit_events_2031_12"
    assert _entry(app, datetime(2032, 1, 1, tzinfo=UTC)) == "audit_events_2032_01"
    # A month nobody created: the entry is kept in the default partition; that month's
    # partition can no longer be made, and saying so is the answer.
    assert _entry(app, datetime(2040, 3, 5, tzinfo=UTC)) == "audit_events_default"
    with app.engine.begin() as connection:
        (late,) = ensure_partitions(connection, date(2040, 3, 1), ahead=0)
    assert late.table is None

    for statement in ("UPDATE audit_events_2031_12 SET why = 'nothing'",
                      "DELETE FROM audit_events_2032_01",
                      "DELETE FROM audit_events_default",
                      "TRUNCATE audit_events_2031_12",
                      "TRUNCATE audit_events_default",
                      "TRUNCATE audit_events"):  # fmt: skip
        with pytest.raises(DBAPIError, match="append-only"), app.engine.begin() as connection:
            connection.execute(text(statement))

    runner = CliRunner()
    verified = runner.invoke(cli, ["audit", "verify", "--db", url, "--json"],
                             catch_exceptions=False)  # fmt: skip
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["valid"]
    made = runner.invoke(cli, ["audit", "partitions", "--db", url, "--ahead", "1", "--json"],
                         catch_exceptions=False)  # fmt: skip
    assert made.exit_code == 0, made.output
    answer = json.loads(made.stdout)
    assert len(answer["partitions"]) == 2 and answer["default_partition_entries"] == 1


def test_the_migration_goes_back_to_one_table_with_the_trail_intact(partitioned):
    app, url = partitioned
    _entry(app, datetime(2031, 12, 9, tzinfo=UTC))
    with app.engine.connect() as connection:
        before = connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    migrate.downgrade(app.engine, "0029")
    with app.engine.connect() as connection:
        kind = connection.execute(
            text("SELECT relkind::text FROM pg_class WHERE relname = 'audit_events'")
        ).scalar_one()
        after = connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    assert kind == "r" and after == before
    with pytest.raises(DBAPIError, match="append-only"), app.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events"))
    migrate.upgrade(app.engine)
    verified = CliRunner().invoke(cli, ["audit", "verify", "--db", url, "--json"],
                                  catch_exceptions=False)  # fmt: skip
    assert verified.exit_code == 0, verified.output
