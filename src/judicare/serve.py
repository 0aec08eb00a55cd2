"""`judicare serve`: the server composed in `judicare.asgi` (REST API, exchange, web pages)
over HTTP (uvicorn)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError

from judicare.cli_support import DbOption, build_app, err_console, fail
from judicare.collector import settle_for_serving
from judicare.errors import InvalidInput, JudicareError

if TYPE_CHECKING:
    from fastapi import FastAPI

# How long uvicorn's supervisor waits for a worker process to answer its health check before
# it kills the worker and starts another. Uvicorn's default, 5 s, is shorter than a worker's
# start on a loaded machine (importing the application took 20 s on the shared 2-core
# development machine under load): the workers were killed and restarted in a loop before
# they ever served. A worker that is really hung is still replaced, after this long.
WORKER_HEALTHCHECK_SECONDS = 120


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    db: DbOption = None,
    read_db: Annotated[
        str | None,
        typer.Option(
            "--read-db",
            help="A PostgreSQL streaming replica for read-only pages and exports (default: "
            "JUDICARE_READ_DATABASE_URL; none: all reads on --db). Bound its lag with "
            "JUDICARE_READ_MAX_LAG_SECONDS.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Start the API (OpenAPI at /docs and /openapi.json)."""
    import uvicorn

    from judicare.asgi import create_api
    from judicare.bootstrap import prepare_database

    try:
        app = build_app(db, read_db=read_db)
        prepare_database(app)
    except JudicareError as exc:
        fail(exc.message, exc.exit_code)
    except ValidationError as exc:  # the settings, e.g. --read-db on SQLite
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        fail(f"{where}: {first['msg'].removeprefix('Value error, ')}", InvalidInput.exit_code)
    err_console.print(f"Judicare API on http://{host}:{port} (OpenAPI: http://{host}:{port}/docs)")
    from judicare.logs import log_config

    logging = log_config(app.settings.log_format, app.settings.log_level)
    if workers == 1:
        api = create_api(app)
        settle_for_serving()
        uvicorn.run(api, host=host, port=port, log_config=logging, access_log=False)
        return
    # Several processes: each builds its own app from the same settings (by environment).
    if db:
        os.environ["JUDICARE_DATABASE_URL"] = db
    if read_db:
        os.environ["JUDICARE_READ_DATABASE_URL"] = read_db
    app.dispose()
    uvicorn.run(
        "judicare.serve:api_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=logging,
        access_log=False,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def api_from_environment() -> FastAPI:
    """The app factory uvicorn calls in each worker process."""
    from judicare.app import create_app
    from judicare.asgi import create_api

    api = create_api(create_app())
    settle_for_serving()
    return api
