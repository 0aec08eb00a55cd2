"""Obligations to submit a case for prosecution after a refusal (aut dedere aut judicare)."""

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from judicare.api.deps import AppDep, Identifier, RequestId, Who, Why, Work
from judicare.api.models import SIGNED_IN_ERRORS, errors
from judicare.prosecution import service

router = APIRouter(prefix="/api/v1", tags=["aut dedere aut judicare"], responses=SIGNED_IN_ERRORS)


class ObligationOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: int
    request_id: int
    trigger: str
    citations: list[dict]
    due: str
    status: str
    outcome: str | None
    overdue: bool


class StatisticsOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    open: int | str
    by_outcome: dict[str, int | str]
    suppressed_below: int


@router.get("/obligations", response_model=list[ObligationOut])
def dashboard(app: AppDep, who: Who, uow: Work) -> list[dict]:
    return service.dashboard(uow.session, who, today=app.now().date())


@router.get("/obligations/statistics", response_model=StatisticsOut)
def statistics(who: Who, uow: Work) -> dict:
    return service.statistics(uow.session, who)


@router.get("/requests/{request_id}/obligations", response_model=list[ObligationOut])
def on_request(request_id: RequestId, app: AppDep, who: Who, uow: Work) -> list[dict]:
    return service.obligations_on(uow.session, who, request_id, today=app.now().date())


@router.post("/obligations/{obligation_id}/steps", response_model=ObligationOut,
             responses=errors(409))  # fmt: skip
def step(
    obligation_id: Identifier, body: service.StepIn, app: AppDep, who: Who, why: Why, uow: Work
) -> dict:
    result = service.advance(uow.session, who, obligation_id, body, now=app.now(), why=why)
    uow.commit()
    return result


@router.post("/obligations/{obligation_id}/informed", response_model=ObligationOut,
             responses=errors(409))  # fmt: skip
def informed(
    obligation_id: Identifier, body: service.InformedIn, app: AppDep, who: Who, why: Why,
    uow: Work,
) -> dict:  # fmt: skip
    result = service.record_informed(uow.session, who, obligation_id, body, now=app.now(),
                                     why=why)  # fmt: skip
    uow.commit()
    return result


@router.post("/obligations/{obligation_id}/information", response_model=ObligationOut,
             responses=errors(409))  # fmt: skip
def draft_information(
    obligation_id: Identifier, body: service.InformDraftIn, app: AppDep, who: Who, why: Why,
    uow: Work,
) -> dict:  # fmt: skip
    """Draft (or draft again) what the requesting state is told of the result; closing an
    obligation whose instrument requires it drafts it already."""
    result = service.draft_information(uow.session, who, obligation_id, body, now=app.now(),
                                       why=why)  # fmt: skip
    uow.commit()
    return result


@router.post("/obligations/{obligation_id}/information/approval", response_model=ObligationOut,
             responses=errors(409))  # fmt: skip
def approve_information(
    obligation_id: Identifier, body: service.InformApprovalIn, request: Request, app: AppDep,
    who: Who, why: Why, uow: Work,
) -> dict:  # fmt: skip
    """A second person approves the information: it goes to the requesting state's node over
    the exchange, or its formal notice (kind `prosecution_outcome_notice`) becomes available
    to download and mark sent (`POST /obligations/{id}/informed`)."""
    node = getattr(request.app.state, "exchange_node", None)
    result = service.approve_information(uow.session, node, who, obligation_id, body,
                                         now=app.now(), why=why)  # fmt: skip
    uow.commit()
    return result
