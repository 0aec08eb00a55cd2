"""The dashboard: my requests by status, deadlines due and missed, what waits for me, and
recent activity on the requests I may see."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from judicare.api.deps import AppDep
from judicare.auth.permissions import Permission, Principal, Role
from judicare.drafts.service import DRAFT_DAYS
from judicare.requests import queries
from judicare.requests.domain import RequestStatus
from judicare.screening.decisions import awaiting_approval, drafts_awaiting_review
from judicare.web import intake_drafts
from judicare.web.rendering import PagesDep, can
from judicare.web.session import current_principal

DUE_WITHIN_DAYS = 14
# What waits for whom, by role: the statuses in which a request needs that role's work.
WAITING_BY_ROLE = {
    Role.OFFICER: [RequestStatus.RECEIVED, RequestStatus.ACCEPTED, RequestStatus.IN_EXECUTION],
    Role.LEGAL_REVIEWER: [RequestStatus.REGISTERED, RequestStatus.UNDER_REVIEW],
    Role.SUPERVISOR: [RequestStatus.UNDER_REVIEW],
}

Who = Annotated[Principal, Depends(current_principal)]


router = APIRouter(include_in_schema=False)


@router.get("/")
def dashboard(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    today = app.clock.today()
    context: dict = {"today": today.isoformat()}
    with app.unit_of_work() as uow:
        if can(who, Permission.REQUEST_READ):
            session = uow.session
            context["counts"] = queries.status_counts(session, who)
            context["deadlines"] = queries.deadlines(
                session, who, today=today, horizon=today + timedelta(days=DUE_WITHIN_DAYS)
            )
            context["assigned"] = queries.assigned_to_me(session, who, today=today)
            statuses = [s.value for s in WAITING_BY_ROLE.get(who.role, [])]
            context["waiting"] = (
                queries.in_status(session, who, statuses, today=today) if statuses else []
            )
            context["approvals"] = (
                [d for d in awaiting_approval(session, who) if not d["mine"]]
                if can(who, Permission.DECISION_APPROVE)
                else []
            )
            context["drafts"] = (
                drafts_awaiting_review(session, who) if can(who, Permission.REQUEST_DECIDE) else []
            )
            context["activity"] = queries.recent_activity(session, who)
    if can(who, Permission.REQUEST_CREATE):  # "My drafts" of the outgoing wizard
        context["wizard_drafts"] = intake_drafts.my_drafts(app, who)
        context["draft_days"] = DRAFT_DAYS
    context["statuses"] = [s.value for s in RequestStatus]
    context["due_within"] = DUE_WITHIN_DAYS
    return pages.render(request, "dashboard.html", principal=who, **context)
