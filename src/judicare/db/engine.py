"""Engines and the unit of work. Created by the app factory, never at import."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from judicare.clock import Clock
from judicare.db.base import CLOCK_KEY
from judicare.errors import InvalidInput, UnstorableText

POOL_SIZE = 20  # connections kept open per process (PostgreSQL)
POOL_OVERFLOW = 10  # opened beyond that under bursts, closed when returned
PING_AFTER_IDLE_SECONDS = 5.0  # a connection idle longer is tested before use
# A replica that does not answer must not hold up the page (or `/health/ready`) that asks it
# how far behind it is: the page reads the primary instead. A URL may set its own.
READ_CONNECT_TIMEOUT_SECONDS = 5
_RETURNED_AT = "judicare.returned_at"
AFTER_COMMIT_WORK = "judicare.after_commit_work"
logger = logging.getLogger(__name__)


def after_commit_work(session: Session, step: Callable[[Session], None]) -> None:
    """Ask the unit of work to run `step(session)` in a fresh transaction once the present
    one is committed (dropped with the session if it never is)."""
    session.info.setdefault(AFTER_COMMIT_WORK, []).append(step)


def make_engine(url: str, read_only: bool = False) -> Engine:
    """An engine for `url`. `read_only` (PostgreSQL): every transaction is read-only, as
    for a replica that read-only pages use: a page that tried to write there fails, even
    on a replica since promoted."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInput(
            f"database URL {url!r} cannot be parsed: use e.g. sqlite:///var/judicare.db or "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            create_private_file(Path(parsed.database))
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 60}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        event.listen(engine, "before_cursor_execute", _refuse_nul)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise InvalidInput(
            f"database {parsed.get_backend_name()!r} is not supported: use SQLite or PostgreSQL"
        )
    # A worker serves up to ~20 requests at once (32 clients over 2 workers, unevenly): keep
    # that many connections open rather than opening and closing overflow connections under
    # load, each of which costs PostgreSQL a new backend process.
    # No JIT: PostgreSQL compiles a statement whose estimated cost passes `jit_above_cost`,
    # and a statement over the audit trail's monthly partitions (each with the reader's
    # subqueries) reaches it with every page: the authority auditor's first page spent 8 s
    # of its 12.7 s compiling 2,011 functions (100,000 requests, 97 months). The app's
    # statements are short, indexed reads and writes, which JIT never pays back.
    # The URL's own `options` (`?options=-csynchronous_commit%3Dlocal`) are kept, after ours
    # (so that they win): the driver takes one `options`, and ours would replace the URL's.
    settings = ["-c jit=off"]
    if read_only:
        settings.append("-c default_transaction_read_only=on")
    given = parsed.query.get("options")
    settings += [given] if isinstance(given, str) else list(given or ())
    options: dict[str, str | int] = {"options": " ".join(settings)}
    if read_only and "connect_timeout" not in parsed.query:
        options["connect_timeout"] = READ_CONNECT_TIMEOUT_SECONDS
    engine = create_engine(
        url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_timeout=60, pool_recycle=3600,
        hide_parameters=True,  # a failed statement's message would carry names and facts
        connect_args=options,
    )  # fmt: skip
    _ping_when_idle(engine)
    _convert_long_statements_once()
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


# psycopg turns a statement's %(name)s placeholders into PostgreSQL's $n and keeps the result
# (an LRU of 128 texts) only for statements of at most 50 parameters and 4 KB; SQLAlchemy
# writes the rows a flush inserts together as one INSERT, so a transaction queueing 10
# messages sent a 10-row outbox INSERT (and its audit entries') converted afresh every
# time: about a tenth to a fifth of a queueing process's CPU (`bench.exchange_stages`,
# 6 December 2026). These limits keep such statements; the LRU still bounds what is kept.
_CACHED_STATEMENT_BYTES = 32 * 1024
_CACHED_STATEMENT_PARAMETERS = 1000


