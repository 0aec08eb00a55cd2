"""Registering a request through a guided form: one page for an incoming request, a wizard
(parties, offences, assistance, persons, review) for an outgoing one. While the officer types,
the page resolves the legal basis and lists what the governing instrument requires that is
still missing. Problems show next to their field, in the officer's language; nothing typed is
lost when a step is refused. Documents (the warrant or judgment of an extradition request,
for one) are chosen on the incoming form or the wizard's review step and registered with the
request, in the same transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from judicare.api.deps import AppDep
from judicare.app import App
from judicare.auth.permissions import Permission, Principal, authorize
from judicare.drafts.service import DRAFT_DAYS
from judicare.errors import JudicareError
from judicare.legal_basis.domain import CooperationKind
from judicare.legal_basis.rules import load_rulebook
from judicare.requests import documents as document_service
from judicare.requests.dates import MESSAGES as DATE_MESSAGES
from judicare.requests.dates import InvalidDates, date_problems
from judicare.requests.domain import Confidentiality, Measure, PersonRole, Urgency
from judicare.requests.schemas import RequestCreate
from judicare.screening.service import draft_check
from judicare.states import resolve_state
from judicare.web import intake_drafts
from judicare.web.errors_text import error_text, field_problem
from judicare.web.i18n import Translator
from judicare.web.intake_documents import (
    DOCUMENTS,
    chosen_names,
    read_attachments,
    sent_names,
)
from judicare.web.intake_fields import limit_of, summary
from judicare.web.labels import N_
from judicare.web.rendering import PagesDep, app_of, flash, pages_of
from judicare.web.session import check_csrf, current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
WHY = "registration of a request (web)"
MAX_PERSONS = 20

# The form's fields, by the wizard step that asks for them (lists and persons aside).
PARTIES_FIELDS = (
    "direction",
    "kind",
    "requesting_state",
    "requested_state",
    "requesting_authority",
    "requesting_central_authority",
    "requested_central_authority",
    "case_reference",
    "requesting_reference",
    "received_on",
    "request_date",
    "urgency",
    "confidentiality",
    "legal_basis_instrument",
)
OFFENCES_FIELDS = ("facts_summary", "subject_and_nature", "legal_provisions")
ASSISTANCE_FIELDS = ("purpose", "procedure_wished", "person_to_serve", "requested_execution_date")
# Extradition and provisional arrest (`requests.schemas.ExtraditionIn`): asked instead of the
# assistance sought. The EAW's own fields are asked when the live check finds that the
# European arrest warrant governs the request (FD 2002/584/JHA art. 8(1)).
EXTRADITION_TEXTS = (
    "warrant_kind",
    "warrant_issued_by",
    "warrant_issued_on",
    "warrant_reference",
    "offence_time",
    "offence_place",
    "enactments",
    "person_description",
    "whereabouts",
    "urgency_reason",
)
EAW_TEXTS = (
    "issuing_authority_address",
    "issuing_authority_phone",
    "issuing_authority_fax",
    "issuing_authority_email",
    "participation",
    "penalty",
    "other_consequences",
)
EXTRADITION_FLAGS = ("provisional_arrest", "warrant_exists", "extradition_will_follow")
EXTRADITION_FIELDS = EXTRADITION_TEXTS + EAW_TEXTS + EXTRADITION_FLAGS
EXTRADITION_KINDS = ("extradition", "provisional_arrest")
WARRANT_KINDS = ("arrest_warrant", "enforceable_judgment")
SCALARS = PARTIES_FIELDS + OFFENCES_FIELDS + ASSISTANCE_FIELDS + EXTRADITION_FIELDS
PERSON_FIELDS = ("role", "name", "romanisations", "birth_date", "nationality", "protected_status")
STEPS = (
    ("parties", N_("Parties and legal basis")),
    ("offences", N_("Offences and facts")),
    ("assistance", N_("Assistance sought")),
    ("persons", N_("Persons concerned")),
    ("review", N_("Review and register")),
)
EXTRADITION_STEP = ("extradition", N_("Warrant, offences and person sought"))
STEP_FIELDS = {
    "parties": set(PARTIES_FIELDS),
    "offences": {"crimes", *OFFENCES_FIELDS, "offence_time", "offence_place"},
    "assistance": {"measures", *ASSISTANCE_FIELDS},
    "extradition": set(EXTRADITION_FIELDS) - {"offence_time", "offence_place"},
    "persons": {"persons"},
    "review": {DOCUMENTS},
}


def is_extradition(kind: str | None) -> bool:
    return kind in EXTRADITION_KINDS


def steps_for(kind: str | None) -> tuple[tuple[str, str], ...]:
    """The wizard's steps: an extradition or provisional-arrest request asks for the warrant,
    the offences' time and place, the law and the person sought instead of MLA measures."""
    if not is_extradition(kind):
        return STEPS
    return tuple(EXTRADITION_STEP if key == "assistance" else (key, t) for key, t in STEPS)


