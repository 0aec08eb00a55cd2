"""The audit view for auditors: the hash-chained log, filtered and paged (an authority's
auditor reads that authority's trail), and, for the node auditor, a check of the whole chain
that names any altered, deleted or reordered entry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from judicare.api.deps import AppDep
from judicare.audit.scope import check_chain, read_trail
from judicare.auth.permissions import Principal
from judicare.web.rendering import PagesDep
from judicare.web.session import current_principal

Who = Annotated[Principal, Depends(current_principal)]
PAGE_SIZE = 50


router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    who: Who,
    subject_type: Annotated[str | None, Query(max_length=40)] = None,
    subject_id: Annotated[str | None, Query(max_length=120)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    with app.unit_of_work() as uow:
        events = read_trail(
            uow.session,
            who,
            subject_type=(subject_type or "").strip() or None,
            subject_id=(subject_id or "").strip() or None,
            limit=PAGE_SIZE + 1,
            offset=(page - 1) * PAGE_SIZE,
        )
    return pages.render(
        request,
        "audit.html",
        principal=who,
        events=events[:PAGE_SIZE],
        more=len(events) > PAGE_SIZE,
        page=page,
        chosen={"subject_type": subject_type or "", "subject_id": subject_id or ""},
    )


@router.get("/audit/verify")
def verify(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    with app.unit_of_work() as uow:  # the chain and the checkpoints signed outside the DB
        checked, problems = check_chain(uow.session, who, app.audit_anchor)
    return pages.render(
        request,
        "audit_verify.html",
        principal=who,
        checked=checked,
        problems=[{"seq": p.seq, "kind": p.kind, "message": p.message} for p in problems],
    )
