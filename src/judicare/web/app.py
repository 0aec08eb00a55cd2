"""The web application for officers: server-rendered pages (Jinja2, HTMX) beside the API.

`install_web(api, app)` adds the pages, the static files and the signed session cookie to the
FastAPI application. Pages are thin like the API's routes: read the principal, open one unit
of work, call one service, commit, render. Errors on pages are pages, in the user's language;
errors under /api/ stay JSON.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from judicare.app import App
from judicare.errors import JudicareError
from judicare.web import (
    audit_pages,
    auth_pages,
    dashboard,
    intake,
    registers,
    request_pages,
    treaty_pages,
)
from judicare.web.errors_text import error_text
from judicare.web.rendering import Pages
from judicare.web.session import (
    COOKIE,
    LoginRequired,
    login_url,
    optional_principal,
    session_secret,
)

STATIC = Path(__file__).parent / "static"


def install_web(api: FastAPI, app: App) -> None:
    pages = Pages()
    api.state.pages = pages
    api.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        auth_pages,
        dashboard,
        intake,  # before request_pages: /requests/new is not /requests/{id}
        request_pages,
        treaty_pages,
        audit_pages,
        registers,
    ):
        api.include_router(module.router(app, pages))
    api.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(app),
        session_cookie=COOKIE,
        same_site="strict",
        https_only=app.settings.environment == "production",
        max_age=8 * 3600,
    )
    _install_error_pages(api, pages)


def _is_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path in ("/docs", "/redoc", "/openapi.json"))


def _install_error_pages(api: FastAPI, pages: Pages) -> None:
    json_judicare = api.exception_handlers[JudicareError]
    json_http = api.exception_handlers[StarletteHTTPException]

    @api.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        target = login_url(exc.next_path)
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @api.exception_handler(JudicareError)
    async def _judicare(request: Request, exc: JudicareError) -> Response:
        if not _is_page(request):
            return await json_judicare(request, exc)
        return pages.render(
            request,
            "error.html",
            status=exc.http_status,
            principal=optional_principal(request),
            error=error_text(request, exc.code, exc.message),
        )

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not _is_page(request) or "session" not in request.scope:
            return await json_http(request, exc)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return pages.render(
            request,
            "error.html",
            status=exc.status_code,
            principal=optional_principal(request),
            error=error_text(request, code, str(exc.detail)),
        )
