"""The decision forms of the request page: a person-match candidate confirmed or rejected, a
decision proposed with its reasons and citations, and a supervisor's approval (four-eyes).

A refused form draws the request page again (422) with the problem next to its field, in
the officer's language, and everything typed kept.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from judicare.api.deps import AppDep, DecisionId
from judicare.screening import decisions as decision_service
from judicare.screening.service import adjudicate_candidate
from judicare.web.errors_text import field_problem
from judicare.web.i18n import Translator
from judicare.web.rendering import PagesDep, flash
from judicare.web.request_pages import WHY, RequestId, Who, render_request
from judicare.web.session import check_csrf, language_of

CANDIDATE_DECISIONS = ("confirmed", "rejected")


router = APIRouter(include_in_schema=False)


@router.post("/requests/{request_id}/candidates", dependencies=[Depends(check_csrf)])
def candidate(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    request_id: RequestId,
    who: Who,
    person: Annotated[int, Form(ge=0, le=1000)],
    register_name: Annotated[str, Form(alias="register", max_length=120)],
    entry: Annotated[str, Form(max_length=200)],
    decision: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    t = Translator(language_of(request))
    errors = _candidate_problems(t, decision, reason)
    if errors:
        typed = {"person": person, "register": register_name, "entry": entry,
                 "decision": decision, "reason": reason}  # fmt: skip
        return render_request(
            app, pages, request, who, request_id, errors=errors, typed=typed, status=422
        )
    with app.unit_of_work() as uow:
        adjudicate_candidate(
            uow.session, who, request_id, person=person, register=register_name,
            external_id=entry, decision=decision, reason=reason, now=app.now(),
        )  # fmt: skip
        uow.commit()
    flash(request, t.gettext("Your decision on the candidate was recorded."), "success")
    return RedirectResponse(f"/requests/{request_id}#screening", status_code=303)


@router.post("/requests/{request_id}/decisions", dependencies=[Depends(check_csrf)])
async def decide(
    app: AppDep, pages: PagesDep, request: Request, request_id: RequestId, who: Who
) -> Response:
    t = Translator(language_of(request))
    form = await request.form()
    typed = _decision_typed(form)
    body, errors = _decision_body(t, typed)
    typed["confirm-refusal"] = form.get("confirm-refusal") == "yes"
    if typed["outcome"] == "refuse" and not typed["confirm-refusal"]:
        errors["confirm-refusal"] = t.gettext(
            "Tick the box to confirm the refusal: once in effect it cannot be undone."
        )
    if errors:
        return await run_in_threadpool(
            render_request, app, pages, request, who, request_id,
            errors=errors, typed=typed, status=422,
        )  # fmt: skip

    def propose() -> dict:
        with app.unit_of_work() as uow:
            result = decision_service.propose(
                uow.session, who, app.basis.get(uow.session), request_id, body,
                now=app.now(), why=WHY,
            )  # fmt: skip
            uow.commit()
            return result

    result = await run_in_threadpool(propose)
    if result["status"] == "pending_approval":
        flash(request, t.gettext("Decision recorded. It takes effect only when a "
                                 "supervisor approves it."), "warning")  # fmt: skip
    else:
        flash(request, t.gettext("Decision recorded and in effect."), "success")
    return RedirectResponse(f"/requests/{request_id}#decision", status_code=303)


@router.post("/requests/{request_id}/decision-drafts", dependencies=[Depends(check_csrf)])
async def prepare_draft(
    app: AppDep, pages: PagesDep, request: Request, request_id: RequestId, who: Who
) -> Response:
    """An officer's draft decision, checked as a decision is, handed to a reviewer."""
    t = Translator(language_of(request))
    typed = _decision_typed(await request.form())
    body, errors = _decision_body(t, typed)
    if errors:
        return await run_in_threadpool(
            render_request, app, pages, request, who, request_id,
            errors=errors, typed=typed, status=422,
        )  # fmt: skip

    def prepare() -> None:
        with app.unit_of_work() as uow:
            decision_service.prepare_draft(
                uow.session, who, app.basis.get(uow.session), request_id, body,
                now=app.now(), why=WHY,
            )  # fmt: skip
            uow.commit()

    await run_in_threadpool(prepare)
    flash(request, t.gettext("Draft decision handed to a reviewer. It has no effect until a "
                             "reviewer or supervisor proposes it."), "success")  # fmt: skip
    return RedirectResponse(f"/requests/{request_id}#decision", status_code=303)


