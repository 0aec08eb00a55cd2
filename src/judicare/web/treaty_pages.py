"""Treaty pages: every instrument; for one, its status on a chosen date, a chart of signatures
and consents over time, a world map of participation and the depositary's notifications."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from judicare.api.deps import AppDep
from judicare.auth.permissions import Permission, Principal, authorize
from judicare.treaties import service as treaty_service
from judicare.treaties.domain import Instrument
from judicare.treaties.participation import data_as_of as participation_data_as_of
from judicare.treaties.statements import beside_participation, load_statements
from judicare.treaties.wording import for_users
from judicare.web.charts import line_chart, world_map, yearly_totals
from judicare.web.errors_text import field_problem
from judicare.web.i18n import Translator
from judicare.web.rendering import PagesDep
from judicare.web.session import current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]


router = APIRouter(include_in_schema=False)
ROME = "rome-1998"


@router.get("/treaties")
def treaties(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    authorize(who, Permission.TREATY_READ)
    return pages.render(
        request, "treaties.html", principal=who, instruments=treaty_service.list_instruments()
    )


@router.get("/treaties/{instrument_id}")
def treaty(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    instrument_id: str,
    who: Who,
    on: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    authorize(who, Permission.TREATY_READ)
    t = Translator(language_of(request))
    errors = {}
    day = app.clock.today()
    if on:
        try:
            day = date.fromisoformat(on)
        except ValueError:
            errors["on"] = field_problem(t, "date_parsing")
    with app.unit_of_work() as uow:
        participation = treaty_service.participation_for(uow.session, instrument_id)
        report = treaty_service.status_report(participation, day)
        notifications = treaty_service.list_notifications(uow.session, instrument_id)
    instrument = next(
        i for i in treaty_service.list_instruments() if i["id"] == report["instrument"]
    )
    statuses = {p["state"]: p["status"] for p in report["parties"]}
    shapes = world_map(statuses)
    for shape in shapes:
        if shape["status"] == "none":
            shape["status"] = report["unlisted_states"] or "unknown"
    data_to = participation_data_as_of(participation.instrument)
    return pages.render(
        request,
        "treaty.html",
        data_to=data_to,
        caveats=caveat_items(participation.instrument, day, data_to),
        status=422 if errors else 200,
        principal=who,
        instrument=instrument,
        report=report,
        on=on if errors else day.isoformat(),
        errors=errors,
        chart=line_chart(yearly_totals(report["parties"])),
        shapes=shapes,
        notifications=notifications,
        statements=_statements_beside(participation, report["instrument"]),
    )


def _statements_beside(participation, instrument_id: str) -> list[dict]:
    """The joint statements in support of the ICC, beside the Rome Statute's participation
    on each statement's date (political acts, shown as context only)."""
    if instrument_id != ROME:
        return []
    return [
        {
            "statement": statement,
            "view": beside_participation(
                statement, treaty_service.status_report(participation, statement.date)["parties"]
            ),
        }
        for statement in load_statements().values()
    ]


def caveat_items(instrument: Instrument, on: date, data_to: date | None) -> list[dict]:
    """The caveats of `treaties.service._caveats` as codes the page words in the user's
    language; a gap in the data stays in the sources' words (English), shown as such."""
    items: list[dict] = []
    if data_to is not None and on > data_to:
        items.append({"code": "data_age", "to": data_to, "on": on})
    if not instrument.entry_into_force.verified:
        items.append({"code": "rule_unverified"})
    items += [{"code": "gap", "text": for_users(gap)} for gap in instrument.gaps]
    return items
