"""Editing, assigning and linking a registered request from the web, through the same
services as the API (`requests.service.update_request`, `assign`, `link_requests`).

An edit carries the version the officer read (the ETag of the API, in a hidden field); if
someone changed the request meanwhile, the edit is refused (nothing is written), the page
shows the values now stored beside what the officer typed (kept in the form), and the
officer can look and send again. Every change is audited by the service; the request's
timeline shows who changed which field, from what to what, and when.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from judicare.api.deps import AppDep, RequestId
from judicare.app import App
from judicare.auth.permissions import Permission, Principal, can
from judicare.errors import Conflict, InvalidInput
from judicare.requests import service, team
from judicare.requests.dates import InvalidDates
from judicare.requests.domain import Confidentiality, LinkType, Urgency
from judicare.requests.schemas import LinkIn, RequestUpdate
from judicare.web import timeline_text
from judicare.web.errors_text import field_problem
from judicare.web.form_limits import schema_limits
from judicare.web.i18n import Translator
from judicare.web.intake import date_errors
from judicare.web.rendering import Pages, PagesDep, flash
from judicare.web.session import check_csrf, current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
WHY = "case handling (web)"
# The form's fields: what `RequestUpdate` lets an officer change after registration.
FIELDS = (
    "urgency",
    "confidentiality",
    "requesting_reference",
    "request_date",
    "requested_execution_date",
    "facts_summary",
    "person_to_serve",
)
# The texts' limits, from the schema the edit is validated against (stated on the form too).
LIMITS = {
    name: schema_limits("RequestUpdate")[name]
    for name in ("requesting_reference", "facts_summary", "person_to_serve")
}

router = APIRouter(include_in_schema=False)


@router.get("/requests/{request_id}/edit")
def edit_page(
    app: AppDep, pages: PagesDep, request: Request, request_id: RequestId, who: Who
) -> Response:
    return _render(app, pages, request, who, request_id)


@router.post("/requests/{request_id}/edit", dependencies=[Depends(check_csrf)])
async def edit(
    app: AppDep, pages: PagesDep, request: Request, request_id: RequestId, who: Who
) -> Response:
    form = await request.form()
    t = Translator(language_of(request))
    typed = {name: str(form.get(name, "")).strip() for name in FIELDS}
    errors, change = _change(t, typed)
    version = str(form.get("version", ""))
    if not errors:
        try:
            with app.unit_of_work() as uow:
                service.update_request(
                    uow.session, who, request_id, change, if_match=f'"{version}"',
                    now=app.now(), why=WHY,
                )  # fmt: skip
                uow.commit()
        except service.PreconditionFailed:
            return _render(app, pages, request, who, request_id, typed=typed, stale=True,
                           status=409)  # fmt: skip
        except InvalidDates as refused:
            errors = date_errors(t, refused.problems)
    if errors:
        return _render(app, pages, request, who, request_id, typed=typed, errors=errors,
                       version=version, status=422)  # fmt: skip
    flash(request, t.gettext("The changes were recorded."), "success")
    return RedirectResponse(f"/requests/{request_id}#timeline-section", status_code=303)


def _change(t: Translator, typed: dict) -> tuple[dict, RequestUpdate | None]:
    """The form's values as a `RequestUpdate`, or the problems next to their fields."""
    errors: dict[str, str] = {}
    values: dict = {}
    for name in ("urgency", "confidentiality"):
        choices = {c.value for c in (Urgency if name == "urgency" else Confidentiality)}
        if typed[name] not in choices:
            errors[name] = field_problem(t, "enum")
        values[name] = typed[name]
    for name in ("request_date", "requested_execution_date"):
        try:
            values[name] = date.fromisoformat(typed[name]) if typed[name] else None
        except ValueError:
            errors[name] = t.gettext("Write the date as YYYY-MM-DD, for example 2026-11-23.")
    for name, limit in LIMITS.items():
        if len(typed[name]) > limit:
            errors[name] = t.gettext(
                "At most %(limit)s characters (now %(count)s).",
                limit=t.number(limit), count=t.number(len(typed[name])),
            )  # fmt: skip
    if not typed["facts_summary"]:
        errors["facts_summary"] = t.gettext("Summarise the facts: this field cannot be empty.")
    values["facts_summary"] = typed["facts_summary"]
    values["requesting_reference"] = typed["requesting_reference"] or None
    values["person_to_serve"] = typed["person_to_serve"]
    if errors:
        return errors, None
    try:
        return {}, RequestUpdate(**values)
    except ValidationError as refused:
        return {str(e["loc"][-1]): field_problem(t, e["type"]) for e in refused.errors()}, None