def _convert_long_statements_once() -> None:
    """Let psycopg keep its conversion of statements up to `_CACHED_STATEMENT_BYTES` and
    `_CACHED_STATEMENT_PARAMETERS` (never lowers a limit; a psycopg without these module
    settings is left as it is). Only how the client converts the text: the statements sent,
    their parameters and their results are the same."""
    try:
        from psycopg import _queries
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return
    for name, value in (("MAX_CACHED_STATEMENT_LENGTH", _CACHED_STATEMENT_BYTES),
                        ("MAX_CACHED_STATEMENT_PARAMS", _CACHED_STATEMENT_PARAMETERS)):  # fmt: skip
        current = getattr(_queries, name, None)
        if isinstance(current, int) and current < value:
            setattr(_queries, name, value)


def use_clock(engine: Engine, clock: Clock) -> None:
    """Every connection `engine` opens carries `clock`, which the timestamp columns' default
    (`db.base.utcnow`) reads: the app's one clock, not the wall clock. Call it before the
    engine's first connection (the app factory does)."""

    def carry(_dbapi_connection, record) -> None:
        record.info[CLOCK_KEY] = clock

    event.listen(engine, "connect", carry)


def _refuse_nul(_connection, _cursor, _statement, _parameters, context, _executemany) -> None:
    """No text with a NUL character reaches the database, whatever path it came by (a web
    form, an import, a peer's message): PostgreSQL refuses it with an error that would be a
    500, SQLite would keep it. The API's guard names the JSON field earlier; this names the
    column. Scanning the bound values costs far less than the statement itself."""
    for values in getattr(context, "compiled_parameters", None) or ():
        for name, value in values.items():
            if isinstance(value, str) and "\x00" in value:
                raise UnstorableText(
                    f"{name} contains a NUL character (\\u0000), which cannot be stored: remove it"
                )


def create_private_file(path: Path) -> None:
    """Create the SQLite file (and its directory) readable by the owner only, 0600 and
    0700, before SQLite opens it: the database holds personal data and password hashes.
    SQLite gives its -wal, -shm and -journal files the database file's permissions. An
    existing file or directory is left as its owner set it."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)


def _ping_when_idle(engine: Engine) -> None:
    """Test a pooled connection before use when it has been idle a while (the server may
    have restarted or dropped it meanwhile), not on every checkout as `pool_pre_ping` does:
    under load a connection comes back within milliseconds, and a ping per checkout cost
    about a tenth of a create. A failed ping discards the connection and the pool retries
    with another (SQLAlchemy's custom pessimistic disconnect handling); a connection dropped
    within the idle window fails its one statement, and SQLAlchemy then renews the pool."""

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        returned = record.info.get(_RETURNED_AT)
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError(f"pooled connection lost: {error}") from error
            raise


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy's "begin" event start transactions itself (the pysqlite recipe), so
    # that every transaction takes the write lock at its start: concurrent writers then
    # wait in turn (busy_timeout) instead of failing half-way.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Writers queue (BEGIN IMMEDIATE); under load a turn can take seconds, not an error.
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def _sqlite_begin_immediate(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class UnitOfWork:
    """One transaction per command. It rolls back unless `commit()` is called; services
    receive `uow.session` and never commit themselves."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self.session: Session | None = None
        self._committed = False

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()
        self._committed = True
        self._after_commit()

    def _after_commit(self) -> None:
        """Run the work a service asked to redo once its transaction is committed
        (`after_commit_work`), each in a fresh transaction of its own, e.g. detection that
        must see what concurrent transactions committed meanwhile. What is committed stays
        committed: a failure here is logged and rolled back, never raised to the caller."""
        assert self.session is not None
        while work := self.session.info.pop(AFTER_COMMIT_WORK, None):
            for step in work:
                try:
                    step(self.session)
                    self.session.commit()
                except Exception:  # the first pass was committed; a later pass can redo it
                    self.session.rollback()
                    logger.exception("work after commit failed: %s", step)

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(self, *exc_info) -> None:
        assert self.session is not None
        if not self._committed:
            self.session.rollback()
        self.session.close()


@contextmanager
def unit_of_work(session_factory: sessionmaker[Session]) -> Iterator[UnitOfWork]:
    with UnitOfWork(session_factory) as uow:
        yield uow
