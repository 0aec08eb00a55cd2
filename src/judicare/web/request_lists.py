"""The request list's filters, sorting and CSV export, shared by the list page
(`request_pages.request_list`) and `/requests.csv` (the same filters, the same
need-to-know: `queries.list_requests` lists only what the principal may see).

The CSV holds no personal data (as the list: references, states, kind, status, dates); its
cells never start with a character a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from judicare.api.deps import AppDep
from judicare.auth.permissions import Principal
from judicare.errors import InvalidInput, JudicareError
from judicare.legal_basis.domain import CooperationKind
from judicare.requests import queries, team
from judicare.requests.domain import RequestStatus
from judicare.states import resolve_state, state_name
from judicare.web.errors_text import field_problem
from judicare.web.freshness import freshness_headers
from judicare.web.i18n import Translator
from judicare.web.labels import label
from judicare.web.session import current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
WHY = "case handling (web)"
NAMES = ("status", "state", "kind", "overdue", "due_within", "assignee", "person", "q", "sort",
         "dir")  # fmt: skip
LONGEST = {"person": 200, "q": 200}
MAX_DAYS = 3650
CSV_ROWS = 10_000  # the export's ceiling (the list's filters narrow it)

router = APIRouter(include_in_schema=False)


def chosen_of(params: QueryParams) -> dict:
    """The filters as typed; an empty choice ("any") is no filter."""
    return {name: (params.get(name) or "").strip()[: LONGEST.get(name, 40)] for name in NAMES}


def problems(t: Translator, chosen: dict) -> dict:
    """Each filter that cannot be applied, named, with how to fix it."""
    errors = {}
    for name, choices in (("status", RequestStatus), ("kind", CooperationKind)):
        if chosen[name] and chosen[name] not in {c.value for c in choices}:
            errors[name] = field_problem(t, "enum")
    if chosen["state"]:
        try:
            resolve_state(chosen["state"])
        except JudicareError:
            errors["state"] = field_problem(t, "unknown_state")
    if chosen["overdue"] not in ("", "yes", "no"):
        errors["overdue"] = field_problem(t, "enum")
    days = chosen["due_within"]
    if days and not (days.isdigit() and int(days) <= MAX_DAYS):
        errors["due_within"] = t.gettext(
            "Give a whole number of days from 0 to %(most)s.", most=t.number(MAX_DAYS)
        )
    who = chosen["assignee"]
    if who and who not in ("me", "nobody") and not who.isdigit():
        errors["assignee"] = field_problem(t, "enum")
    if chosen["sort"] and chosen["sort"] not in queries.SORTS:
        errors["sort"] = field_problem(t, "enum")
    if chosen["dir"] not in ("", "asc", "desc"):
        errors["dir"] = field_problem(t, "enum")
    return errors


def filters_of(
    chosen: dict, who: Principal, limit: int, offset: int, count_limit: int | None = None
) -> queries.RequestFilters:
    assignee = {"": None, "me": who.user_id, "nobody": 0}.get(chosen["assignee"])
    if assignee is None and chosen["assignee"].isdigit():
        assignee = int(chosen["assignee"])
    return queries.RequestFilters(
        status=RequestStatus(chosen["status"]) if chosen["status"] else None,
        state=chosen["state"] or None,
        kind=chosen["kind"] or None,
        overdue={"yes": True, "no": False}.get(chosen["overdue"]),
        person=chosen["person"] if len(chosen["person"]) >= 2 else None,
        q=chosen["q"] or None,
        limit=limit,
        offset=offset,
        due_within=int(chosen["due_within"]) if chosen["due_within"] else None,
        assignee=assignee,
        sort=chosen["sort"] or "received",
        descending=chosen["dir"] != "asc",
        count_limit=count_limit,
    )


def list_context(session, who: Principal, chosen: dict) -> dict:
    """What the list page offers besides the rows: the assignee choices, the sort links."""
    people = [(str(u["id"]), u["display_name"]) for u in team.colleagues(session, who)]
    return {"colleagues": people, "sorts": list(queries.SORTS)}


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/requests.csv")
def export(app: AppDep, request: Request, who: Who) -> Response:
    """The list as CSV, with the list page's filters and order, in the user's language."""
    t = Translator(language_of(request))
    chosen = chosen_of(request.query_params)
    errors = problems(t, chosen)
    if errors:
        name, problem = next(iter(errors.items()))
        raise InvalidInput(f"{name}: {problem}")
    reading, freshness = app.reading(writes=bool(chosen["person"]))  # a name search is audited
    with reading as uow:
        result = queries.list_requests(
            uow.session, who, filters_of(chosen, who, CSV_ROWS, 0),
            today=app.clock.today(), now=app.now(), why=WHY,
        )  # fmt: skip
        uow.commit()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([t.gettext(h) for h in HEADERS])
    lang = t.language
    for r in result["items"]:
        row = (
            r["reference"], r["requesting_reference"],
            t.gettext(label("direction", r["direction"])), t.gettext(label("kind", r["kind"])),
            state_name(r["requesting_state"], lang), state_name(r["requested_state"], lang),
            t.gettext(label("status", r["status"])), r["received_on"], r["next_deadline"],
            t.gettext("yes") if r["overdue"] else "",
        )  # fmt: skip
        writer.writerow([_cell(v) for v in row])
    return Response(
        "\ufeff" + out.getvalue(),  # a byte-order mark: spreadsheets then read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="requests.csv"',
            **freshness_headers(freshness),
        },
    )


def N_(message: str) -> str:
    return message


HEADERS = (
    N_("Reference"), N_("Their reference"), N_("Direction"), N_("Kind"), N_("From"), N_("To"),
    N_("Status"), N_("Received"), N_("Next deadline"), N_("Overdue"),
)  # fmt: skip