@dataclass
class Draft:
    """What the officer has typed so far, exactly as typed."""

    values: dict[str, str] = field(default_factory=dict)
    crimes: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    persons: list[dict[str, str]] = field(default_factory=list)
    step: int = 0
    reached: int = 0  # the furthest step the officer has been to: the step list offers it
    key: str = ""
    chosen: list[str] = field(default_factory=list)  # files chosen, as the browser says (live)
    draft_id: int | None = None  # the saved draft this is (drafts.service), if any
    held: list[tuple[int, str, int]] = field(default_factory=list)  # its files: id, name, size
    expires: datetime | None = None  # when the saved draft expires

    @property
    def wizard(self) -> bool:
        return self.values.get("direction") == "outgoing"


@cache
def crime_choices() -> list[tuple[str, str]]:
    """(code, title) of the crimes a request can concern, from the rule data."""
    return [(c.code, c.title) for c in load_rulebook().crimes.values()]


def read_draft(form: FormData) -> Draft:
    draft = Draft(
        values={name: str(form.get(name, "")).strip() for name in SCALARS},
        crimes=[str(c) for c in form.getlist("crimes")],
        measures=[str(m) for m in form.getlist("measures")],
        key=str(form.get("idempotency_key", "")) or uuid.uuid4().hex,
        chosen=chosen_names(form.get("documents_chosen")),
    )
    draft_id = _int(form.get("draft_id"), 0)
    draft.draft_id = draft_id if draft_id > 0 and draft.wizard else None
    draft.step = _step(form.get("step"))
    draft.reached = max(_step(form.get("reached")), draft.step)
    count = min(_int(form.get("person_count"), 1), MAX_PERSONS)
    for index in range(count):
        draft.persons.append(
            {f: str(form.get(f"person-{index}-{f}", "")).strip() for f in PERSON_FIELDS}
        )
    return draft


def _step(value) -> int:
    return max(0, min(_int(value, 0), len(STEPS) - 1))


