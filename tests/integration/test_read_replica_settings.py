"""The read replica's settings: a replica that does not answer sends pages to the primary,
and a read URL that is not PostgreSQL is refused at start-up with what to do."""

from __future__ import annotations

import pytest

from judicare.app import FixedClock, create_app
from judicare.db.freshness import Fallback, ReadFrom
from judicare.settings import Settings
from tests.conftest import TODAY
from tests.serving import free_port


def test_an_unreachable_replica_sends_reads_to_the_primary(tmp_path):
    replica = f"postgresql://postgres@127.0.0.1:{free_port()}/judicare"  # nothing listens
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}", read_database_url=replica,
                 environment="test", read_max_lag_seconds=5),
        clock=FixedClock(TODAY),
    )  # fmt: skip
    try:
        uow, freshness = app.reading()
        assert freshness.source is ReadFrom.PRIMARY
        assert freshness.fallback is Fallback.UNREACHABLE
        with uow:
            assert uow.session.get_bind() is app.engine
        assert app.reading(writes=True)[1].fallback is Fallback.WRITES
    finally:
        app.dispose()


def test_without_a_replica_pages_read_the_primary_and_say_nothing(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}", environment="test"),
                     clock=FixedClock(TODAY))  # fmt: skip
    try:
        _, freshness = app.reading()
        assert freshness.source is ReadFrom.PRIMARY and freshness.fallback is Fallback.NONE
    finally:
        app.dispose()


def test_a_read_url_that_is_not_postgresql_is_refused(tmp_path):
    with pytest.raises(ValueError, match="is not PostgreSQL: a read replica is a PostgreSQL"):
        Settings(database_url=f"sqlite:///{tmp_path / 'j.db'}", environment="test",
                 read_database_url=f"sqlite:///{tmp_path / 'r.db'}")  # fmt: skip
