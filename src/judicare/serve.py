"""`judicare serve`: the REST API over HTTP (uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from judicare.cli_support import DbOption, build_app, err_console


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    db: DbOption = None,
) -> None:
    """Start the API (OpenAPI at /docs and /openapi.json)."""
    import uvicorn

    from judicare.api.app import create_api
    from judicare.bootstrap import prepare_database

    app = build_app(db)
    prepare_database(app)
    err_console.print(f"Judicare API on http://{host}:{port} (OpenAPI: http://{host}:{port}/docs)")
    uvicorn.run(create_api(app), host=host, port=port, log_level="info")
