"""The REST API: `build_api(app)` makes the FastAPI application with the API's own routers,
its documentation and its JSON errors. It knows nothing of the exchange or the web pages:
`judicare.asgi.create_api` composes the three.

Routes are thin: they read the principal, open one unit of work, call one service, commit,
and answer a declared model. Permissions are decided in `judicare.auth.permissions` only.
"""

from __future__ import annotations

from fastapi import FastAPI

from judicare import __version__
from judicare.api import docs, errors
from judicare.api.routes import ROUTERS
from judicare.app import App
from judicare.auth.sign_in import SignIn
from judicare.logs import keep_personal_data_out_of_logs


def build_api(app: App) -> FastAPI:
    api = FastAPI(
        title="Judicare",
        version=__version__,
        description="Requests for mutual legal assistance and extradition in cases of "
        "international crimes: register, lifecycle, legal basis, audit. Every error answers "
        '{"error": {"code", "message", "details"?}} with a stable code.',
        docs_url=None,  # served from this server by `docs.install`, not from a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    docs.install(api)
    errors.install(api)
    keep_personal_data_out_of_logs()
    api.state.judicare = app  # reached by routes through `judicare.api.deps.get_app`
    api.state.sign_in = SignIn.for_app(app)
    for router in ROUTERS:
        api.include_router(router)
    return api
