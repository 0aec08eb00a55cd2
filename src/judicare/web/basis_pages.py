"""The standalone legal-basis lookup: two states, a date and a kind of cooperation (and,
if given, the crimes) → the resolver's answer, with the same explanations as the request
form's live panel (the applicable instruments with their citations and conditions, the
national-law fallback, why no basis applies, the participations not known)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from judicare.api.deps import AppDep
from judicare.auth.permissions import Permission, Principal, authorize
from judicare.errors import InvalidInput, JudicareError
from judicare.legal_basis.domain import CooperationKind
from judicare.legal_basis.service import parse_query
from judicare.states import all_states, resolve_state, state_name
from judicare.web.errors_text import field_problem
from judicare.web.i18n import Translator
from judicare.web.intake import crime_choices
from judicare.web.rendering import PagesDep
from judicare.web.session import current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
router = APIRouter(include_in_schema=False)


@router.get("/basis")
def lookup(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    authorize(who, Permission.TREATY_READ)
    t = Translator(language_of(request))
    params = request.query_params
    typed = {name: (params.get(name) or "").strip()[:10] for name in ("from", "to", "kind", "on")}
    crimes = [c[:64] for c in params.getlist("crimes")][:20]
    asked = any(typed.values())
    errors = _problems(t, typed, crimes) if asked else {}
    answer = None
    if asked and not errors:
        try:
            query = parse_query(typed["from"], typed["to"], typed["kind"], typed["on"], crimes)
        except InvalidInput as refused:  # two states the same: named next to the second
            errors["to"] = refused.message
        else:
            with app.unit_of_work() as uow:
                answer = app.basis.get(uow.session).resolve(query).as_dict()
                uow.commit()
    lang = language_of(request)
    return pages.render(
        request,
        "basis_lookup.html",
        status=422 if errors else 200,
        principal=who,
        typed=typed | {"on": typed["on"] or app.clock.today().isoformat()},
        chosen_crimes=crimes,
        errors=errors,
        answer=answer,
        states=sorted(
            ((s.alpha3, state_name(s.alpha3, lang)) for s in all_states()), key=lambda pair: pair[1]
        ),
        kinds=[k.value for k in CooperationKind],
        crimes=crime_choices(),
        names={code: state_name(code, lang) for code in (typed["from"], typed["to"]) if code},
    )


def _problems(t: Translator, typed: dict, crimes: list[str]) -> dict:
    errors = {}
    for name in ("from", "to"):
        if not typed[name]:
            errors[name] = t.gettext("Choose the state.")
            continue
        try:
            resolve_state(typed[name])
        except JudicareError:
            errors[name] = field_problem(t, "unknown_state")
    if not errors and resolve_state(typed["from"]).alpha3 == resolve_state(typed["to"]).alpha3:
        errors["to"] = t.gettext("Choose a requested state other than the requesting state.")
    if typed["kind"] not in {k.value for k in CooperationKind}:
        errors["kind"] = t.gettext("Choose the kind of cooperation.")
    try:
        date.fromisoformat(typed["on"])
    except ValueError:
        errors["on"] = t.gettext("Write the date as YYYY-MM-DD, for example 2026-11-23.")
    known = {code for code, _ in crime_choices()}
    if any(c not in known for c in crimes):
        errors["crimes"] = field_problem(t, "enum")
    return errors
