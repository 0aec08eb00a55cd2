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


# --- structured logs (issue 22) ---

# Fields a record may carry in `extra` that are safe to write: they hold route templates,
# codes and figures, never values typed by a user.
STRUCTURED_FIELDS = ("http_method", "route", "status", "duration_ms", "event", "count")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, from the record), level, logger, process, the
    message and the safe structured fields. An exception is written as its class and its
    traceback's frames (file, line, function): never its message, which may quote a value
    (a database error keeps its cleaned description, see `NoPersonalData`)."""

    def format(self, record: logging.LogRecord) -> str:
        import json
        import traceback
        from datetime import UTC, datetime

        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "process": record.process,
            "message": record.getMessage(),
        }
        for name in STRUCTURED_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            kind, error, trace = record.exc_info
            entry["error"] = kind.__name__
            if isinstance(error, DatabaseError):
                entry["error_description"] = str(error)
            entry["frames"] = [
                f"{frame.filename}:{frame.lineno} {frame.name}"
                for frame in traceback.extract_tb(trace)
            ]
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_config(log_format: str, level: str = "INFO") -> dict[str, object]:
    """A `logging.config.dictConfig` for the server (uvicorn's `log_config`): `text` for a
    person reading a terminal, `json` for a log collector. Uvicorn's own access log is off:
    it writes the path and query, which can hold a person's name; `judicare.access` (see
    `judicare.api.operations`) writes the route template instead."""
    formatter: dict[str, object] = (
        {"()": f"{__name__}.JsonFormatter"}
        if log_format == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "": {"handlers": ["default"], "level": level},
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
