"""Victims and witnesses of a request (issue 20): rights and needs, protection and special
measures, information sent to victims and their requests for information."""

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from judicare.api.deps import AppDep, Identifier, RequestId, Who, Why, Work
from judicare.api.models import SIGNED_IN_ERRORS, errors
from judicare.victims import service
from judicare.victims.schemas import (
    InformationRequestIn,
    MeasureDecisionIn,
    MeasureIn,
    NeedsIn,
    NoticeIn,
)

router = APIRouter(prefix="/api/v1", tags=["victims"], responses=SIGNED_IN_ERRORS)


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class VictimsOut(Open):
    request_id: int
    reference: str
    persons: list[dict]
    measures: list[dict]
    information_requests: list[dict]
    notices: list[dict]


class NeedsOut(Open):
    person_id: int
    language: str
    consent_to_contact: bool
    channel: str | None


class MeasureOut(Open):
    id: int
    measure: str
    status: str
    completeness: dict
    citations: list[dict]


class InformationRequestOut(Open):
    id: int
    due: str
    status: str
    overdue: bool


class NoticeOut(Open):
    id: int
    step: str
    language: str
    channel: str
    text: str


@router.get("/requests/{request_id}/victims", response_model=VictimsOut)
def victims(request_id: RequestId, app: AppDep, who: Who, why: Why, uow: Work) -> dict:
    result = service.victims_on(uow.session, who, request_id, now=app.now(), why=why)
    uow.commit()
    return result


@router.put("/requests/{request_id}/victims/{person_id}/needs", response_model=NeedsOut)
def needs(
    request_id: RequestId, person_id: Identifier, body: NeedsIn, app: AppDep, who: Who,
    why: Why, uow: Work,
) -> dict:  # fmt: skip
    result = service.record_needs(uow.session, who, request_id, person_id, body, now=app.now(),
                                  why=why)  # fmt: skip
    uow.commit()
    return result


@router.post("/requests/{request_id}/protection-measures", status_code=201,
             response_model=MeasureOut)  # fmt: skip
def request_measure(
    request_id: RequestId, body: MeasureIn, app: AppDep, who: Who, why: Why, uow: Work
) -> dict:
    result = service.request_measure(uow.session, who, request_id, body, now=app.now(), why=why)
    uow.commit()
    return result


@router.post("/protection-measures/{measure_id}/decision", response_model=MeasureOut,
             responses=errors(409))  # fmt: skip
def decide_measure(
    measure_id: Identifier, body: MeasureDecisionIn, app: AppDep, who: Who, why: Why, uow: Work
) -> dict:
    result = service.decide_measure(uow.session, who, measure_id, body, now=app.now(), why=why)
    uow.commit()
    return result


@router.post("/requests/{request_id}/victim-information-requests", status_code=201,
             response_model=InformationRequestOut)  # fmt: skip
def ask(
    request_id: RequestId, body: InformationRequestIn, app: AppDep, who: Who, why: Why, uow: Work
) -> dict:
    result = service.log_information_request(uow.session, who, request_id, body,
                                             now=app.now(), why=why)  # fmt: skip
    uow.commit()
    return result


@router.post("/requests/{request_id}/victim-notices", status_code=201, response_model=NoticeOut,
             responses=errors(409))  # fmt: skip
def notice(
    request_id: RequestId, body: NoticeIn, app: AppDep, who: Who, why: Why, uow: Work
) -> dict:
    result = service.send_notice(uow.session, who, request_id, body, now=app.now(), why=why)
    uow.commit()
    return result
