"""Competing requests for the same person or evidence (issue 20), within need-to-know."""

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from judicare.api.deps import AppDep, Identifier, RequestId, Who, Why, Work
from judicare.api.models import SIGNED_IN_ERRORS, errors
from judicare.competing import service

router = APIRouter(prefix="/api/v1", tags=["competing requests"], responses=SIGNED_IN_ERRORS)


class CompetingOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    request_id: int
    competing: list[dict]
    another_request_exists_at_this_node: bool
    decisions: list[dict]


class CompetingDecisionOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    priority_to: int
    status: str
    rule: str


@router.get("/requests/{request_id}/competing", response_model=CompetingOut)
def competing(request_id: RequestId, app: AppDep, who: Who, why: Why, uow: Work) -> dict:
    result = service.competing_view(uow.session, who, request_id, now=app.now(), why=why)
    uow.commit()
    return result


@router.post("/requests/{request_id}/competing-decisions", status_code=201,
             response_model=CompetingDecisionOut, responses=errors(409))  # fmt: skip
def propose(
    request_id: RequestId, body: service.CompetingDecisionIn, app: AppDep, who: Who, why: Why,
    uow: Work,
) -> dict:  # fmt: skip
    result = service.propose(uow.session, who, request_id, body, now=app.now(), why=why)
    uow.commit()
    return result


@router.post("/competing-decisions/{decision_id}/approval", response_model=CompetingDecisionOut,
             responses=errors(409))  # fmt: skip
def approve(
    decision_id: Identifier, body: service.ApprovalIn, app: AppDep, who: Who, why: Why, uow: Work
) -> dict:
    result = service.approve(uow.session, who, decision_id, body, now=app.now(), why=why)
    uow.commit()
    return result
