"""Errors as JSON with stable machine codes: {"error": {"code", "message", "details"?}}."""

from __future__ import annotations

import logging
import sqlite3

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from judicare.errors import DatabaseUnavailable, JudicareError

log = logging.getLogger("judicare.api")


def error_body(code: str, message: str, details=None) -> dict:
    body: dict = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


# SQLSTATE classes that say "not now" rather than "never": connection exception (08),
# transaction rollback such as a serialization failure or deadlock (40), insufficient
# resources such as too many connections (53), operator intervention such as a shutdown or a
# statement cancelled by its timeout (57). PostgreSQL's documentation, Appendix A.
_TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57")
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def database_unavailable(exc: Exception) -> DatabaseUnavailable | None:
    """The answer to give when `exc` says the database cannot answer *now* (the same call
    may succeed later), else None: a fault in the call itself stays a fault (500)."""
    if isinstance(exc, sa_exc.TimeoutError):  # every pooled connection in use, none freed
        why = "every connection to the database is in use"
    elif isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        why = "the connection to the database was lost"
    elif isinstance(exc, sa_exc.DBAPIError) and isinstance(exc.orig, psycopg.OperationalError):
        state = exc.orig.sqlstate
        if state is not None and state[:2] not in _TRANSIENT_SQLSTATE_CLASSES:
            return None
        why = "the database could not answer" + (f" (SQLSTATE {state})" if state else "")
    elif isinstance(exc, sa_exc.DBAPIError) and isinstance(exc.orig, sqlite3.OperationalError):
        if not any(busy in str(exc.orig) for busy in _SQLITE_BUSY):
            return None
        why = "the database is locked by another writer"
    else:
        return None
    return DatabaseUnavailable(
        f"{why}: nothing to change in the request; send it again in a moment (a create sent "
        "again with the same Idempotency-Key is made once)"
    )


def install(api: FastAPI) -> None:
    @api.exception_handler(JudicareError)
    async def _judicare(_: Request, exc: JudicareError):
        headers = getattr(exc, "headers", None)  # e.g. Retry-After on 429 and 503
        details = getattr(exc, "details", None)  # e.g. one entry per date refused
        return JSONResponse(
            error_body(exc.code, exc.message, details),
            status_code=exc.http_status,
            headers=headers,
        )

    @api.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        details = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())),
                "problem": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in exc.errors()
        ]
        first = details[0] if details else {"field": "", "problem": "invalid input"}
        message = f"{first['field']}: {first['problem']}" if first["field"] else first["problem"]
        return JSONResponse(error_body("validation_error", message, details), status_code=422)

    @api.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        codes = {
            404: "not_found",
            405: "method_not_allowed",
            401: "unauthenticated",
            403: "forbidden",
            413: "payload_too_large",
        }
        return JSONResponse(
            error_body(codes.get(exc.status_code, "http_error"), str(exc.detail)),
            status_code=exc.status_code,
        )

    async def _database(request: Request, exc: Exception):
        """503 with Retry-After when the database cannot answer now, through whichever
        handler answers Judicare's errors when the call is made (the pages install their
        own); any other database error is a fault, answered as one."""
        unavailable = database_unavailable(exc)
        if unavailable is None:
            return await api.exception_handlers[Exception](request, exc)
        # the kind of failure only: a driver's message may quote the statement's values
        log.warning("database unavailable: %s", unavailable.message.split(":", 1)[0])
        return await api.exception_handlers[JudicareError](request, unavailable)

    for database_error in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        api.add_exception_handler(database_error, _database)

    @api.exception_handler(StaleDataError)
    async def _stale(_: Request, exc: StaleDataError):
        return JSONResponse(
            error_body("precondition_failed", "the request changed meanwhile: read it again"),
            status_code=412,
        )

    @api.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception):
        log.exception("unexpected error")
        return JSONResponse(
            error_body("internal_error", "an unexpected error occurred; it has been logged"),
            status_code=500,
        )
