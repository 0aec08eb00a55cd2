"""Administrators manage the users of their own authority: deactivate (every session and
token ends at once), activate, set a password, end every session. Each act is audited
(`judicare.auth.accounts`); forms carry the CSRF token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from judicare.api.deps import AppDep
from judicare.auth import accounts
from judicare.auth.permissions import Permission, Principal, authorize
from judicare.errors import InvalidInput
from judicare.web.i18n import Translator
from judicare.web.rendering import PagesDep, app_of, flash
from judicare.web.session import check_csrf, current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
UserId = Annotated[int, Path(ge=1, le=2_147_483_647)]
USERS = "/admin/users"


router = APIRouter(include_in_schema=False)


@router.get(USERS)
def users(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    authorize(who, Permission.USER_MANAGE)
    with app.unit_of_work() as uow:
        listed = accounts.list_users(uow.session, who)
    return pages.render(request, "users.html", principal=who, users=listed)


def act_on_user(request, who, user_id, act, why: str, said) -> Response:
    """One administrator's act on a user of their authority, audited by `act`; `said`
    gives the flash message for the user's name (translated)."""
    app = app_of(request)
    t = Translator(language_of(request))
    with app.unit_of_work() as uow:
        user = accounts.managed_user(uow.session, who, user_id)
        if act is accounts.deactivate and user.id == who.user_id:
            flash(request, t.gettext("You cannot deactivate yourself."), "error")
            return RedirectResponse(USERS, status_code=303)
        name = user.username
        act(uow.session, user, actor=who.username, now=app.now(), why=why)
        uow.commit()
    flash(request, said(t, name))
    return RedirectResponse(USERS, status_code=303)


@router.post(USERS + "/{user_id}/deactivate", dependencies=[Depends(check_csrf)])
def deactivate(
    app: AppDep, pages: PagesDep, request: Request, user_id: UserId, who: Who
) -> Response:
    return act_on_user(
        request, who, user_id, accounts.deactivate, "deactivated by an administrator",
        lambda t, name: t.gettext("%(user)s is deactivated; their sessions have ended.",
                                  user=name),
    )  # fmt: skip


@router.post(USERS + "/{user_id}/activate", dependencies=[Depends(check_csrf)])
def activate(app: AppDep, pages: PagesDep, request: Request, user_id: UserId, who: Who) -> Response:
    return act_on_user(
        request, who, user_id, accounts.activate, "activated by an administrator",
        lambda t, name: t.gettext("%(user)s may sign in again.", user=name),
    )  # fmt: skip


@router.post(USERS + "/{user_id}/revoke-tokens", dependencies=[Depends(check_csrf)])
def revoke(app: AppDep, pages: PagesDep, request: Request, user_id: UserId, who: Who) -> Response:
    return act_on_user(
        request, who, user_id, accounts.revoke_all, "sessions ended by an administrator",
        lambda t, name: t.gettext("Every session of %(user)s has ended.", user=name),
    )  # fmt: skip


@router.post(USERS + "/{user_id}/password", dependencies=[Depends(check_csrf)])
def password(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    user_id: UserId,
    who: Who,
    new_password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    t = Translator(language_of(request))
    with app.unit_of_work() as uow:
        user = accounts.managed_user(uow.session, who, user_id)
        name = user.username
        try:
            accounts.set_password(
                uow.session, user, new_password, actor=who.username, now=app.now(),
                why="password set by an administrator",
            )  # fmt: skip
        except InvalidInput:
            flash(request, t.gettext("A password needs at least 12 characters."), "error")
            return RedirectResponse(USERS, status_code=303)
        uow.commit()
    flash(request, t.gettext("%(user)s has a new password; their sessions have ended.",
                             user=name))  # fmt: skip
    return RedirectResponse(USERS, status_code=303)