@router.post("/requests/{request_id}/assign", dependencies=[Depends(check_csrf)])
def assign(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    request_id: RequestId,
    who: Who,
    user: Annotated[str, Form(alias="assign-user", max_length=12)] = "",
) -> Response:
    t = Translator(language_of(request))
    if not user.isdigit():
        errors = {"assign-user": t.gettext("Choose the person to assign the request to.")}
        return _render(app, pages, request, who, request_id, errors=errors, status=422)
    with app.unit_of_work() as uow:
        allowed = {u["id"] for u in team.assignable_users(uow.session, who)}
        if int(user) not in allowed:  # only a case handler of the own authority
            raise InvalidInput(t.gettext("Choose the person to assign the request to."))
        service.assign(uow.session, who, request_id, int(user), now=app.now(), why=WHY)
        uow.commit()
    flash(request, t.gettext("The request was assigned."), "success")
    return RedirectResponse(f"/requests/{request_id}/edit#assign", status_code=303)


@router.post("/requests/{request_id}/links", dependencies=[Depends(check_csrf)])
def link(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    request_id: RequestId,
    who: Who,
    reference: Annotated[str, Form(alias="link-reference", max_length=120)] = "",
    link_type: Annotated[str, Form(alias="link-type", max_length=20)] = "",
    note: Annotated[str, Form(alias="link-note", max_length=2000)] = "",
) -> Response:
    t = Translator(language_of(request))
    typed = {"link-reference": reference, "link-type": link_type, "link-note": note}
    errors = {}
    if not reference.strip():
        errors["link-reference"] = t.gettext("Give the reference of the request to link.")
    if link_type not in {k.value for k in LinkType}:
        errors["link-type"] = t.gettext("Choose how the requests are linked.")
    if not errors:
        try:
            with app.unit_of_work() as uow:
                other = team.request_id_by_reference(uow.session, who, reference)
                service.link_requests(
                    uow.session, who, request_id,
                    LinkIn(to_request_id=other, link_type=LinkType(link_type), note=note),
                    now=app.now(), why=WHY,
                )  # fmt: skip
                uow.commit()
        except Conflict:
            errors["link-reference"] = t.gettext("The requests are already linked in this way.")
        except InvalidInput:
            errors["link-reference"] = t.gettext(
                "No other request you may see has this reference: check it."
            )
    if errors:
        return _render(app, pages, request, who, request_id, errors=errors, typed=typed,
                       status=422)  # fmt: skip
    flash(request, t.gettext("The requests were linked."), "success")
    return RedirectResponse(f"/requests/{request_id}/edit#link", status_code=303)


def _render(
    app: App,
    pages: Pages,
    request: Request,
    who: Principal,
    request_id: int,
    *,
    typed: dict | None = None,
    errors: dict | None = None,
    stale: bool = False,
    version: str | None = None,
    status: int = 200,
) -> Response:
    """The edit page. After a stale edit (`stale`), the form keeps what was typed and
    carries the version now stored; the values now stored are shown beside it."""
    with app.unit_of_work() as uow:
        detail = service.get_request(uow.session, who, request_id, now=app.now(), why=WHY)
        service.load_for(uow.session, who, request_id, Permission.REQUEST_UPDATE)
        users = (
            team.assignable_users(uow.session, who) if can(who, Permission.REQUEST_ASSIGN) else []
        )
        held_by = team.holders(uow.session, request_id)
        uow.commit()
    current = {name: detail.get(name) or "" for name in FIELDS}
    t = Translator(language_of(request))
    return pages.render(
        request,
        "request_edit.html",
        status=status,
        principal=who,
        r=detail,
        values=typed if typed is not None else current,
        current=current,
        stale=stale,
        form_version=detail["version"] if stale or version is None else version,
        errors=errors or {},
        typed=typed or {},
        users=[(str(u["id"]), f"{u['display_name']} ({u['username']})") for u in users],
        held_by=held_by,
        link_types=[k.value for k in LinkType],
        urgencies=[u.value for u in Urgency],
        confidentialities=[c.value for c in Confidentiality],
        field_names=[(name, t.gettext(timeline_text.FIELDS[name])) for name in FIELDS],
        shown={
            side: {n: timeline_text.show_value(t, n, v.get(n)) for n in FIELDS}
            for side, v in (("current", current), ("typed", typed or {}))
        },
        link_names=timeline_text.LINK_TYPES,
    )
