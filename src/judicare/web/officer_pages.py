"""The officer's own pages: my deadlines (with the calendar feed to subscribe to) and my
notices (read / unread). The feed's URL opens without a session: its secret token is the
key (`notifications.calendar`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from judicare.api.deps import AppDep
from judicare.auth.permissions import Permission, Principal, authorize
from judicare.notifications import calendar
from judicare.notifications import service as notices
from judicare.web.i18n import Translator
from judicare.web.rendering import PagesDep, flash
from judicare.web.session import check_csrf, current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
WHY = "officer's tools (web)"
router = APIRouter(include_in_schema=False)


def N_(message: str) -> str:
    return message


NOTICE_TEXTS = {
    "assignment": N_("Request %(reference)s was assigned to you."),
    "approval_needed": N_("A decision on request %(reference)s needs your approval."),
    "approval_given": N_("Your decision on request %(reference)s was approved."),
    "deadline_near": N_("A deadline of request %(reference)s is near or missed."),
    "message_received": N_("A message about request %(reference)s arrived from the other node."),
}


@router.get("/deadlines")
def deadlines(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    return _deadlines_page(app, pages, request, who)


def _deadlines_page(app, pages, request, who, token: str | None = None) -> Response:
    authorize(who, Permission.REQUEST_READ)
    with app.unit_of_work() as uow:
        entries = calendar.my_deadlines(uow.session, who.user_id, today=app.clock.today())
        subscribed = calendar.has_feed(uow.session, who.user_id)
        uow.commit()
    url = f"{app.settings.public_url.rstrip('/')}/calendar/{token}.ics" if token else None
    return pages.render(
        request, "deadlines.html", principal=who, entries=entries, subscribed=subscribed,
        feed_url=url,
    )  # fmt: skip


@router.post("/deadlines/feed", dependencies=[Depends(check_csrf)])
def new_feed(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    """A new subscription URL (the old one stops working), shown once on the page."""
    with app.unit_of_work() as uow:
        token = calendar.new_feed(uow.session, who, now=app.now(), why=WHY)
        uow.commit()
    return _deadlines_page(app, pages, request, who, token=token)


@router.post("/deadlines/feed/revoke", dependencies=[Depends(check_csrf)])
def revoke_feed(app: AppDep, request: Request, who: Who) -> Response:
    with app.unit_of_work() as uow:
        calendar.revoke(uow.session, who, now=app.now(), why=WHY)
        uow.commit()
    t = Translator(language_of(request))
    flash(request, t.gettext("The calendar link was revoked: it no longer works."), "success")
    return RedirectResponse("/deadlines#calendar", status_code=303)


@router.get("/calendar/{token}.ics")
def feed(app: AppDep, token: str) -> Response:
    """The feed for a calendar application (no session: the token is the key). An unknown
    or revoked token answers 404, as a feed that never existed."""
    with app.unit_of_work() as uow:
        owner = calendar.feed_owner(uow.session, token)
        entries = (
            calendar.my_deadlines(uow.session, owner, today=app.clock.today()) if owner else []
        )
        uow.commit()
    if owner is None:
        return Response("no such calendar\n", status_code=404, media_type="text/plain")
    body = calendar.ics(entries, now=app.now(), base_url=app.settings.public_url)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, no-store"})  # fmt: skip


@router.get("/notifications")
def notifications(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    with app.unit_of_work() as uow:
        items = notices.notices_for(uow.session, who)
        uow.commit()
    return pages.render(request, "notifications.html", principal=who, items=items,
                        unread=sum(1 for i in items if not i["read"]),
                        notice_texts=NOTICE_TEXTS)  # fmt: skip


@router.get("/notifications/badge")
def badge(app: AppDep, request: Request, who: Who) -> Response:
    """The nav link's words with the unread count (loaded by HTMX on every page)."""
    with app.unit_of_work() as uow:
        count = notices.unread_count(uow.session, who)
        uow.commit()
    t = Translator(language_of(request))
    text = (
        t.ngettext("Notices (%(num)s unread)", "Notices (%(num)s unread)", count)
        if count
        else t.gettext("Notices")
    )
    return HTMLResponse(text)


@router.post("/notifications/{notice_id}/read", dependencies=[Depends(check_csrf)])
def read_one(app: AppDep, request: Request, who: Who, notice_id: int) -> Response:
    return _mark(app, request, who, notice_id)


@router.post("/notifications/read", dependencies=[Depends(check_csrf)])
def read_all(app: AppDep, request: Request, who: Who) -> Response:
    return _mark(app, request, who, None)


def _mark(app, request, who, notice_id: int | None) -> Response:
    with app.unit_of_work() as uow:
        notices.mark_read(uow.session, who, notice_id, now=app.now(), why=WHY)
        uow.commit()
    return RedirectResponse("/notifications", status_code=303)
