"""Screening a request against the refusal grounds, and the decisions taken on it (four
eyes: a second person approves a refusal)."""

from fastapi import APIRouter

from judicare.api.deps import AppDep, DecisionId, RequestId, Who, Why, Work
from judicare.api.models import (
    SIGNED_IN_ERRORS,
    DecisionDraftOut,
    DecisionOut,
    FollowUpOut,
    ScreeningOut,
    errors,
)
from judicare.screening import decisions as decision_service
from judicare.screening.service import screen_stored

router = APIRouter(prefix="/api/v1", tags=["screening"], responses=SIGNED_IN_ERRORS)


@router.get("/requests/{request_id}/screening", response_model=ScreeningOut)
def screening(request_id: RequestId, app: AppDep, who: Who, why: Why, uow: Work) -> dict:
    report = screen_stored(
        uow.session, app.basis.get(uow.session), who, request_id, now=app.now(), why=why
    )
    uow.commit()
    return report


@router.post(
    "/requests/{request_id}/decisions",
    status_code=201,
    response_model=DecisionOut,
    responses=errors(409),
)
def decide(
    request_id: RequestId,
    body: decision_service.DecisionIn,
    app: AppDep,
    who: Who,
    why: Why,
    uow: Work,
) -> dict:
    result = decision_service.propose(
        uow.session, who, app.basis.get(uow.session), request_id, body, now=app.now(), why=why
    )
    uow.commit()
    return result


@router.post("/decisions/{decision_id}/approval", response_model=DecisionOut, responses=errors(409))
def approval(
    decision_id: DecisionId,
    body: decision_service.ApprovalIn,
    app: AppDep,
    who: Who,
    why: Why,
    uow: Work,
) -> dict:
    result = decision_service.approve(uow.session, who, decision_id, body, now=app.now(), why=why)
    uow.commit()
    return result


@router.post(
    "/requests/{request_id}/decision-drafts",
    status_code=201,
    response_model=DecisionDraftOut,
    responses=errors(409),
    summary="Prepare a draft decision for a reviewer or supervisor",
    description=(
        "For a role that may prepare but not take a decision (an officer). Checked as a "
        "decision is: reasons required, each citation a finding of the screening report or "
        "an instrument and article (422). Nothing changes on the request. 409 when a draft "
        "already awaits review (`draft_awaiting_review`), a decision awaits a supervisor "
        "(`awaiting_supervisor`), or the request is not waiting for a decision."
    ),
)
def prepare_draft(
    request_id: RequestId,
    body: decision_service.DecisionIn,
    app: AppDep,
    who: Who,
    why: Why,
    uow: Work,
) -> dict:
    result = decision_service.prepare_draft(
        uow.session, who, app.basis.get(uow.session), request_id, body, now=app.now(), why=why
    )
    uow.commit()
    return result


@router.get("/requests/{request_id}/decision-drafts", response_model=list[DecisionDraftOut])
def drafts(request_id: RequestId, who: Who, uow: Work) -> list[dict]:
    return decision_service.drafts_on(uow.session, who, request_id)


@router.post(
    "/decision-drafts/{draft_id}/review",
    response_model=DecisionDraftOut,
    responses=errors(409),
    summary="Propose a draft as the decision, or send it back with a reason",
    description=(
        "For a reviewer or supervisor who is not the draft's author (409 otherwise). "
        "`propose` records the decision as `POST /requests/{id}/decisions` would, four-eyes "
        "included; the draft's author may never approve it. `return` needs a `note` (422)."
    ),
)
def review_draft(
    draft_id: DecisionId,
    body: decision_service.DraftReviewIn,
    app: AppDep,
    who: Who,
    why: Why,
    uow: Work,
) -> dict:
    result = decision_service.review_draft(
        uow.session, who, app.basis.get(uow.session), draft_id, body, now=app.now(), why=why
    )
    uow.commit()
    return result


@router.get("/requests/{request_id}/follow-ups", response_model=list[FollowUpOut])
def follow_ups(request_id: RequestId, who: Who, uow: Work) -> list[dict]:
    return decision_service.follow_ups(uow.session, who, request_id)
