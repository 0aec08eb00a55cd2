"""The API's interactive documentation at /docs, served entirely from this server.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; both are
refused here (no third party sees who reads the docs, and the Content-Security-Policy runs no
inline code). Swagger UI's files come from the `fastapi-offline` package (pinned in
pyproject.toml); only its static files are used. ReDoc is not offered.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/static-docs"  # cacheable, like /static (no personal data)
OWN = Path(__file__).parent / "docs_static"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title} · API</title>
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
  <link rel="icon" href="{assets}/favicon.png">
</head>
<body data-openapi="{openapi}">
  <div id="swagger-ui"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script src="{assets}/docs-init.js"></script>
</body>
</html>
"""


def install(api: FastAPI) -> None:
    """Call on an application created with docs_url=None and redoc_url=None."""
    api.mount(
        ASSETS,
        StaticFiles(directory=OWN, packages=[("fastapi_offline", "static")]),
        name="docs-assets",
    )
    page = PAGE.format(title=api.title, assets=ASSETS, openapi=api.openapi_url)

    @api.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)
