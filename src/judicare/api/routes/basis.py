"""The legal basis for a request between two states, on a date."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from judicare.api.deps import AppDep, Who, Work
from judicare.api.models import SIGNED_IN_ERRORS, BasisOut
from judicare.auth.permissions import Permission, authorize
from judicare.legal_basis.domain import CooperationKind
from judicare.legal_basis.service import parse_query

router = APIRouter(prefix="/api/v1", tags=["legal basis"], responses=SIGNED_IN_ERRORS)


@router.get("/basis", response_model=BasisOut)
def basis(
    app: AppDep,
    who: Who,
    uow: Work,
    requesting: Annotated[str, Query(alias="from", min_length=2, max_length=3)],
    requested: Annotated[str, Query(alias="to", min_length=2, max_length=3)],
    kind: CooperationKind,
    on: date | None = None,
    crime: Annotated[list[str] | None, Query(max_length=20)] = None,
    conduct_date: date | None = None,
) -> dict:
    authorize(who, Permission.TREATY_READ)
    query = parse_query(
        requesting, requested, kind.value, on or app.clock.today(), crime or (), conduct_date
    )
    return app.basis.get(uow.session).resolve(query).as_dict()
