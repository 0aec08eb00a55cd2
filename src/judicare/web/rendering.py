"""Jinja2 pages for the web adapter: one environment, one `render` that hands every template
the officer's language, the signed-in principal, the CSRF token and the flash messages."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from judicare import __version__
from judicare.app import App
from judicare.auth.permissions import ROLE_PERMISSIONS, Permission, Principal
from judicare.screening.grounds import grounds_data
from judicare.treaties.wording import for_users
from judicare.web.form_limits import LIMITS
from judicare.web.i18n import LANGUAGES, Translator
from judicare.web.labels import ALL as ALL_LABELS
from judicare.web.labels import label
from judicare.web.session import language_of

TEMPLATES = Path(__file__).parent / "templates"


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.globals["rule_wording"] = rule_wording
    env.globals["limit"] = LIMITS
    return env


def rule_wording(ground: str, language: str) -> str | None:
    """A screening rule's own wording in `language` where the rule data carries it
    (`text_fr`, `text_nl` beside `text` in `screening/grounds.yaml`), else None: the page then
    keeps the English, marked `lang="en"`, and says that the sources give it in English only."""
    if language == "en":
        return None
    rule = grounds_data()["grounds"].get(ground) or {}
    found = rule.get(f"text_{language}")
    return str(found) if found else None


def csrf_token(request: Request) -> str:
    """One random token per session, sent back with every form and HTMX request."""
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


def query_with(request: Request, **changes) -> str:
    """This page's URL with some query parameters changed (e.g. the page number)."""
    params = dict(request.query_params)
    params.update({k: str(v) for k, v in changes.items()})
    return request.url.path + "?" + urlencode(params)


def flash(request: Request, message: str, kind: str = "info") -> None:
    # Assign (not append): the session notices only top-level changes.
    request.session["flash"] = [
        *request.session.get("flash", []),
        {"kind": kind, "message": message},
    ]


def can(principal: Principal | None, permission: str) -> bool:
    if principal is None:
        return False
    return Permission(permission) in ROLE_PERMISSIONS[principal.role]


class Pages:
    def __init__(self) -> None:
        self.env = build_environment()

    def render(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        principal: Principal | None = None,
        **context,
    ) -> HTMLResponse:
        language = language_of(request)
        translator = Translator(language)
        messages = request.session.pop("flash", []) if "session" in request.scope else []
        page = self.env.get_template(template).render(
            request=request,
            t=translator,
            _=translator.gettext,
            gettext=translator.gettext,
            ngettext=translator.ngettext,
            lang=language,
            languages=LANGUAGES,
            user=principal,
            can=lambda permission: can(principal, permission),
            csrf=csrf_token(request),
            label=lambda group, code: translator.gettext(label(group, code)),
            labels=ALL_LABELS,
            plain=for_users,  # the data's words without file names, rows or [UNSURE]
            query_with=lambda **changes: query_with(request, **changes),
            flashes=messages,
            version=__version__,
            **context,
        )
        return HTMLResponse(page, status_code=status)


def app_of(request: Request) -> App:
    """The app, for a helper of a page (a route takes `judicare.api.deps.AppDep`)."""
    return request.app.state.judicare


def pages_of(request: Request) -> Pages:
    return request.app.state.pages


def get_pages(request: Request) -> Pages:
    """The pages' one Jinja2 environment (`judicare.web.app.install_web`)."""
    return request.app.state.pages


PagesDep = Annotated[Pages, Depends(get_pages)]
