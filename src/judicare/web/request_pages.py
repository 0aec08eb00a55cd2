"""The request list (filters, search) and the request page: parties, crimes, measures,
persons, documents, screening report, person-match candidates, decisions with four-eyes
approval, lifecycle steps and the timeline from the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from judicare.app import App
from judicare.auth.permissions import Permission, Principal
from judicare.errors import InvalidInput, JudicareError
from judicare.legal_basis.domain import CooperationKind
from judicare.persons.service import adjudicate
from judicare.requests import documents as document_service
from judicare.requests import queries, service
from judicare.requests.domain import TRANSITIONS, RequestStatus
from judicare.requests.schemas import TransitionIn
from judicare.screening import decisions as decision_service
from judicare.screening.service import candidates_for, screen_stored
from judicare.states import resolve_state
from judicare.web.errors_text import field_problem
from judicare.web.i18n import Translator
from judicare.web.intake import crime_choices
from judicare.web.readings import machine_readings
from judicare.web.rendering import Pages, flash
from judicare.web.session import check_csrf, current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
RequestId = Annotated[int, Path(ge=1, le=2_147_483_647)]
WHY = "case handling (web)"
PAGE_SIZE = 25


def router(app: App, pages: Pages) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/requests")
    def request_list(
        request: Request,
        who: Who,
        status: RequestStatus | None = None,
        state: Annotated[str | None, Query(max_length=3)] = None,
        kind: CooperationKind | None = None,
        overdue: Annotated[str | None, Query(max_length=5)] = None,
        person: Annotated[str | None, Query(max_length=200)] = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> Response:
        chosen = {
            "status": status.value if status else "",
            "state": (state or "").strip(),
            "kind": kind.value if kind else "",
            "overdue": overdue or "",
            "person": (person or "").strip(),
            "q": (q or "").strip(),
        }
        errors = {}
        if chosen["state"]:
            try:
                resolve_state(chosen["state"])
            except JudicareError:
                errors["state"] = field_problem(Translator(language_of(request)), "unknown_state")
        filters = queries.RequestFilters(
            status,
            None if errors else chosen["state"] or None,
            chosen["kind"] or None,
            {"yes": True, "no": False}.get(chosen["overdue"]),
            chosen["person"] if len(chosen["person"]) >= 2 else None,
            chosen["q"] or None,
            PAGE_SIZE,
            (page - 1) * PAGE_SIZE,
        )
        with app.unit_of_work() as uow:
            result = queries.list_requests(
                uow.session, who, filters, today=app.clock.today(), now=app.now(), why=WHY
            )
            uow.commit()
        template = "request_table.html" if request.headers.get("hx-request") else "requests.html"
        return pages.render(
            request,
            template,
            principal=who,
            result=result,
            chosen=chosen,
            errors=errors,
            page=page,
            pages_total=max(1, -(-result["total"] // PAGE_SIZE)),
            statuses=[s.value for s in RequestStatus],
            kinds=[k.value for k in CooperationKind],
        )

    @web.get("/requests/{request_id}")
    def request_page(request: Request, request_id: RequestId, who: Who) -> Response:
        with app.unit_of_work() as uow:
            detail = service.get_request(uow.session, who, request_id, now=app.now(), why=WHY)
            decisions = decision_service.decisions_on(uow.session, who, request_id)
            follow_ups = decision_service.follow_ups(uow.session, who, request_id)
            timeline = queries.timeline(uow.session, who, request_id)
            uow.commit()
        for person in detail["persons"]:
            person["readings"] = machine_readings(
                [n["name"] for n in person["names"] if n["form"] == "original"]
            )
        return pages.render(
            request,
            "request.html",
            principal=who,
            r=detail,
            decisions=decisions,
            pending=[d for d in decisions if d["status"] == "pending_approval"],
            follow_ups=follow_ups,
            timeline=timeline,
            crime_titles=dict(crime_choices()),
            next_statuses=sorted(s.value for s in TRANSITIONS[RequestStatus(detail["status"])]),
            outcomes=[o.value for o in decision_service.Outcome],
        )

    @web.get("/requests/{request_id}/screening")
    def screening(request: Request, request_id: RequestId, who: Who) -> Response:
        """The screening report with the person-match candidates (loaded by HTMX)."""
        with app.unit_of_work() as uow:
            report = screen_stored(
                uow.session, app.basis.get(uow.session), who, request_id, now=app.now(), why=WHY
            )
            people = candidates_for(uow.session, who, request_id)
            uow.commit()
        requesting = report["legal_basis"]["requesting"]
        for person in people:  # a persecution risk first, whatever its score
            person["candidates"].sort(
                key=lambda c: (c.get("country_of_feared_persecution") != requesting, -c["score"])
            )
        template = "screening.html" if request.headers.get("hx-request") else "screening_page.html"
        return pages.render(
            request, template, principal=who, report=report, people=people, rid=request_id
        )

    @web.post("/requests/{request_id}/transitions", dependencies=[Depends(check_csrf)])
    def transition(
        request: Request,
        request_id: RequestId,
        who: Who,
        status: Annotated[str, Form(max_length=40)],
        version: Annotated[int, Form(ge=1)],
        reasons: Annotated[str, Form(max_length=20000)] = "",
    ) -> Response:
        t = Translator(language_of(request))
        try:
            body = TransitionIn(status=status, reasons=reasons)
        except ValidationError:
            raise InvalidInput(f"unknown status {status!r}") from None
        with app.unit_of_work() as uow:
            service.transition_request(
                uow.session, who, request_id, body, if_match=f'"{version}"', now=app.now(), why=WHY
            )
            uow.commit()
        flash(request, t.gettext("The request's status was changed."), "success")
        return RedirectResponse(f"/requests/{request_id}", status_code=303)

    @web.post("/requests/{request_id}/candidates", dependencies=[Depends(check_csrf)])
    def candidate(
        request: Request,
        request_id: RequestId,
        who: Who,
        person: Annotated[int, Form(ge=0, le=1000)],
        register_name: Annotated[str, Form(alias="register", max_length=120)],
        entry: Annotated[str, Form(max_length=200)],
        decision: Annotated[str, Form(pattern="^(confirmed|rejected)$")],
        reason: Annotated[str, Form(max_length=4000)] = "",
    ) -> Response:
        t = Translator(language_of(request))
        if not reason.strip():
            flash(request, t.gettext("A decision on a candidate needs its reason."), "error")
            return RedirectResponse(f"/requests/{request_id}#screening", status_code=303)
        with app.unit_of_work() as uow:
            row = service.load_for(uow.session, who, request_id, Permission.REQUEST_UPDATE)
            if person >= len(row.persons):
                raise InvalidInput(f"request {request_id} has no person number {person}")
            names = tuple(n.name for n in row.persons[person].names)
            adjudicate(
                uow.session,
                names=names,
                register=register_name,
                external_id=entry,
                decision=decision,
                reason=reason,
                actor=who.username,
                now=app.now(),
            )
            uow.commit()
        flash(request, t.gettext("Your decision on the candidate was recorded."), "success")
        return RedirectResponse(f"/requests/{request_id}#screening", status_code=303)

    @web.post("/requests/{request_id}/decisions", dependencies=[Depends(check_csrf)])
    async def decide(request: Request, request_id: RequestId, who: Who) -> Response:
        form = await request.form()
        t = Translator(language_of(request))
        citations = [{"finding": f} for f in form.getlist("finding") if isinstance(f, str)]
        instrument = str(form.get("instrument", "")).strip()
        if instrument:
            citations.append({"instrument": instrument, "article": str(form.get("article", ""))})
        try:
            body = decision_service.DecisionIn(
                outcome=str(form.get("outcome", "")),
                reasons=str(form.get("reasons", "")),
                citations=citations,
                conditions=str(form.get("conditions", "")),
                consulted=form.get("consulted") == "yes",
            )
        except ValidationError as invalid:
            fields = {str(e["loc"][0]) for e in invalid.errors() if e.get("loc")}
            flash(request, _decision_problem(t, fields), "error")
            return RedirectResponse(f"/requests/{request_id}#decision", status_code=303)

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

    @web.post("/decisions/{decision_id}/approval", dependencies=[Depends(check_csrf)])
    def approval(
        request: Request,
        decision_id: RequestId,
        who: Who,
        request_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
        approve: Annotated[str, Form(pattern="^(yes|no)$")],
        note: Annotated[str, Form(max_length=8000)] = "",
    ) -> Response:
        t = Translator(language_of(request))
        if not note.strip():
            flash(request, t.gettext("Give a note with your approval or rejection."), "error")
            return RedirectResponse(f"/requests/{request_id}#decision", status_code=303)
        body = decision_service.ApprovalIn(approve=approve == "yes", note=note)
        with app.unit_of_work() as uow:
            decision_service.approve(uow.session, who, decision_id, body, now=app.now(), why=WHY)
            uow.commit()
        flash(request, t.gettext("Your approval was recorded."), "success")
        return RedirectResponse(f"/requests/{request_id}#decision", status_code=303)

    @web.post("/requests/{request_id}/documents", dependencies=[Depends(check_csrf)])
    async def upload(
        request: Request, request_id: RequestId, who: Who, file: Annotated[UploadFile, File()]
    ) -> Response:
        t = Translator(language_of(request))
        body = await file.read(app.settings.max_upload_bytes + 1)
        if not file.filename or not body:
            flash(request, t.gettext("Choose a file to upload."), "error")
            return RedirectResponse(f"/requests/{request_id}#documents", status_code=303)
        await run_in_threadpool(
            document_service.upload_document,
            app,
            who,
            request_id,
            file.filename[:255],
            file.content_type or "application/octet-stream",
            body,
            WHY,
        )
        flash(request, t.gettext("The document was added."), "success")
        return RedirectResponse(f"/requests/{request_id}#documents", status_code=303)

    @web.get("/requests/{request_id}/documents/{document_id}")
    def download(request_id: RequestId, document_id: RequestId, who: Who) -> Response:
        media_type, content = document_service.read_document(app, who, request_id, document_id, WHY)
        return Response(
            content=content,
            media_type=media_type,
            headers={"Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff"},
        )

    return web


def _decision_problem(t: Translator, fields: set[str]) -> str:
    if "reasons" in fields:
        return t.gettext("A decision needs its reasons.")
    if "citations" in fields:
        return t.gettext("Cite at least one finding, or an instrument and article.")
    return t.gettext("Choose the outcome of the decision.")
