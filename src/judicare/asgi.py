"""The one place where the server is composed: the REST API, the exchange between nodes
and the officers' web pages, on one FastAPI application, around one `App`.

    api (judicare.api.app.build_api)     the API's routers, docs, JSON errors
    + the body guard                    (judicare.api.guard)
    + the exchange                      node-to-node protocol (exchange.http) and the
                                        officers' exchange operations (exchange.routes)
    + the web pages                     (judicare.web.app.install_web)
    + security headers                  (judicare.api.headers)
    + operations                        outermost: /metrics, /health/*, access log
                                        (judicare.api.operations)

No package below imports this module; `judicare serve` and the tests do.
"""

from __future__ import annotations

from fastapi import FastAPI

from judicare.api import headers, operations
from judicare.api.app import build_api
from judicare.api.guard import JsonGuard
from judicare.app import App
from judicare.exchange import routes as exchange_routes
from judicare.exchange.http import install_node
from judicare.exchange.keys import KeyStore
from judicare.web.app import install_web
from judicare.web.intake_documents import FORM_UPLOADS


def create_api(app: App, key_store: KeyStore | None = None) -> FastAPI:
    """The whole server for `app`: API, exchange and web."""
    api = build_api(app)
    limit = app.settings.max_upload_bytes
    guard = JsonGuard(
        api, app.settings.max_json_bytes, limit,
        larger_forms={"/requests/new": FORM_UPLOADS * limit + app.settings.max_json_bytes},
    )  # fmt: skip
    api.add_middleware(_Passthrough, guard=guard)
    install_node(api, app, key_store)
    api.include_router(exchange_routes.router)
    install_web(api, app)
    headers.install(api, production=app.settings.environment == "production")
    operations.install(api, app)  # outermost: every request counted and timed
    return api


class _Passthrough:
    """Installs the JSON guard as the innermost middleware, around the routes."""

    def __init__(self, app, guard: JsonGuard) -> None:
        guard.app = app
        self.guard = guard

    async def __call__(self, scope, receive, send):
        return await self.guard(scope, receive, send)


__all__ = ["create_api"]
