"""When the database cannot answer *now* (down, out of connections, locked by another writer,
a transaction it asks to run again), a call gets 503 with Retry-After and is told to send it
again: in JSON under the API, as a page in the officer's language on the web. A client that
retries on 503, as the crash test's does, then makes its create once (Idempotency-Key). A
fault in the call itself (a missing table, a broken statement) stays a 500. Before, every
one of these was a 500, which a retrying client treats as final. Both databases."""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from judicare.api.errors import database_unavailable
from tests.integration.api_support import request_body
from tests.integration.web_support import WebUser


def _wrapped(orig: Exception, invalidated: bool = False) -> sa_exc.DBAPIError:
    return sa_exc.OperationalError("SELECT 1", {}, orig, connection_invalidated=invalidated)


# (what happened, the exception SQLAlchemy raises, answered 503 "send it again later"?)
CASES = [
    ("PostgreSQL refuses a connection: too many clients",
     _wrapped(psycopg.OperationalError("connection failed: sorry, too many clients already")),
     True),
    ("PostgreSQL is not there (connection refused)",
     _wrapped(psycopg.OperationalError("connection failed: Connection refused")), True),
    ("too many connections, with its SQLSTATE 53300",
     _wrapped(psycopg.errors.TooManyConnections("too many connections")), True),
    ("a serialization failure: run the transaction again (40001)",
     _wrapped(psycopg.errors.SerializationFailure("could not serialize access")), True),
    ("a deadlock, one side rolled back (40P01)",
     _wrapped(psycopg.errors.DeadlockDetected("deadlock detected")), True),
    ("the server shuts down (57P01)",
     _wrapped(psycopg.errors.AdminShutdown("terminating connection")), True),
    ("a statement stopped by its timeout (57014)",
     _wrapped(psycopg.errors.QueryCanceled("canceling statement due to statement timeout")),
     True),
    ("a connection lost in the middle, invalidated by the pool",
     _wrapped(psycopg.OperationalError("server closed the connection unexpectedly"), True), True),
    ("every pooled connection in use past the pool's timeout",
     sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"), True),
    ("SQLite locked by another writer",
     _wrapped(sqlite3.OperationalError("database is locked")), True),
    ("SQLite: a table that does not exist is a fault, not a wait",
     _wrapped(sqlite3.OperationalError("no such table: requests")), False),
    ("PostgreSQL: an operational error of another class (22: data exception) is a fault",
     _wrapped(psycopg.errors.DivisionByZero("division by zero")), False),
    ("an integrity error is a fault of the call",
     sa_exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")),
     False),
]  # fmt: skip


@pytest.mark.parametrize(("what", "error", "send_again"), CASES, ids=[c[0] for c in CASES])
def test_which_database_errors_say_send_it_again_later(what, error, send_again):
    answer = database_unavailable(error)
    assert (answer is not None) is send_again, what
    if answer is not None:
        assert answer.http_status == 503 and answer.headers == {"Retry-After": "1"}
        assert "send it again" in answer.message
        assert "SELECT" not in answer.message  # never the statement (it may carry values)


@contextmanager
def _database_fails(app, make_error, pattern=r"\bFROM requests\b"):
    """Every statement reading the requests table fails with `make_error()` meanwhile."""

    def fail(_conn, _cursor, statement, _parameters, _context, _many):
        if re.search(pattern, statement):
            raise make_error()

    event.listen(app.engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(app.engine, "before_cursor_execute", fail)


def _unavailable(app) -> Exception:
    if app.engine.dialect.name == "sqlite":
        return sqlite3.OperationalError("database is locked")
    return psycopg.OperationalError("connection failed: sorry, too many clients already")


def test_the_api_answers_503_with_retry_after_and_a_retry_lands_once(demo_api):
    api = demo_api
    created = api.create()
    body = request_body(facts_summary="Created after the database came back (fictional).")
    create = {**api.headers("officer"), "Idempotency-Key": "db-unavailable-once"}
    with _database_fails(api.app, lambda: _unavailable(api.app)):
        read = api.client.get(f"/api/v1/requests/{created['id']}", headers=api.headers("officer"))
        listed = api.client.get("/api/v1/requests", headers=api.headers("officer"))
    for response in (read, listed):
        assert response.status_code == 503, response.text[:300]
        assert response.headers["retry-after"] == "1"
        error = response.json()["error"]
        assert error["code"] == "database_unavailable"
        assert "send it again" in error["message"]
    first = api.client.post("/api/v1/requests", json=body, headers=create)
    again = api.client.post("/api/v1/requests", json=body, headers=create)
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]


def test_a_page_says_so_in_the_officers_language(demo_api):
    api = demo_api
    created = api.create()
    officer = WebUser(api, "anna.officer")
    with _database_fails(api.app, lambda: _unavailable(api.app)):
        page = officer.get(f"/requests/{created['id']}?lang=fr")
    assert page.status_code == 503, page.text[:300]
    assert "La base de données ne peut pas répondre pour l’instant" in page.text
    assert "SELECT" not in page.text and "OperationalError" not in page.text  # nothing raw


def test_a_fault_in_the_statement_stays_a_500(demo_api, caplog):
    api = demo_api
    created = api.create()
    client = TestClient(api.client.app, raise_server_exceptions=False)
    broken = api.app.engine.dialect.loaded_dbapi.OperationalError
    if api.app.engine.dialect.name == "postgresql":
        broken = psycopg.errors.DivisionByZero  # an operational error of the data class (22)
    with _database_fails(api.app, lambda: broken("a fault raised by the test")):
        response = client.get(f"/api/v1/requests/{created['id']}", headers=api.headers("officer"))
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    # logged as every fault, by its kind and statement (the values kept out: `judicare.logs`)
    assert broken.__name__ in caplog.text and "statement: SELECT requests.id" in caplog.text
