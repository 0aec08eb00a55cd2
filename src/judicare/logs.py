"""Server logs without personal data from a failed database write.

The engines already hide bound values (`hide_parameters=True`), but a database's own
message can still quote them: PostgreSQL's `DETAIL:  Key (username)=(anna.officer) already
exists.` (or a check's failing row) travels in the exception's text into every traceback
logged for it. `NoPersonalData` replaces such an exception, in a log record only, by one
that names what an operator needs (the error class, SQLSTATE, constraint, table and the SQL
text with its placeholders) and keeps the traceback's frames (code, never values).
OWASP ASVS 5.0 v5.0.0-16.2.5: sensitive data in logs is excluded.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, StatementError

# Every logger that logs an exception (a logger's filter sees only the records made on it):
# the API's and pages' handler, the exchange's, the audit journal's, and uvicorn's
# "Exception in ASGI application".
LOGGERS = ("judicare.api", "judicare.exchange", "judicare.audit.journal", "uvicorn.error")


class DatabaseError(Exception):
    """A database error as logged: its description, without the values it quoted."""


def database_error_in(exc: BaseException | None) -> StatementError | None:
    """The SQLAlchemy statement error in `exc`'s chain (cause or context), if any."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, StatementError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def describe(error: StatementError) -> str:
    """What went wrong, without any value from the data."""
    original = getattr(error, "orig", None)
    parts = [type(original).__name__ if original is not None else type(error).__name__]
    diag = getattr(original, "diag", None)
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if sqlstate:
        parts.append(f"SQLSTATE {sqlstate}")
    for name in ("constraint_name", "table_name", "column_name"):
        value = getattr(diag, name, None)
        if value:
            parts.append(f"{name.split('_')[0]} {value}")
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        parts.append("connection invalidated")
    statement = " ".join((error.statement or "").split())[:300]
    return "; ".join(parts) + (f"; statement: {statement}" if statement else "")


class NoPersonalData(logging.Filter):
    """Rewrites a record whose exception comes from the database (see the module text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = database_error_in(record.exc_info[1])
            if error is not None:
                clean = DatabaseError(describe(error))
                record.exc_info = (DatabaseError, clean, record.exc_info[2])
                record.exc_text = None
        return True


_FILTER = NoPersonalData()


def keep_personal_data_out_of_logs() -> None:
    """Install the filter on every logger that logs a failed request (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
