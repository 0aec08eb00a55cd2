"""Signing in (password, then the TOTP code where the user has one), signing out, and the
choice of language."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from judicare.api.deps import AppDep
from judicare.auth.models import UserRow
from judicare.auth.permissions import Unauthenticated
from judicare.auth.second_factor import (
    check_second_factor,
    close_web_session,
    needs_second_factor,
    open_web_session,
    preferred_language,
    set_preferred_language,
)
from judicare.auth.service import principal_of
from judicare.auth.sign_in import SignIn, VerifierBusy, client_address
from judicare.auth.throttle import TooManyAttempts
from judicare.web.i18n import LANGUAGES, Translator
from judicare.web.rendering import PagesDep, app_of, flash, pages_of
from judicare.web.session import (
    check_csrf,
    language_of,
    login_url,
    optional_principal,
    safe_next,
)

# The password step is remembered for this long while the user types the code.
PENDING_SECONDS = 300
# Wrong codes allowed before the pending sign-in ends and the password is asked again.
MAX_CODE_ATTEMPTS = 5


router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_form(app: AppDep, pages: PagesDep, request: Request, next: str = "/") -> Response:
    if optional_principal(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return pages.render(request, "login.html", next=safe_next(next), errors={})


@router.post("/login", dependencies=[Depends(check_csrf)])
def login(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    username: Annotated[str, Form(max_length=120)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    t = Translator(language_of(request))
    sign_in: SignIn = request.app.state.sign_in
    status, problem, headers = 401, "", {}
    try:
        who = sign_in.check(username.strip(), password, client_address(request))
    except Unauthenticated:
        problem = t.gettext("Wrong user name or password.")
    except TooManyAttempts as refused:
        status, headers = 429, refused.headers
        minutes = max(1, -(-refused.retry_after // 60))
        problem = t.ngettext(
            "Too many failed sign-ins: try again in %(num)d minute.",
            "Too many failed sign-ins: try again in %(num)d minutes.",
            minutes,
        )
        if refused.until_reset:
            problem = t.gettext(
                "Too many failed sign-ins: ask an administrator to set a new password."
            )
    except VerifierBusy as busy:
        status, headers = 503, busy.headers
        problem = t.gettext("Too many sign-ins at this moment: try again in a second.")
    if problem:
        page = pages.render(
            request, "login.html", status=status, next=safe_next(next),
            username=username, errors={"password": problem},
        )  # fmt: skip
        page.headers.update(headers)
        return page
    with app.unit_of_work() as uow:
        if needs_second_factor(uow.session, who):
            request.session["pending"] = {"user": who.user_id, "since": app.now().timestamp()}
            return pages.render(request, "login_code.html", next=safe_next(next), errors={})
        return _signed_in(request, uow, who, next)


@router.post("/login/code", dependencies=[Depends(check_csrf)])
def login_code(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    code: Annotated[str, Form(max_length=20)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    t = Translator(language_of(request))
    pending = request.session.get("pending") or {}
    if not pending or app.now().timestamp() - pending.get("since", 0) > PENDING_SECONDS:
        request.session.pop("pending", None)
        flash(request, t.gettext("Sign in again: the code was not given in time."), "error")
        return RedirectResponse("/login", status_code=303)
    with app.unit_of_work() as uow:
        user = uow.session.get(UserRow, pending["user"])
        if user is None or not user.active:
            return RedirectResponse("/login", status_code=303)
        who = principal_of(user)
        verdict = check_second_factor(uow.session, who, code, app.now())
        if not verdict.accepted:
            uow.commit()  # a wrong code counts towards the lockout
            return _wrong_code(request, pending, next, verdict.code)
        request.session.pop("pending", None)
        return _signed_in(request, uow, who, next)


def _wrong_code(request: Request, pending: dict, next: str, why: str) -> Response:
    """Ask again, or after MAX_CODE_ATTEMPTS wrong codes end the pending sign-in: the
    password must be given again before any further code is tried. The user's row
    counts wrong codes across sign-ins too, and locks codes out for a while
    (`second_factor.MAX_WRONG_CODES`)."""
    pages = pages_of(request)
    t = Translator(language_of(request))
    wrong = int(pending.get("wrong", 0)) + 1
    if why == "locked":
        request.session.pop("pending", None)
        message = t.gettext("Too many wrong codes: try again in a quarter of an hour.")
        flash(request, message, "error")
        return RedirectResponse(login_url(safe_next(next)), status_code=303)
    if wrong >= MAX_CODE_ATTEMPTS:
        request.session.pop("pending", None)
        message = t.gettext("Too many wrong codes: sign in again with your password.")
        flash(request, message, "error")
        return RedirectResponse(login_url(safe_next(next)), status_code=303)
    request.session["pending"] = {**pending, "wrong": wrong}
    left = MAX_CODE_ATTEMPTS - wrong
    said = (
        t.gettext("This code was used already: wait for the next one.")
        if why == "used"
        else t.gettext("The code is wrong or has expired.")
    )
    problem = said + " " + t.ngettext("%(num)d attempt left.", "%(num)d attempts left.", left)
    return pages.render(
        request,
        "login_code.html",
        status=401,
        next=safe_next(next),
        errors={"code": problem},
    )


def _signed_in(request: Request, uow, who, next: str) -> Response:
    app = app_of(request)
    token = open_web_session(uow.session, who, app.now())
    chosen = request.session.get("lang") or preferred_language(uow.session, who)
    uow.commit()
    # A new session at sign-in: nothing from before (a CSRF token planted or read by
    # someone else, a half-done sign-in) survives, and the cookie's content is new.
    request.session.clear()
    request.session["token"] = token
    request.session["csrf"] = secrets.token_urlsafe(32)
    if chosen:
        request.session["lang"] = chosen
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(app: AppDep, pages: PagesDep, request: Request) -> Response:
    token = request.session.get("token")
    if token:
        with app.unit_of_work() as uow:
            close_web_session(uow.session, token, app.now())
            uow.commit()
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
    return RedirectResponse("/login", status_code=303)


@router.post("/language", dependencies=[Depends(check_csrf)])
def language(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    lang: Annotated[str, Form(max_length=8)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    if lang in LANGUAGES:
        request.session["lang"] = lang
        who = optional_principal(request)
        if who is not None:
            with app.unit_of_work() as uow:
                set_preferred_language(uow.session, who, lang)
                uow.commit()
    return RedirectResponse(safe_next(next), status_code=303)
