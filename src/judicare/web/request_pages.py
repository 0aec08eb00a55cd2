"""The request list (filters, search) and the request page: parties, crimes, measures,
persons, documents, screening report, person-match candidates, the decision forms, lifecycle
steps and the timeline from the audit trail.

The forms of the request page post to `decision_pages` and `document_pages`; when one is
refused, they draw the page again with `render_request`, the problem next to its field and
everything typed still in the form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import selectinload

from judicare.api.deps import AppDep, RequestId
from judicare.app import App
from judicare.auth.permissions import Forbidden, Principal
from judicare.competing import service as competing_service
from judicare.errors import InvalidInput, JudicareError
from judicare.evidence import service as evidence_service
from judicare.exchange import correspondence
from judicare.exchange.peers import list_peers
from judicare.formal_documents.service import kinds_for as formal_kinds_for
from judicare.legal_basis.domain import CooperationKind
from judicare.prevention import desk as prevention_desk
from judicare.prosecution import service as prosecution_service
from judicare.requests import queries, service
from judicare.requests.access import scopes_kept
from judicare.requests.domain import DECISIONS, TRANSITIONS, RequestStatus
from judicare.requests.models import RequestPersonRow, RequestRow
from judicare.requests.schemas import BasisChoiceIn, TransitionIn
from judicare.requests.timeline import EntryKind
from judicare.requests.timeline import build as build_timeline
from judicare.requests.timeline import counts as timeline_counts
from judicare.screening import decisions as decision_service
from judicare.screening.next_step import next_step
from judicare.screening.service import candidates_for, screen_stored
from judicare.states import state_name
from judicare.web import request_lists, timeline_text
from judicare.web.freshness import freshness_headers, freshness_note
from judicare.web.i18n import Translator
from judicare.web.intake import crime_choices
from judicare.web.readings import machine_readings
from judicare.web.rendering import Pages, PagesDep, flash
from judicare.web.session import check_csrf, current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
WHY = "case handling (web)"
PAGE_SIZE = 25
COUNTED_AHEAD = 1000  # the list counts this many requests past the page, then "more than"
# The request with its parts, each table in one statement (not one per person).
_PERSONS = selectinload(RequestRow.persons)
WHOLE_REQUEST = [selectinload(RequestRow.measures), selectinload(RequestRow.deadlines),
                 _PERSONS.selectinload(RequestPersonRow.names),
                 _PERSONS.selectinload(RequestPersonRow.documents)]  # fmt: skip
COMPETING_SHOWN = 50  # the closest competing requests on the page (all: the API's)
# Steps that cannot be undone: on the web they need a reason and an explicit confirmation.
IRREVERSIBLE = frozenset({RequestStatus.WITHDRAWN, RequestStatus.CLOSED})


router = APIRouter(include_in_schema=False)


@router.get("/requests")
def request_list(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    who: Who,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The list: filters (`request_lists.NAMES`), sorting by column, a CSV of the same."""
    chosen = request_lists.chosen_of(request.query_params)
    errors = request_lists.problems(Translator(language_of(request)), chosen)
    result: dict = {"items": [], "total": 0, "total_capped": False}
    # From the replica when one is configured; a search by name is audited: the primary.
    reading, freshness = app.reading(writes=bool(chosen["person"]) and not errors)
    with reading as uow:
        if not errors:  # a filter we cannot apply lists nothing rather than everything
            filters = request_lists.filters_of(
                chosen, who, PAGE_SIZE, (page - 1) * PAGE_SIZE, count_limit=COUNTED_AHEAD
            )
            result = queries.list_requests(
                uow.session, who, filters, today=app.clock.today(), now=app.now(), why=WHY
            )
        offered = request_lists.list_context(uow.session, who, chosen)
        uow.commit()
    template = "request_table.html" if request.headers.get("hx-request") else "requests.html"
    response = pages.render(
        request,
        template,
        principal=who,  # 200 even with errors: HTMX swaps only a 2xx answer
        freshness=freshness_note(Translator(language_of(request)), freshness),
        result=result,
        chosen=chosen,
        errors=errors,
        page=page,
        pages_total=max(1, -(-result["total"] // PAGE_SIZE)),
        statuses=[s.value for s in RequestStatus],
        kinds=[k.value for k in CooperationKind],
        state_name=lambda code: state_name(code, language_of(request)),
        **offered,
    )
    response.headers.update(freshness_headers(freshness))
    return response


@router.get("/requests/{request_id}")
def request_page(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    request_id: RequestId,
    who: Who,
    shown: Annotated[str | None, Query(alias="timeline", max_length=20)] = None,
) -> Response:
    """The case file; `?timeline=<kind>` shows only that kind of event in the timeline."""
    if shown and shown not in {k.value for k in EntryKind}:
        t = Translator(language_of(request))
        raise InvalidInput(
            t.gettext("Unknown kind of event %(kind)s: choose one of the list.", kind=shown)
        )
    return render_request(app, pages, request, who, request_id, shown=shown or "")


@router.get("/requests/{request_id}/screening")
def screening(
    app: AppDep, pages: PagesDep, request: Request, request_id: RequestId, who: Who
) -> Response:
    """The screening report with the person-match candidates (loaded by HTMX)."""
    template = "screening.html" if request.headers.get("hx-request") else "screening_page.html"
    return pages.render(
        request, template, principal=who, errors={}, typed={},
        state_name=lambda code: state_name(code, language_of(request)),
        **screening_context(app, who, request_id),
    )  # fmt: skip


@router.post("/requests/{request_id}/transitions", dependencies=[Depends(check_csrf)])
def transition(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    request_id: RequestId,
    who: Who,
    version: Annotated[int, Form(ge=1)],
    status: Annotated[str, Form(max_length=40)] = "",
    reasons: Annotated[str, Form(max_length=20000)] = "",
    confirm: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    t = Translator(language_of(request))
    errors = _transition_problems(t, status, reasons, confirm)
    if errors:
        typed = {"next-status": status, "transition-reasons": reasons}
        return render_request(
            app, pages, request, who, request_id, errors=errors, typed=typed, status=422
        )
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


def _transition_problems(t: Translator, status: str, reasons: str, confirm: str) -> dict:
    """An irreversible step (withdrawal, closing) needs its reason and an explicit
    confirmation; no step is taken by default."""
    if not status:
        return {"next-status": t.gettext("Choose the step to take.")}
    errors = {}
    if status in IRREVERSIBLE:
        if not reasons.strip():
            errors["transition-reasons"] = t.gettext("Give the reason: this step cannot be undone.")
        if confirm != "yes":
            errors["transition-confirm"] = t.gettext(
                "Tick the box to confirm: this step cannot be undone."
            )
    return errors


@router.post("/requests/{request_id}/legal-basis", dependencies=[Depends(check_csrf)])
def choose_basis(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    request_id: RequestId,
    who: Who,
    version: Annotated[int, Form(ge=1)],
    instrument: Annotated[str, Form(alias="basis-instrument", max_length=64)] = "",
    reason: Annotated[str, Form(alias="basis-reason", max_length=4000)] = "",
) -> Response:
    """The legal basis chosen among those resolved, with a reason (`service.choose_legal_basis`)."""
    t = Translator(language_of(request))
    typed = {"basis-instrument": instrument, "basis-reason": reason}
    errors = {}
    if not instrument.strip():
        errors["basis-instrument"] = t.gettext("Choose one of the legal bases resolved.")
    if len(reason.strip()) < 3:
        errors["basis-reason"] = t.gettext(
            "Give the reason for this choice (3 characters at least)."
        )
    if not errors:
        try:
            with app.unit_of_work() as uow:
                service.choose_legal_basis(
                    uow.session, who, request_id,
                    BasisChoiceIn(instrument=instrument, reason=reason),
                    if_match=f'"{version}"', now=app.now(), why=WHY,
                )  # fmt: skip
                uow.commit()
        except service.PreconditionFailed:
            errors["basis-instrument"] = t.gettext(
                "The request was changed meanwhile by someone else: check it and choose again."
            )
        except InvalidInput as refused:  # not among those resolved, or already the basis
            errors["basis-instrument"] = refused.message
        except JudicareError as refused:
            if refused.http_status != 409:
                raise
            errors["basis-instrument"] = t.gettext("This is already the request's legal basis.")
    if errors:
        return render_request(
            app, pages, request, who, request_id, errors=errors, typed=typed, status=422
        )
    flash(request, t.gettext("The legal basis was recorded."), "success")
    return RedirectResponse(f"/requests/{request_id}#legal-basis", status_code=303)


def screening_context(app: App, who: Principal, request_id: int) -> dict:
    """The screening report and each person's candidates, a persecution risk first."""
    with app.unit_of_work() as uow, scopes_kept(uow.session):
        # The request with its parts in one statement a table, held for the page (as
        # `render_request` does): the report and the candidates each read it, and its
        # persons' names were read one person at a time; its scope is read once.
        held = uow.session.get(RequestRow, request_id, options=WHOLE_REQUEST)
        report = screen_stored(
            uow.session, app.basis.get(uow.session), who, request_id, now=app.now(), why=WHY
        )
        people = candidates_for(uow.session, who, request_id)
        requesting = report["legal_basis"]["requesting"]
        risk = prevention_desk.request_context(uow.session, who, requesting)
        uow.commit()
        del held
    for person in people:  # a persecution risk first, whatever its score
        person["candidates"].sort(
            key=lambda c: (c.get("country_of_feared_persecution") != requesting, -c["score"])
        )
    return {"report": report, "people": people, "rid": request_id, "state_risk": risk}


def render_request(
    app: App,
    pages: Pages,
    request: Request,
    who: Principal,
    request_id: int,
    *,
    errors: dict | None = None,
    typed: dict | None = None,
    status: int = 200,
    shown: str = "",
) -> Response:
    """The request page. With `errors` (a refused form), the screening report is drawn in
    the page itself, so that the candidates and the findings to cite keep what was typed."""
    with app.unit_of_work() as uow, scopes_kept(uow.session):
        # Held for the whole page: the session's identity map keeps only what is referenced,
        # so without it each part below read the request, its persons, names and deadlines
        # again (nothing is shown from it here: each part checks need-to-know itself).
        held = uow.session.get(RequestRow, request_id, options=WHOLE_REQUEST)
        detail = service.get_request(uow.session, who, request_id, now=app.now(), why=WHY)
        decisions = decision_service.decisions_on(uow.session, who, request_id)
        drafts = decision_service.drafts_on(uow.session, who, request_id)
        drafted_by_of = decision_service.draft_authors(uow.session, who, request_id)
        follow_ups = decision_service.follow_ups(uow.session, who, request_id)
        timeline = queries.timeline(uow.session, who, request_id)
        exchange = exchange_context(uow.session, who, request_id, detail, app.now())
        formal = formal_documents_context(uow.session, who, request_id)
        evidence = evidence_service.items_on_page(uow.session, who, request_id)
        competing = competing_service.competing_view(uow.session, who, request_id, now=app.now(),
                                                     why=WHY, limit=COMPETING_SHOWN)  # fmt: skip
        obligations = prosecution_service.obligations_on(uow.session, who, request_id,
                                                         today=app.clock.today())  # fmt: skip
        uow.commit()
        del held
    for person in detail["persons"]:
        person["readings"] = machine_readings(
            [n["name"] for n in person["names"] if n["form"] == "original"]
        )
    screening = screening_context(app, who, request_id) if errors else {}
    pending = [d for d in decisions if d["status"] == "pending_approval"]
    awaiting = [d for d in drafts if d["status"] == "awaiting_review"]
    return pages.render(
        request,
        "request.html",
        status=status,
        principal=who,
        r=detail,
        state_name=lambda code: state_name(code, language_of(request)),
        decisions=decisions,
        pending=pending,
        drafts=drafts,
        drafted_by_of=drafted_by_of,
        next=next_step(who, detail["status"], pending, awaiting, drafted_by_of),
        irreversible=sorted(s.value for s in IRREVERSIBLE),
        follow_ups=follow_ups,
        evidence=evidence,
        timeline=_timeline(Translator(language_of(request)), timeline, shown),
        timeline_shown=shown,
        timeline_kinds=[(k, t_kind) for k, t_kind in timeline_text.KINDS.items()],
        crime_titles=dict(crime_choices()),
        next_statuses=sorted(  # a decision's status comes from the decision form only
            s.value for s in TRANSITIONS[RequestStatus(detail["status"])] - DECISIONS
        ),
        outcomes=[o.value for o in decision_service.Outcome],
        errors=errors or {},
        typed=typed or {},
        inline_screening=bool(screening),
        competing=competing,
        obligations=obligations,
        **exchange,
        **formal,
        **screening,
    )


def formal_documents_context(session, who: Principal, request_id: int) -> dict:
    """The formal documents that fit the request (none for a role that may not read its
    documents); downloaded through `formal_document_pages`."""
    try:
        return {"formal_kinds": formal_kinds_for(session, who, request_id)}
    except Forbidden:
        return {"formal_kinds": []}


def _timeline(t: Translator, events: list[dict], shown: str) -> dict:
    """The timeline in words, reads folded, only the kind shown (if one is chosen)."""
    statuses = frozenset(s.value for s in RequestStatus)
    entries = build_timeline(events, statuses, EntryKind(shown) if shown else None)
    for entry in entries:
        entry["text"] = timeline_text.describe(t, entry)
        entry["changes"] = timeline_text.changes(t, entry)
    return {"entries": entries[::-1], "counts": timeline_counts(events, statuses)}


def exchange_context(session, who: Principal, request_id: int, detail: dict, now) -> dict:
    """The request's correspondence with the other node (read, and audited, only if it
    travelled), and what the send form offers: the active peers, the requests already sent
    that this one could supplement, the documents an answer could carry."""
    travelled = correspondence.has_messages(session, request_id)
    letters = (
        correspondence.correspondence(session, who, request_id, now=now, why=WHY)
        if travelled
        else {"messages": [], "peer_status": None}
    )
    received = any(
        m["direction"] == "received" and m["type"] in ("request", "supplementary_request")
        for m in letters["messages"]
    )
    outgoing = detail["direction"] == "outgoing"
    sent = correspondence.requests_sent(session, who, exclude=request_id) if outgoing else []
    return {
        "letters": letters,
        "received_through_exchange": received,
        "peers": [
            (p["node_id"], f"{p['node_id']} ({p['state']}, {p['authority']})")
            for p in (list_peers(session) if outgoing else [])
            if p["active"]
        ],
        "sent_before": [(str(s["id"]), f"{s['reference']} → {s['peer']}") for s in sent],
    }