def _int(value, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def payload(draft: Draft) -> dict:
    """The create schema's shape; empty optional fields are left out. An extradition or
    provisional-arrest request carries its own contents and no MLA measures."""
    data: dict = {k: v for k, v in draft.values.items() if v and k not in EXTRADITION_FIELDS}
    data["crimes"] = draft.crimes
    data["persons"] = [_person(p) for p in draft.persons if any(p.values())]
    if is_extradition(draft.values.get("kind")):
        for name in ASSISTANCE_FIELDS:
            data.pop(name, None)
        data["measures"] = []
        ex: dict = {k: draft.values.get(k, "") for k in EXTRADITION_TEXTS + EAW_TEXTS}
        ex["warrant_issued_on"] = ex["warrant_issued_on"] or None
        ex.update({k: bool(draft.values.get(k)) for k in EXTRADITION_FLAGS})
        data["extradition"] = ex
    else:
        data["measures"] = [{"measure": m} for m in draft.measures]
    return data


def _person(entry: dict[str, str]) -> dict:
    names = [{"name": entry["name"], "form": "original"}] if entry["name"] else []
    for line in entry["romanisations"].splitlines():
        name, _, system = line.partition("|")
        if name.strip():
            names.append({"name": name.strip(), "form": "romanisation", "system": system.strip()})
    person = {"role": entry["role"], "names": names}
    for key in ("birth_date", "nationality", "protected_status"):
        if entry[key]:
            person[key] = entry[key]
    return person


def _field_of(location: tuple) -> str:
    """A validation error's place -> the form field that shows it."""
    if location and location[0] == "extradition" and len(location) > 1:
        return str(location[1])
    if location and location[0] == "persons" and len(location) > 2:
        part = "name" if location[2] == "names" else location[2]
        return f"person-{location[1]}-{part}"
    return str(location[0]) if location else "form"


def romanisations(entry: dict[str, str]) -> list[tuple[str, str]]:
    """(name, system) of each romanisation line, as it will be registered."""
    return [(n["name"], n["system"]) for n in _person(entry)["names"] if n["form"] != "original"]


def review_date(t: Translator, value: str) -> str:
    """A date in the officer's language for the review; as typed if it is not a date."""
    try:
        return t.date(value)
    except ValueError:
        return value


# The date rules' messages (`requests.dates.MESSAGES`), marked here for the catalogues.
DATE_MESSAGE_IDS = (
    N_("The date received cannot be after today ({today})"),
    N_("The date of the request cannot be after today ({today})"),
    N_("The date received cannot be before the date of the request ({request_date})"),
    N_("Execution wished by must be on or after the date received"),
    N_("Execution wished by must be on or after the date of the request"),
    N_("The warrant or judgment cannot be issued after today ({today})"),
)


# On the outgoing wizard the request's own date is the field "Date of the request".
OUTGOING_WORDING = {
    "received_after_today": "dated_after_today",
    "execution_before_received": "execution_before_dated",
}


def date_errors(t: Translator, problems, outgoing: bool = False) -> dict[str, str]:
    """The date problems (`requests.dates`) in the officer's language, by field."""
    errors: dict[str, str] = {}
    for problem in problems:
        code = OUTGOING_WORDING.get(problem.code, problem.code) if outgoing else problem.code
        text = t.gettext(DATE_MESSAGES[code]).format(**dict(problem.values))
        errors.setdefault(problem.field.removeprefix("extradition."), text)
    return errors


def validate(
    draft: Draft, t: Translator, today: date | None = None
) -> tuple[RequestCreate | None, dict[str, str]]:
    errors: dict[str, str] = {}
    for name in ("requesting_state", "requested_state"):
        if draft.values.get(name):
            try:
                resolve_state(draft.values[name])
            except JudicareError:
                errors[name] = field_problem(t, "unknown_state")
    for index, person in enumerate(draft.persons):
        if person["nationality"]:
            try:
                resolve_state(person["nationality"])
            except JudicareError:
                errors[f"person-{index}-nationality"] = field_problem(t, "unknown_state")
        if any(person.values()) and not person["name"]:
            errors[f"person-{index}-name"] = field_problem(t, "missing")
    if today is not None:  # the dates typed that are dates, checked as the service will
        problems = date_problems(**_typed_dates(draft), today=today)
        errors.update(date_errors(t, problems, outgoing=draft.wizard))
    try:
        body = RequestCreate.model_validate(payload(draft))
    except ValidationError as invalid:
        for problem in invalid.errors():
            name = _field_of(problem.get("loc", ()))
            limit = (problem.get("ctx") or {}).get("max_length")
            errors.setdefault(name, field_problem(t, problem["type"], limit))
        return None, errors
    return (None if errors else body), errors


def _typed_dates(draft: Draft) -> dict[str, date | None]:
    found: dict[str, date | None] = {}
    for name in ("received_on", "request_date", "requested_execution_date", "warrant_issued_on"):
        try:
            found[name] = date.fromisoformat(draft.values.get(name) or "")
        except ValueError:
            found[name] = None  # missing or not a date: the schema says so
    if not is_extradition(draft.values.get("kind")):
        found["warrant_issued_on"] = None  # kept from another kind, not registered
    return found


def step_errors(errors: dict[str, str], step: str) -> dict[str, str]:
    wanted = STEP_FIELDS[step]
    return {
        k: v
        for k, v in errors.items()
        if k in wanted or ("persons" in wanted and k.startswith("person-"))
    }


def first_step_with(errors: dict[str, str], kind: str | None = None) -> int:
    for number, (step, _title) in enumerate(steps_for(kind)):
        if step_errors(errors, step):
            return number
    return len(STEPS) - 1


router = APIRouter(include_in_schema=False)


def form_page(request, who, draft: Draft, errors=None, status=200, problem=None, dropped=()):
    app, pages = app_of(request), pages_of(request)
    check = _check(app, draft)
    return pages.render(
        request,
        "intake.html",
        status=status,
        principal=who,
        draft=draft,
        errors=errors or {},
        problem=problem,
        dropped=list(dropped),
        max_upload=app.settings.max_upload_bytes,
        steps=steps_for(draft.values.get("kind")),
        extradition=is_extradition(draft.values.get("kind")),
        eaw=bool(check) and check["completeness"]["rule"] == "eaw",
        warrant_kinds=WARRANT_KINDS,
        limit_of=limit_of,
        summary=summary(Translator(language_of(request)), errors or {}, draft.wizard),
        kinds=[k.value for k in CooperationKind],
        measures=[m.value for m in Measure],
        roles=[r.value for r in PersonRole],
        urgencies=[u.value for u in Urgency],
        confidentialities=[c.value for c in Confidentiality],
        crimes=crime_choices(),
        crime_titles=dict(crime_choices()),
        romanisations=romanisations,
        review_date=review_date,
        check=check,
        my_drafts=_drafts_to_list(app, who, draft),
        draft_days=DRAFT_DAYS,
    )


def _drafts_to_list(app: App, who: Principal, draft: Draft) -> list:
    """'My drafts', at the start of a new wizard."""
    if not draft.wizard or draft.draft_id is not None or draft.reached > 0:
        return []
    return intake_drafts.my_drafts(app, who)


def _check(app: App, draft: Draft) -> dict | None:
    data = payload(draft)
    needed = ("requesting_state", "requested_state", "kind", "received_on")
    if not all(data.get(k) for k in needed):
        return None
    data.setdefault("requesting_authority", "")
    for key in ("subject_and_nature", "facts_summary", "legal_provisions"):
        data.setdefault(key, "")
    for key in ("purpose", "procedure_wished", "person_to_serve", "requested_execution_date"):
        data.setdefault(key, "" if key != "requested_execution_date" else None)
    if data.get("extradition"):  # a date not yet a date is not a contents problem here
        try:
            date.fromisoformat(data["extradition"]["warrant_issued_on"] or "")
        except ValueError:
            data["extradition"]["warrant_issued_on"] = None
    try:
        with app.unit_of_work() as uow:
            documents = len(draft.chosen) + len(draft.held)
            return draft_check(app.basis.get(uow.session), data, documents=documents)
    except (JudicareError, ValueError):
        return None


@router.get("/requests/new")
def new_request(
    app: AppDep, pages: PagesDep, request: Request, who: Who, direction: str = "incoming"
) -> Response:
    authorize(who, Permission.REQUEST_CREATE)
    draft = Draft(key=uuid.uuid4().hex)
    draft.values = {name: "" for name in SCALARS}
    draft.values.update(
        direction=direction if direction in ("incoming", "outgoing") else "incoming",
        received_on=app.clock.today().isoformat(),
        urgency="normal",
        confidentiality="normal",
    )
    draft.persons = [{f: "" for f in PERSON_FIELDS}]
    return form_page(request, who, draft)


@router.post("/requests/new/check", dependencies=[Depends(check_csrf)])
async def live_check(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    """The legal basis and the missing contents, redrawn as the officer types (HTMX)."""
    authorize(who, Permission.REQUEST_CREATE)
    draft = read_draft(await request.form())
    await run_in_threadpool(_with_held, app, who, draft)
    check = await run_in_threadpool(_check, app, draft)
    return pages.render(request, "intake_check.html", principal=who, draft=draft, check=check)


@router.post("/requests/new", dependencies=[Depends(check_csrf)])
async def submit(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    authorize(who, Permission.REQUEST_CREATE)
    t = Translator(language_of(request))
    form = await request.form()
    draft = read_draft(form)
    draft.chosen = []  # a page drawn again comes without the files: none is chosen there
    dropped = sent_names(form)
    go = str(form.get("go", "submit"))
    await run_in_threadpool(_with_held, app, who, draft)
    if draft.wizard and (go == "save" or (dropped and _moving(go))):
        # the files chosen are held with the draft: going to another step keeps them
        kept = await _hold(request, app, who, draft, form, t)
        if isinstance(kept, Response):
            return kept
        if go == "save":
            flash(request, intake_drafts.saved_note(t, kept), "success")
            return RedirectResponse(f"/requests/drafts/{draft.draft_id}", status_code=303)
        dropped = []
    if draft.wizard and go.startswith("unhold-") and draft.draft_id is not None:
        file_id = _int(go.removeprefix("unhold-"), -1)
        await run_in_threadpool(intake_drafts.drop_file, app, who, draft.draft_id, file_id)
        await run_in_threadpool(_with_held, app, who, draft)
        return form_page(request, who, draft)
    if go == "refresh":  # the kind changed without JavaScript: its fields, nothing checked
        return form_page(request, who, draft, dropped=dropped)
    if go == "add_person" and len(draft.persons) < MAX_PERSONS:
        draft.persons.append({f: "" for f in PERSON_FIELDS})
        return form_page(request, who, draft, dropped=dropped)
    if go.startswith("remove_person-"):
        index = _int(go.removeprefix("remove_person-"), -1)
        if 0 <= index < len(draft.persons):
            draft.persons.pop(index)
        return form_page(request, who, draft, dropped=dropped)
    body, errors = await run_in_threadpool(validate, draft, t, app.clock.today())
    if draft.wizard and (go in ("next", "back") or go.startswith("goto-")):
        return _move(request, who, draft, errors, go)
    attachments, file_problem = await read_attachments(form, app.settings.max_upload_bytes, t)
    if file_problem:
        errors[DOCUMENTS] = file_problem
    else:
        held = await run_in_threadpool(intake_drafts.held_attachments, app, who, draft.draft_id)
        attachments = [*held, *attachments]
    if body is None or file_problem:
        if draft.wizard:
            draft.step = first_step_with(errors, draft.values.get("kind"))
        return form_page(request, who, draft, errors, status=422, dropped=dropped)
    try:
        request_id = await run_in_threadpool(
            lambda: document_service.register_with_documents(
                app, who, body, attachments, idempotency_key=f"web-{draft.key}", why=WHY
            )
        )
    except InvalidDates as refused:  # the service's own check (the same rules)
        errors.update(date_errors(t, refused.problems, outgoing=draft.wizard))
        return form_page(request, who, draft, errors, status=422, dropped=dropped)
    except JudicareError as refused:
        problem = error_text(request, refused.code, refused.message)
        return form_page(
            request, who, draft, errors, status=refused.http_status, problem=problem,
            dropped=dropped,
        )  # fmt: skip
    await run_in_threadpool(intake_drafts.registered, app, who, draft.draft_id)
    flash(request, t.gettext("The request was registered."), "success")
    return RedirectResponse(f"/requests/{request_id}", status_code=303)


def _moving(go: str) -> bool:
    return go in ("next", "back") or go.startswith("goto-")


def _with_held(app: App, who: Principal, draft: Draft) -> None:
    """The saved draft's documents (held with it), or none; a draft not the user's is
    forgotten (it is never shown, nor its files used)."""
    if draft.draft_id is None:
        return
    try:
        saved = intake_drafts.load(app, who, draft.draft_id)
    except JudicareError:
        draft.draft_id, draft.held = None, []
        return
    draft.held = [(f.id, f.filename, f.size) for f in saved.files]
    draft.expires = saved.expires_at


async def _hold(request, app: App, who: Principal, draft: Draft, form: FormData, t: Translator):
    """Save the draft with the files sent: its expiry, or the page saying what is wrong."""
    attachments, file_problem = await read_attachments(form, app.settings.max_upload_bytes, t)
    if file_problem:
        return form_page(request, who, draft, {DOCUMENTS: file_problem}, status=422)
    try:
        saved = await run_in_threadpool(intake_drafts.save, app, who, draft, attachments)
    except JudicareError as refused:
        return form_page(request, who, draft, {DOCUMENTS: refused.message}, status=422)
    draft.draft_id = saved.id
    draft.held = [(f.id, f.filename, f.size) for f in saved.files]
    draft.expires = saved.expires_at
    return saved.expires_at


def _move(request, who, draft: Draft, errors, go: str) -> Response:
    """Back, Next, or a step of the step list: any step already reached. Going forward
    stops at the first step on the way that a problem holds up, with the problem shown."""
    if go == "back":
        target = draft.step - 1
    elif go == "next":
        target = draft.step + 1
    else:
        target = min(_int(go.removeprefix("goto-"), draft.step), draft.reached)
    target = max(0, min(target, len(STEPS) - 1))
    if target > draft.step:
        for number in range(draft.step, target):
            here = step_errors(errors, steps_for(draft.values.get("kind"))[number][0])
            if here:
                draft.step = number
                return form_page(request, who, draft, here, status=422)
    draft.step = target
    draft.reached = max(draft.reached, target)
    return form_page(request, who, draft)
