"""Shared fixtures. Storage tests take the `app` fixture, which runs each test twice: on an
embedded SQLite file and on the local PostgreSQL server. With CI=true an unreachable
PostgreSQL fails the run instead of skipping it."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from judicare.app import FixedClock, create_app
from judicare.bootstrap import upgrade_database
from judicare.settings import Settings

TODAY = date(2026, 11, 23)
POSTGRES_ADMIN_URL = os.environ.get(
    "JUDICARE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def pytest_addoption(parser):
    parser.addoption(
        "--wall-clock-ahead-days",
        type=int,
        default=0,
        help="Move the wall clock this many days ahead for the whole run (time-machine), to "
        "prove that no test depends on today's date: time must come from the app's clock.",
    )


@pytest.fixture(scope="session", autouse=True)
def _wall_clock_moved(request):
    """With --wall-clock-ahead-days N, every test of this process sees a wall clock N days
    ahead (it keeps ticking); the app's clock, fixed at TODAY in tests, does not move."""
    days = request.config.getoption("--wall-clock-ahead-days")
    if not days:
        yield
        return
    import time_machine

    with time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True):
        yield


@pytest.fixture(scope="session", autouse=True)
def _session_node_keys_dir(tmp_path_factory):
    """Keys and signed audit checkpoints go to a throw-away directory, never to var/: a
    node's checkpoint journal belongs to its database, and tests make many databases."""
    previous = os.environ.get("JUDICARE_NODE_KEYS_DIR")
    os.environ["JUDICARE_NODE_KEYS_DIR"] = str(tmp_path_factory.mktemp("session-node-keys"))
    yield
    if previous is None:
        os.environ.pop("JUDICARE_NODE_KEYS_DIR", None)
    else:
        os.environ["JUDICARE_NODE_KEYS_DIR"] = previous


@pytest.fixture(autouse=True)
def node_keys_dir(tmp_path, monkeypatch):
    """Each test its own key directory (so its own audit checkpoint journals): PostgreSQL
    tests reuse one database name, and a journal left by an earlier test would rightly
    report the fresh database as a truncated trail. The app and CLI commands of the test
    read it from JUDICARE_NODE_KEYS_DIR."""
    path = tmp_path / "node-keys"
    monkeypatch.setenv("JUDICARE_NODE_KEYS_DIR", str(path))
    return path


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def postgres_database():
    """A throw-away PostgreSQL database for this test session (one per xdist worker)."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"judicare_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {exc.orig}"
        if _in_ci():
            pytest.fail(f"{message} (CI=true: PostgreSQL tests must run, not skip)")
        pytest.skip(message)
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'judicare.db'}"
    url = request.getfixturevalue("postgres_database")
    _reset_postgres(url)
    return url


@pytest.fixture
def empty_app(database_url):
    """An app on an empty database (no schema yet)."""
    app = create_app(
        Settings(database_url=database_url, environment="test"), clock=FixedClock(TODAY)
    )
    yield app
    app.dispose()


@pytest.fixture(scope="session")
def _upgraded_sqlite_template(tmp_path_factory):
    """Migrating and loading reference data takes a moment; SQLite tests copy one file."""
    path = tmp_path_factory.mktemp("template") / "judicare.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", environment="test"))
    upgrade_database(app)
    app.dispose()
    return path


@pytest.fixture
def app(database_url, request, tmp_path):
    """An app on a migrated database with the reference data loaded."""
    if database_url.startswith("sqlite"):
        import shutil

        template = request.getfixturevalue("_upgraded_sqlite_template")
        shutil.copy(template, tmp_path / "judicare.db")
    judicare = create_app(
        Settings(database_url=database_url, environment="test"), clock=FixedClock(TODAY)
    )
    if not database_url.startswith("sqlite"):
        upgrade_database(judicare)
    yield judicare
    judicare.dispose()


def _create_postgres_database() -> str:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"judicare_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        message = f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable: {exc.orig}"
        if _in_ci():
            pytest.fail(f"{message} (CI=true: PostgreSQL tests must run, not skip)")
        pytest.skip(message)
    finally:
        admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_postgres_database(url: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def shared_database_url(request, tmp_path_factory):
    """A database shared by the API test modules of one worker, on SQLite and PostgreSQL.
    Those tests only add requests and check relative to what they added."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('module') / 'judicare.db'}"
        return
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


@pytest.fixture(scope="session")
def demo_api(shared_database_url):
    from tests.integration.api_support import build_demo_api

    demo = build_demo_api(shared_database_url)
    yield demo
    demo.app.dispose()
