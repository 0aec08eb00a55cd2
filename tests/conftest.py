"""Shared fixtures. Storage tests take the `app` fixture, which runs each test twice: on an
embedded SQLite file and on the local PostgreSQL server. With CI=true an unreachable
PostgreSQL fails the run instead of skipping it."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
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
    """An empty database, or, for a test that takes the `app` fixture, the worker's migrated
    PostgreSQL database put back as it was just after the migration (see `_PristinePostgres`)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'judicare.db'}"
    if "app" in request.fixturenames:
        pristine = request.getfixturevalue("_pristine_postgres")
        pristine.restore()
        return pristine.url
    url = request.getfixturevalue("postgres_database")
    _reset_postgres(url)
    return url


# The schema as the tests may change it (columns, indexes, constraints, triggers, functions):
# when it differs from the migrated one, the database is rebuilt instead of restored.
_SCHEMA_FINGERPRINT = """
SELECT md5(coalesce(string_agg(item, ',' ORDER BY item), '')) FROM (
  SELECT 'col:' || table_name || '.' || column_name || ':' || data_type AS item
    FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL SELECT 'idx:' || indexname FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT 'con:' || conname FROM pg_constraint c
    JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'
  UNION ALL SELECT 'trg:' || t.tgname || ':' || t.tgenabled::text FROM pg_trigger t
    JOIN pg_class r ON r.oid = t.tgrelid JOIN pg_namespace n ON n.oid = r.relnamespace
    WHERE n.nspname = 'public' AND NOT t.tgisinternal
  UNION ALL SELECT 'fn:' || p.proname || ':' || md5(p.prosrc) FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
) AS schema_items
"""


class _PristinePostgres:
    """One migrated PostgreSQL database per worker, with a copy of every table as the
    migration left it in a schema `pristine`. Before each test that takes `app`, the tables
    are emptied and refilled from that copy and the sequences set back: a fraction of the
    cost of migrating (or of DROP DATABASE, which forces a checkpoint). A test that changed
    the schema itself gets a freshly migrated database instead."""

    def __init__(self, url: str, build: Callable[[str], object] | None = None) -> None:
        """`url`: a database just migrated (a copy of `_migrated_postgres_template`);
        `build(url)`, if given, adds what the tests start from (its answer is `built`)."""
        self.url = url
        self.engine = create_engine(url)
        self.build = build
        self._snapshot(migrate=False)

    def _snapshot(self, migrate: bool = True) -> None:
        if migrate:
            app = create_app(
                Settings(database_url=self.url, environment="test"), clock=FixedClock(TODAY)
            )
            upgrade_database(app)
            app.dispose()
        self.built = self.build(self.url) if self.build else None
        with self.engine.begin() as connection:
            self.tables = (
                connection.execute(
                    # A partitioned table is copied through its parent, never its partitions
                    # (the audit trail, migration 0036): else each row would come back twice.
                    text(
                        "SELECT c.relname FROM pg_class c JOIN pg_namespace n "
                        "ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
                        "AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1"
                    )
                )
                .scalars()
                .all()
            )
            connection.execute(text("DROP SCHEMA IF EXISTS pristine CASCADE"))
            connection.execute(text("CREATE SCHEMA pristine"))
            for table in self.tables:
                connection.execute(
                    text(f'CREATE TABLE pristine."{table}" AS TABLE public."{table}"')
                )
            self.filled = [
                table for table in self.tables
                if connection.execute(text(f'SELECT EXISTS (SELECT 1 FROM public."{table}")')).scalar()
            ]  # fmt: skip
            self.sequences = [
                (name, connection.execute(text(f'SELECT last_value, is_called FROM public."{name}"')).one())
                for name in connection.execute(text(
                    "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
                )).scalars()
            ]  # fmt: skip
            self.fingerprint = connection.execute(text(_SCHEMA_FINGERPRINT)).scalar()

    def restore(self) -> None:
        with self.engine.begin() as connection:
            if connection.execute(text(_SCHEMA_FINGERPRINT)).scalar() != self.fingerprint:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
                rebuild = True
            else:
                rebuild = False
                # Replica mode: the audit trail's triggers (append only, no TRUNCATE) and the
                # foreign keys stay silent while the copy is put back.
                connection.execute(text("SET LOCAL session_replication_role = replica"))
                # DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE gives each of
                # the tables a new file (ten times slower here).
                for table in self.tables:
                    connection.execute(text(f'DELETE FROM public."{table}"'))
                for table in self.filled:
                    connection.execute(text(
                        f'INSERT INTO public."{table}" OVERRIDING SYSTEM VALUE '
                        f'SELECT * FROM pristine."{table}"'
                    ))  # fmt: skip
                for name, (value, called) in self.sequences:
                    connection.execute(
                        text("SELECT setval(:name, :value, :called)"),
                        {"name": f'public."{name}"', "value": value, "called": called},
                    )
        if rebuild:
            self._snapshot()

    def dispose(self) -> None:
        self.engine.dispose()


