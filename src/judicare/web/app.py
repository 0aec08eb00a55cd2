"""The web application for officers: server-rendered pages (Jinja2, HTMX) beside the API.

`install_web(api, app)` adds the pages (one module-level router per module, the app and
the Jinja2 pages reached through dependencies), the static files and the signed session
cookie to the FastAPI application. Pages are thin like the API's routes: read the
principal, open one unit of work, call one service, commit, render. Errors on pages are
pages, in the user's language; errors under /api/ stay JSON.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from judicare.app import App
from judicare.errors import JudicareError
from judicare.web import (
    audit_pages,
    auth_pages,
    basis_pages,
    dashboard,
    decision_pages,
    desk_pages,
    document_pages,
    evidence_pages,
    exchange_pages,
    formal_document_pages,
    intake,
    intake_drafts,
    officer_pages,
    portal_pages,
    prevention_pages,
    registers,
    request_edit_pages,
    request_lists,
    request_pages,
    treaty_pages,
    user_pages,
    victim_pages,
)
from judicare.web.errors_text import error_text, field_problem
from judicare.web.form_limits import LIMITS, PAGE_FIELD_LABELS
from judicare.web.i18n import Translator
from judicare.web.intake_fields import FIELD_LABELS
from judicare.web.rendering import Pages
from judicare.web.session import (
    COOKIE,
    LoginRequired,
    language_of,
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
        intake_drafts,  # before request_pages: /requests/drafts/{id} is not a request
        request_lists,  # before request_pages: /requests.csv is not a request
        request_pages,
        request_edit_pages,
        decision_pages,
        document_pages,
        formal_document_pages,
        evidence_pages,
        exchange_pages,
        desk_pages,  # before treaty_pages: /treaties/desk is not /treaties/{id}
        treaty_pages,
        portal_pages,  # the public portal: /public/..., no sign-in
        prevention_pages,
        basis_pages,
        officer_pages,
        audit_pages,
        registers,
        user_pages,
        victim_pages,
    ):
        api.include_router(module.router)
        LIMITS.collect(module.router)  # the forms' limits, stated next to their fields
    api.add_middleware(TooLargePages, pages=pages)  # inside the session, outside the guard
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
    return _is_page_path(request.url.path)


def _is_page_path(path: str) -> bool:
    return not (path.startswith("/api/") or path in ("/docs", "/redoc", "/openapi.json"))


def _error_page(
    pages: Pages, request: Request, status: int, code: str, detail: str, detail_lang="en", **extra
):
    return pages.render(
        request,
        "error.html",
        status=status,
        principal=optional_principal(request),
        error=error_text(request, code, detail, detail_lang),
        **extra,
    )


class TooLargePages:
    """A page's form refused as too large by the API's body guard (413, in JSON) becomes a
    page in the officer's language; under /api/ the JSON answer is left as it is."""

    def __init__(self, app, pages: Pages) -> None:
        self.app = app
        self.pages = pages

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not _is_page_path(scope.get("path", "")):
            return await self.app(scope, receive, send)
        replaced = False

        async def send_or_replace(message):
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413:
                headers = dict(message.get("headers", []))
                replaced = b"json" in headers.get(b"content-type", b"")
            if not replaced:
                return await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                page = _too_large_page(self.pages, Request(scope))
                await page(scope, receive, send)

        return await self.app(scope, receive, send_or_replace)


def _too_large_page(pages: Pages, request: Request) -> Response:
    t = Translator(language_of(request))
    limit = request.app.state.judicare.settings.max_upload_bytes
    detail = t.gettext("The file is too large: at most %(size)s bytes.", size=t.number(limit))
    return _error_page(pages, request, 413, "payload_too_large", detail, language_of(request))


def _install_error_pages(api: FastAPI, pages: Pages) -> None:
    json_judicare = api.exception_handlers[JudicareError]
    json_http = api.exception_handlers[StarletteHTTPException]
    json_validation = api.exception_handlers[RequestValidationError]

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
        return _error_page(pages, request, exc.http_status, exc.code, exc.message)

    @api.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        """A page's query or form field missing or malformed: named, in the user's language
        (the JSON API keeps its own answer)."""
        if not _is_page(request) or "session" not in request.scope:
            return await json_validation(request, exc)
        t = Translator(language_of(request))
        problems = []
        for e in exc.errors():
            name = str((e.get("loc") or ("",))[-1])
            known = FIELD_LABELS.get(name) or PAGE_FIELD_LABELS.get(name)
            field = t.gettext(known) if known else ""
            problem = field_problem(t, e["type"], (e.get("ctx") or {}).get("max_length"))
            problems.append({"field": field, "problem": problem})
        return _error_page(pages, request, 422, "validation_error", "", problems=problems)

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not _is_page(request) or "session" not in request.scope:
            return await json_http(request, exc)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        # the framework's own words ("Not Found") are not for officers: the title says it
        return _error_page(pages, request, exc.status_code, code, "")

    json_unexpected = api.exception_handlers[Exception]

    @api.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        """A fault: logged in full, and a page in the officer's language that shows nothing
        of it (no traceback, no exception name), whatever mode the server runs in."""
        if not _is_page(request) or "session" not in request.scope:
            return await json_unexpected(request, exc)
        logging.getLogger("judicare.web").exception("unexpected error on a page")
        return _error_page(pages, request, 500, "internal_error", "")
