"""The request page's correspondence forms: send an outgoing request (or a supplementary
request) to the other state's node, answer a request received through the exchange (with
documents of its file), or ask for further information.

A refused form draws the request page again (422) with the problem next to its field, in
the officer's language, and what was typed kept; the service's own words, which name the
exact problem, are kept beside it (in English, marked as such by the template).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from judicare.api.deps import AppDep
from judicare.auth.permissions import Forbidden, NotFound
from judicare.errors import JudicareError
from judicare.exchange import correspondence
from judicare.exchange.http import get_node
from judicare.exchange.schemas import MAX_ID
from judicare.exchange.service import send_request
from judicare.web.i18n import Translator
from judicare.web.labels import N_
from judicare.web.rendering import PagesDep, app_of, flash, pages_of
from judicare.web.request_pages import WHY, RequestId, Who, render_request
from judicare.web.session import check_csrf, language_of

# What went wrong, by the service's error code, in words for the officer.
PROBLEMS = {
    "node_not_initialised": N_(
        "This node has no keys yet: an administrator must run `judicare node init`."
    ),
    "unknown_peer": N_("This node is not in the peer directory."),
    "conflict": N_("This request was sent to that node already."),
    "invalid_input": N_("This cannot be sent."),
}


router = APIRouter(include_in_schema=False)


def act(request: Request, request_id: int, who, field: str, typed: dict, send, done: str,
        text: str | None = None):  # fmt: skip
    """Run one sending act in its own transaction (in a worker thread); a blank text or
    a refusal draws the page again with the problem next to `field`."""
    app, pages = app_of(request), pages_of(request)
    t = Translator(language_of(request))
    errors = None
    if text is not None and not text.strip():
        errors = {field: t.gettext("Write the text the other authority will read.")}
    else:
        try:
            with app.unit_of_work() as uow:
                row = send(uow.session, get_node(request))
                uow.commit()
        except (Forbidden, NotFound):
            raise  # the error page says so: not a problem of this form
        except JudicareError as exc:
            words = t.gettext(PROBLEMS.get(exc.code, PROBLEMS["invalid_input"]))
            errors = {field: words, f"{field}-detail": exc.message}
    if errors:
        return render_request(
            app, pages, request, who, request_id, errors=errors, typed=typed, status=422
        )
    flash(request, t.gettext(done, peer=row.peer_id), "success")
    return RedirectResponse(f"/requests/{request_id}#exchange", status_code=303)


@router.post("/requests/{request_id}/exchange/send", dependencies=[Depends(check_csrf)])
async def send(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    request_id: RequestId,
    who: Who,
    to: Annotated[str, Form(max_length=64)] = "",
    supplements: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    typed = {"exchange-to": to, "exchange-supplements": supplements}
    original = None
    if supplements.strip():
        if not re.fullmatch(r"[0-9]{1,10}", supplements.strip()):
            return await run_in_threadpool(
                render_request, app, pages, request, who, request_id,
                errors={"exchange-supplements": Translator(language_of(request)).gettext(
                    "Choose one of the options.")},
                typed=typed, status=422,
            )  # fmt: skip
        original = int(supplements.strip())

    def run(session, n):
        return send_request(session, n, who, request_id, to, now=app.now(), why=WHY,
                            supplements=original)  # fmt: skip

    return await run_in_threadpool(
        act, request, request_id, who, "exchange-to", typed, run,
        N_("The request is queued for %(peer)s."),
    )  # fmt: skip


@router.post("/requests/{request_id}/exchange/answer", dependencies=[Depends(check_csrf)])
async def answer(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    request_id: RequestId,
    who: Who,
    text: Annotated[str, Form(max_length=correspondence.MAX_TEXT)] = "",
    document: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None, Form()] = None,
) -> Response:
    documents = tuple(document or ())
    typed = {"exchange-answer": text, "exchange-documents": list(documents)}

    def run(session, n):
        return correspondence.send_answer(
            session, n, who, request_id, text, document_ids=documents, now=app.now(), why=WHY
        )

    return await run_in_threadpool(
        act, request, request_id, who, "exchange-answer", typed, run,
        N_("The answer is queued for %(peer)s."), text,
    )  # fmt: skip


@router.post("/requests/{request_id}/exchange/ask", dependencies=[Depends(check_csrf)])
async def ask(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    request_id: RequestId,
    who: Who,
    text: Annotated[str, Form(max_length=correspondence.MAX_TEXT)] = "",
) -> Response:
    typed = {"exchange-question": text}

    def run(session, n):
        return correspondence.ask_for_information(session, n, who, request_id, text,
                                                  now=app.now(), why=WHY)  # fmt: skip

    return await run_in_threadpool(
        act, request, request_id, who, "exchange-question", typed, run,
        N_("The request for further information is queued for %(peer)s."), text,
    )  # fmt: skip
