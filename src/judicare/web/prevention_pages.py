"""Prevention desk pages: the statistical ranking beside the analysts' latest approved
assessments; one country's factors, the explanation of its risk, its history and its
cooperation in aggregate. The risk is shown with its rank and as a multiple of the average,
since the model's probabilities run high."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from judicare.api.deps import AppDep
from judicare.auth.permissions import NotFound, Principal
from judicare.errors import UnknownState
from judicare.prevention import desk
from judicare.states import resolve_state
from judicare.web.charts import risk_chart
from judicare.web.rendering import PagesDep
from judicare.web.session import current_principal

Who = Annotated[Principal, Depends(current_principal)]
router = APIRouter(include_in_schema=False)


@router.get("/prevention")
def prevention(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    with app.unit_of_work() as uow:  # rendered inside: the page reads the stored rows
        view = desk.desk(uow.session, who)
        return pages.render(request, "prevention.html", principal=who, **view)


@router.get("/prevention/{state}")
def prevention_country(
    app: AppDep, pages: PagesDep, request: Request, state: str, who: Who
) -> Response:
    try:
        iso3 = resolve_state(state).alpha3
    except UnknownState:
        raise NotFound(f"state {state} not found") from None
    with app.unit_of_work() as uow:  # rendered inside: the page reads the stored rows
        view = desk.country(uow.session, who, iso3)
        return pages.render(
            request,
            "prevention_country.html",
            principal=who,
            chart=risk_chart(view["history"]),
            **view,
        )
