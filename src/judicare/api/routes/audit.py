"""The audit trail, as far as the caller may read it."""

from typing import Annotated

from fastapi import APIRouter, Query

from judicare.api.deps import Who, Work
from judicare.api.models import SIGNED_IN_ERRORS, AuditPage
from judicare.audit.scope import read_trail

router = APIRouter(prefix="/api/v1", tags=["audit"], responses=SIGNED_IN_ERRORS)


@router.get("/audit", response_model=AuditPage)
def audit(
    who: Who,
    uow: Work,
    subject_type: Annotated[str | None, Query(max_length=40)] = None,
    subject_id: Annotated[str | None, Query(max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
) -> dict:
    events = read_trail(
        uow.session,
        who,
        subject_type=subject_type,
        subject_id=subject_id,
        limit=limit,
        offset=offset,
    )
    return {"items": events, "limit": limit, "offset": offset}
