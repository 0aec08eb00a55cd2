"""Saved drafts of the outgoing wizard (`drafts.service`), in the browser: "Save the draft"
on every step, "My drafts" on the dashboard and at the wizard's start, resume at the step
left with every field and chosen document, discard. Documents chosen at the review step are
held with the draft, so going to another step keeps them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from judicare.api.deps import AppDep
from judicare.app import App
from judicare.auth.permissions import Permission, Principal, authorize
from judicare.drafts import service as drafts
from judicare.web.i18n import Translator
from judicare.web.intake_documents import FORM_UPLOADS, Attachment
from judicare.web.rendering import flash
from judicare.web.session import check_csrf, current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
WHY = "draft of an outgoing request (web)"

router = APIRouter(include_in_schema=False)


def content_of(draft) -> dict:
    """What a draft keeps: the wizard's own fields, as typed, and nothing else."""
    return {
        "values": dict(draft.values),
        "crimes": list(draft.crimes),
        "measures": list(draft.measures),
        "persons": [dict(p) for p in draft.persons],
        "reached": draft.reached,
        "key": draft.key,
    }


def restore(draft, saved: drafts.SavedDraft, scalars, person_fields) -> None:
    """Fill `draft` (an intake Draft) from a saved one; fields the wizard no longer has are
    dropped, fields it has gained are empty."""
    content = saved.content
    values = content.get("values") or {}
    draft.values = {name: str(values.get(name, "")) for name in scalars}
    draft.values["direction"] = "outgoing"
    draft.crimes = [str(c) for c in content.get("crimes") or []]
    draft.measures = [str(m) for m in content.get("measures") or []]
    draft.persons = [
        {f: str(p.get(f, "")) for f in person_fields} for p in content.get("persons") or []
    ] or [dict.fromkeys(person_fields, "")]
    draft.step = saved.step
    draft.reached = max(int(content.get("reached") or 0), saved.step)
    draft.key = str(content.get("key") or draft.key)
    draft.draft_id = saved.id
    draft.held = [(f.id, f.filename, f.size) for f in saved.files]
    draft.expires = saved.expires_at


def title_of(draft) -> str:
    """The draft's name in "My drafts": the national case reference, else nothing (the page
    shows the kind, the requested state and when it was saved)."""
    return draft.values.get("case_reference", "")


def save(app: App, who: Principal, draft, files: list[Attachment]) -> drafts.SavedDraft:
    with app.unit_of_work() as uow:
        saved = drafts.save_draft(
            uow.session, who, draft_id=draft.draft_id, step=draft.step,
            content=content_of(draft), title=title_of(draft), files=files,
            max_bytes=app.settings.max_upload_bytes * FORM_UPLOADS, now=app.now(), why=WHY,
        )  # fmt: skip
        uow.commit()
    return saved


def load(app: App, who: Principal, draft_id: int) -> drafts.SavedDraft:
    with app.unit_of_work() as uow:
        return drafts.load_draft(uow.session, who, draft_id, now=app.now())


def held_attachments(app: App, who: Principal, draft_id: int | None) -> list[Attachment]:
    if draft_id is None:
        return []
    return [Attachment(f.filename, f.media_type, f.content) for f in load(app, who, draft_id).files]


def drop_file(app: App, who: Principal, draft_id: int, file_id: int) -> None:
    with app.unit_of_work() as uow:
        drafts.drop_file(uow.session, who, draft_id, file_id, now=app.now())
        uow.commit()


def registered(app: App, who: Principal, draft_id: int | None) -> None:
    """The request is registered: its draft goes (its documents are the request's now)."""
    if draft_id is None:
        return
    with app.unit_of_work() as uow:
        drafts.discard_draft(uow.session, who, draft_id, now=app.now(),
                             why=WHY, registered=True)  # fmt: skip
        uow.commit()


def my_drafts(app: App, who: Principal) -> list[dict]:
    """The user's drafts as "My drafts" lists them: kind, requested state, reference, the
    step it was left at, when saved and until when it is kept."""
    from judicare.web.intake import steps_for

    with app.unit_of_work() as uow:
        found = drafts.my_drafts(uow.session, who, now=app.now())
    listed = []
    for d in found:
        values = d.content.get("values") or {}
        steps = steps_for(values.get("kind"))
        listed.append({
            "id": d.id, "kind": values.get("kind", ""),
            "requested_state": values.get("requested_state", ""), "title": d.title,
            "step": steps[min(d.step, len(steps) - 1)][1], "saved": d.updated_at,
            "expires": d.expires_at, "files": d.files,
        })  # fmt: skip
    return listed


def saved_note(t: Translator, expires: datetime) -> str:
    return t.gettext(
        "The draft was saved. Only you can see it, under “My drafts”; it is kept until "
        "%(date)s unless you save it again.",
        date=t.date(expires.date().isoformat()),
    )


@router.get("/requests/drafts/{draft_id}")
async def resume(request: Request, who: Who, draft_id: int, app: AppDep) -> Response:
    """The wizard at the step the draft was saved at, with its fields and documents."""
    from judicare.web.intake import PERSON_FIELDS, SCALARS, Draft, form_page

    authorize(who, Permission.REQUEST_CREATE)
    saved = await run_in_threadpool(load, app, who, draft_id)
    draft = Draft()
    restore(draft, saved, SCALARS, PERSON_FIELDS)
    return await run_in_threadpool(form_page, request, who, draft)


@router.post("/requests/drafts/{draft_id}/discard", dependencies=[Depends(check_csrf)])
async def discard(request: Request, who: Who, draft_id: int, app: AppDep) -> Response:
    authorize(who, Permission.REQUEST_CREATE)

    def work() -> None:
        with app.unit_of_work() as uow:
            drafts.discard_draft(uow.session, who, draft_id, now=app.now(), why=WHY)
            uow.commit()

    await run_in_threadpool(work)
    t = Translator(language_of(request))
    flash(request, t.gettext("The draft was discarded."), "success")
    from_dashboard = request.query_params.get("back") == "dashboard"
    back = "/" if from_dashboard else "/requests/new?direction=outgoing"
    return RedirectResponse(back, status_code=303)
