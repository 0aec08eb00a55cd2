"""Who is signed in, in which language, and the guard against cross-site form posts.

The session cookie is signed (itsdangerous, through Starlette's SessionMiddleware) and holds
only a web-session token, the CSRF token and the language; the token is checked against the
database on every page, so revoking it or deactivating the user takes effect at once.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError

from judicare.app import App
from judicare.auth.permissions import Principal, Unauthenticated
from judicare.auth.service import principal_for_token
from judicare.errors import JudicareError
from judicare.web.i18n import choose_language, negotiate

COOKIE = "judicare_session"


class LoginRequired(Exception):
    """The page needs a signed-in user; the handler sends the browser to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class FormRejected(JudicareError):
    code = "form_rejected"
    http_status = 403


def session_secret(app: App) -> str:
    """The configured key, or a random one kept in data_dir (0600) so that restarts and
    several workers share it."""
    if app.settings.web_session_secret:
        return app.settings.web_session_secret
    if app.settings.environment == "test":
        return secrets.token_urlsafe(48)  # tests leave no key file behind
    path: Path = app.settings.data_dir / "web-session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def language_of(request: Request) -> str:
    return choose_language(
        request.query_params.get("lang"),
        request.session.get("lang"),
        negotiate(request.headers.get("accept-language")),
    )


def current_principal(request: Request) -> Principal:
    """The signed-in user, or LoginRequired."""
    app: App = request.app.state.judicare
    token = request.session.get("token")
    if not token:
        raise LoginRequired(_here(request))
    try:
        with app.unit_of_work() as uow:
            return principal_for_token(uow.session, token, app.now())
    except (Unauthenticated, SQLAlchemyError):
        request.session.pop("token", None)
        raise LoginRequired(_here(request)) from None


def optional_principal(request: Request) -> Principal | None:
    try:
        return current_principal(request)
    except LoginRequired:
        return None


def _here(request: Request) -> str:
    path = request.url.path
    if request.headers.get("hx-request"):
        path = request.headers.get("hx-current-url", path)
    return path if path.startswith("/") else "/"


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


async def check_csrf(request: Request) -> None:
    """Every state-changing form carries the session's token (field or HTMX header)."""
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise FormRejected(
            "the form was not sent from this session (it may have expired): reload the page "
            "and send it again"
        )


def safe_next(target: str | None) -> str:
    """Only same-site paths after login (no open redirect)."""
    if not target or not target.startswith("/") or target[1:2] in ("/", "\\"):
        return "/"  # "//host" and "/\\host" would leave the site
    return target
