"""The request register: list, register (idempotently), read, change, move through the
lifecycle, link, assign. Every answer about one request is its read model
(`judicare.requests.read_models.RequestDetail`) with its version as the ETag."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from judicare.api.deps import AppDep, RequestId, Who, WhoInWork, Why, Work
from judicare.api.models import SIGNED_IN_ERRORS, RequestPage, errors
from judicare.db.engine import UnitOfWork
from judicare.legal_basis.domain import CooperationKind
from judicare.requests import queries, service
from judicare.requests.domain import RequestStatus
from judicare.requests.read_models import RequestDetail
from judicare.requests.schemas import (
    AssignIn,
    BasisChoiceIn,
    LinkIn,
    RequestCreate,
    RequestUpdate,
    TransitionIn,
)

router = APIRouter(prefix="/api/v1/requests", tags=["requests"], responses=SIGNED_IN_ERRORS)
IfMatch = Annotated[str | None, Header(max_length=100)]
CHANGE_ERRORS = errors(409, 412, 428)


@router.get("", response_model=RequestPage)
def list_requests(
    app: AppDep,
    who: Who,
    why: Why,
    uow: Work,
    status: RequestStatus | None = None,
    state: Annotated[str | None, Query(min_length=2, max_length=3)] = None,
    kind: CooperationKind | None = None,
    overdue: bool | None = None,
    person: Annotated[str | None, Query(min_length=2, max_length=200)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    requesting_reference: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict:
    """Requests I may see. `person` is matched by the person engine (any script, shortened
    names; each item then says why in `person_match`); `q` searches the references (ours and
    the requesting authority's), the authority and the facts; `requesting_reference` is the
    requesting authority's own case reference, whole or in part."""
    filters = queries.RequestFilters(
        status, state, kind.value if kind else None, overdue, person, q, limit, offset,
        requesting_reference=requesting_reference,
    )  # fmt: skip
    result = queries.list_requests(
        uow.session, who, filters, today=app.clock.today(), now=app.now(), why=why
    )
    uow.commit()
    return result


@router.post("", status_code=201, response_model=RequestDetail, responses=errors(409))
def create_request(
    body: RequestCreate,
    app: AppDep,
    who: WhoInWork,
    why: Why,
    uow: Work,
    response: Response,
    idempotency_key: Annotated[str | None, Header(min_length=8, max_length=200)] = None,
) -> dict:
    """Register a request. With an Idempotency-Key, a retry of the same body gets the first
    answer again (header Idempotent-Replayed: true) instead of a second request."""
    registered = service.create_request(
        uow.session,
        who,
        body,
        now=app.now(),
        basis=app.basis.get(uow.session),
        why=why,
        idempotency_key=idempotency_key,
    )
    uow.commit()
    response.headers["ETag"] = f'"{registered.detail["version"]}"'
    response.headers["Location"] = f"/api/v1/requests/{registered.id}"
    if registered.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return registered.detail


@router.get("/{request_id}", response_model=RequestDetail)
def get_request(
    request_id: RequestId, app: AppDep, who: Who, why: Why, uow: Work, response: Response
) -> dict:
    """The request (reading it is audited); its version is the ETag."""
    result = service.get_request(uow.session, who, request_id, now=app.now(), why=why)
    return _committed(uow, response, result)


@router.patch("/{request_id}", response_model=RequestDetail, responses=CHANGE_ERRORS)
def update_request(
    request_id: RequestId,
    body: RequestUpdate,
    app: AppDep,
    who: Who,
    why: Why,
    uow: Work,
    response: Response,
    if_match: IfMatch = None,
) -> dict:
    result = service.update_request(
        uow.session, who, request_id, body, if_match=if_match, now=app.now(), why=why
    )
    return _committed(uow, response, result)


@router.put("/{request_id}/legal-basis", response_model=RequestDetail, responses=CHANGE_ERRORS)
def choose_legal_basis(
    request_id: RequestId,
    body: BasisChoiceIn,
    app: AppDep,
    who: Who,
    why: Why,
    uow: Work,
    response: Response,
    if_match: IfMatch = None,
) -> dict:
    """Choose or change the legal basis among those resolved for the request
    (`legal_basis_choices`), with a reason (audited); send If-Match with the ETag."""
    result = service.choose_legal_basis(
        uow.session, who, request_id, body, if_match=if_match, now=app.now(), why=why
    )
    return _committed(uow, response, result)


@router.post("/{request_id}/transitions", response_model=RequestDetail, responses=CHANGE_ERRORS)
def transition(
    request_id: RequestId,
    body: TransitionIn,
    app: AppDep,
    who: Who,
    why: Why,
    uow: Work,
    response: Response,
    if_match: IfMatch = None,
) -> dict:
    result = service.transition_request(
        uow.session, who, request_id, body, if_match=if_match, now=app.now(), why=why
    )
    return _committed(uow, response, result)


@router.post(
    "/{request_id}/links", status_code=201, response_model=RequestDetail, responses=errors(409)
)
def link(request_id: RequestId, body: LinkIn, app: AppDep, who: Who, why: Why, uow: Work) -> dict:
    result = service.link_requests(uow.session, who, request_id, body, now=app.now(), why=why)
    uow.commit()
    return result


@router.post(
    "/{request_id}/assignments",
    status_code=201,
    response_model=RequestDetail,
    responses=errors(409),
)
def assign(
    request_id: RequestId, body: AssignIn, app: AppDep, who: Who, why: Why, uow: Work
) -> dict:
    result = service.assign(uow.session, who, request_id, body.user_id, now=app.now(), why=why)
    uow.commit()
    return result


def _committed(uow: UnitOfWork, response: Response, result: dict) -> dict:
    """Commit the unit of work and give the client the request's new ETag."""
    uow.commit()
    response.headers["ETag"] = f'"{result["version"]}"'
    return result
