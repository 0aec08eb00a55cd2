"""Screening a request against the refusal grounds, and the decisions taken on it (four
eyes: a second person approves a refusal)."""

from fastapi import APIRouter

from judicare.api.deps import AppDep, DecisionId, RequestId, Who, Why, Work
from judicare.api.models import SIGNED_IN_ERRORS, DecisionOut, FollowUpOut, ScreeningOut, errors
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


@router.get("/requests/{request_id}/follow-ups", response_model=list[FollowUpOut])
def follow_ups(request_id: RequestId, who: Who, uow: Work) -> list[dict]:
    return decision_service.follow_ups(uow.session, who, request_id)