@router.post("/decision-drafts/{draft_id}/review", dependencies=[Depends(check_csrf)])
def review_draft(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    draft_id: DecisionId,
    who: Who,
    request_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    action: Annotated[str, Form(pattern="^(propose|return)$")],
    note: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    t = Translator(language_of(request))
    if action == "return" and not note.strip():
        field = f"review-note-{draft_id}"
        errors = {field: t.gettext("Say why the draft is sent back.")}
        return render_request(
            app, pages, request, who, request_id,
            errors=errors, typed={field: note}, status=422,
        )  # fmt: skip
    body = decision_service.DraftReviewIn(action=action, note=note)
    with app.unit_of_work() as uow:
        result = decision_service.review_draft(
            uow.session, who, app.basis.get(uow.session), draft_id, body, now=app.now(), why=WHY
        )
        uow.commit()
    if result["status"] == "returned":
        flash(request, t.gettext("The draft was sent back to its author."), "success")
    else:
        flash(request, t.gettext("The draft was proposed as the decision."), "success")
    return RedirectResponse(f"/requests/{request_id}#decision", status_code=303)


@router.post("/decisions/{decision_id}/approval", dependencies=[Depends(check_csrf)])
def approval(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    decision_id: DecisionId,
    who: Who,
    request_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    approve: Annotated[str, Form(pattern="^(yes|no)$")],
    note: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    t = Translator(language_of(request))
    if not note.strip():
        field = f"note-{decision_id}"
        errors = {field: t.gettext("Give a note with your approval or rejection.")}
        return render_request(
            app, pages, request, who, request_id,
            errors=errors, typed={field: note}, status=422,
        )  # fmt: skip
    body = decision_service.ApprovalIn(approve=approve == "yes", note=note)
    with app.unit_of_work() as uow:
        decision_service.approve(uow.session, who, decision_id, body, now=app.now(), why=WHY)
        uow.commit()
    flash(request, t.gettext("Your approval was recorded."), "success")
    return RedirectResponse(f"/requests/{request_id}#decision", status_code=303)


def _candidate_problems(t: Translator, decision: str, reason: str) -> dict:
    errors = {}
    if decision not in CANDIDATE_DECISIONS:
        errors["decision"] = t.gettext("Choose whether this is the same person or not.")
    if not reason.strip():
        errors["reason"] = t.gettext("A decision on a candidate needs its reason.")
    return errors


def _decision_typed(form) -> dict:
    """The decision form as typed, to validate and, if refused, to show again."""
    text = {name: str(form.get(name, "")) for name in
            ("outcome", "reasons", "instrument", "article", "conditions")}  # fmt: skip
    findings = [f for f in form.getlist("finding") if isinstance(f, str)]
    return {**text, "finding": findings, "consulted": form.get("consulted") == "yes"}


def _decision_body(t: Translator, typed: dict):
    """(DecisionIn, {}) or (None, {field: problem in the officer's language})."""
    citations = [{"finding": f} for f in typed["finding"]]
    instrument, article = typed["instrument"].strip(), typed["article"].strip()
    if instrument:
        citations.append({"instrument": instrument, "article": article})
    errors = {}
    if instrument and not article:
        errors["article"] = t.gettext("Give the article of the instrument cited.")
    try:
        body = decision_service.DecisionIn(
            outcome=typed["outcome"],
            reasons=typed["reasons"],
            citations=citations,
            conditions=typed["conditions"],
            consulted=typed["consulted"],
        )
    except ValidationError as invalid:
        for problem in invalid.errors():
            field = str(problem["loc"][0]) if problem.get("loc") else "outcome"
            limit = (problem.get("ctx") or {}).get("max_length")
            errors.setdefault(field, _decision_problem(t, field, problem["type"], limit))
        return None, errors
    return (None, errors) if errors else (body, {})


def _decision_problem(t: Translator, field: str, error_type: str, limit=None) -> str:
    if field == "reasons" and error_type != "string_too_long":
        return t.gettext("A decision needs its reasons.")
    if field == "citations":
        return t.gettext("Cite at least one finding, or an instrument and article.")
    if field == "outcome":
        return t.gettext("Choose the outcome of the decision.")
    return field_problem(t, error_type, limit)
