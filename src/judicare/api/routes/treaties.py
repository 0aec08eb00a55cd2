"""The treaties catalogue and who is party to an instrument on a date."""

from datetime import date

from fastapi import APIRouter

from judicare.api.deps import AppDep, Who, Work
from judicare.api.models import SIGNED_IN_ERRORS, InstrumentOut, TreatyStatusOut
from judicare.auth.permissions import Permission, authorize
from judicare.treaties import service as treaty_service

router = APIRouter(prefix="/api/v1/treaties", tags=["treaties"], responses=SIGNED_IN_ERRORS)


@router.get("", response_model=list[InstrumentOut])
def treaties(who: Who) -> list[dict]:
    authorize(who, Permission.TREATY_READ)
    return treaty_service.list_instruments()


@router.get("/{instrument_id}/status", response_model=TreatyStatusOut)
def treaty_status(
    instrument_id: str, app: AppDep, who: Who, uow: Work, on: date | None = None
) -> dict:
    authorize(who, Permission.TREATY_READ)
    participation = treaty_service.participation_for(uow.session, instrument_id)
    return treaty_service.status_report(participation, on or app.clock.today())