def _pristine_database(_migrated_postgres_template):
    url = _copy_postgres(_migrated_postgres_template)
    pristine = _PristinePostgres(url)
    yield pristine
    pristine.dispose()
    _drop_postgres_database(url)


# The `app` fixture's database, and the two nodes' databases of the exchange tests (`pair`).
_pristine_postgres = pytest.fixture(scope="session", name="_pristine_postgres")(_pristine_database)
_pristine_first_node = pytest.fixture(scope="session", name="_pristine_first_node")(
    _pristine_database
)
_pristine_second_node = pytest.fixture(scope="session", name="_pristine_second_node")(
    _pristine_database
)


@pytest.fixture
def migrated_database_url(app) -> str:
    """The URL of a migrated database with the reference data loaded (the `app` fixture's),
    for tests that drive the CLI: a command on an empty database would migrate it first."""
    return app.settings.effective_database_url


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
    app = create_app(
        Settings(database_url=f"sqlite:///{path}", environment="test"), clock=FixedClock(TODAY)
    )
    upgrade_database(app)
    app.dispose()
    return path


@pytest.fixture
def app(database_url, request, tmp_path):
    """An app on a migrated database with the reference data loaded, never migrated per
    test: a copy of the session's migrated file on SQLite, the worker's migrated database
    put back as the migration left it on PostgreSQL (`database_url`)."""
    if database_url.startswith("sqlite"):
        template = request.getfixturevalue("_upgraded_sqlite_template")
        shutil.copy(template, tmp_path / "judicare.db")
    judicare = create_app(
        Settings(database_url=database_url, environment="test"), clock=FixedClock(TODAY)
    )
    if (
        not database_url.startswith("sqlite")
        and database_url != request.getfixturevalue("_pristine_postgres").url
    ):
        upgrade_database(judicare)  # asked for by name at run time: `database_url` is empty
    yield judicare
    judicare.dispose()


@pytest.fixture(scope="session")
def _migrated_postgres_template():
    """One migrated PostgreSQL database per worker, copied (CREATE DATABASE ... TEMPLATE)
    into the worker's restorable databases (`_PristinePostgres`) and for the few tests that
    need a migrated database of their own: much faster than migrating each time."""
    url = _create_postgres_database()
    app = create_app(Settings(database_url=url, environment="test"), clock=FixedClock(TODAY))
    upgrade_database(app)
    app.dispose()
    yield url
    _drop_postgres_database(url)


def _copy_postgres(template_url: str) -> str:
    """A new database, a copy of `template_url` (which no one may be connected to)."""
    name = f"judicare_test_{uuid.uuid4().hex[:12]}"
    _admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_url.rsplit("/", 1)[1]}"')
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def _built_templates(tmp_path_factory):
    """Databases built once per session (and worker) by a recipe, per backend: see
    `built_database`."""
    templates: dict = {}
    yield templates
    for template in templates.values():
        if isinstance(template, _PristinePostgres):
            template.dispose()
            _drop_postgres_database(template.url)


def built_database(request, database_url: str, name: str, build: Callable[[str], object]):
    """(url, built): a database as `build(url)` leaves a migrated one, built once per
    session and backend and copied for each test (a file on SQLite; on PostgreSQL, a
    database restored from its snapshot). `built` is what `build` answered (ids, tokens)."""
    templates = request.getfixturevalue("_built_templates")
    if database_url.startswith("sqlite"):
        key = (name, "sqlite")
        if key not in templates:
            path = (
                request.getfixturevalue("tmp_path_factory").mktemp(f"built-{name}") / "judicare.db"
            )
            shutil.copy(request.getfixturevalue("_upgraded_sqlite_template"), path)
            templates[key] = (path, build(f"sqlite:///{path}"))
        path, built = templates[key]
        shutil.copy(path, database_url.removeprefix("sqlite:///"))
        return database_url, built
    key = (name, "postgresql")
    if key not in templates:
        migrated = request.getfixturevalue("_migrated_postgres_template")
        templates[key] = _PristinePostgres(_copy_postgres(migrated), build)
    else:
        templates[key].restore()
    return templates[key].url, templates[key].built


def _admin_execute(*statements: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        admin.dispose()


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
