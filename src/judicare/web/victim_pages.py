"""Pages of issue 20: the victims and witnesses of a request (rights and needs, protection
measures and their decision, information sent to victims and their questions), and the
dashboard of obligations to prosecute (aut dedere aut judicare), overdue first.

The forms post here, each through `_submit`; a refused form redirects back with the problem
in a flash message (the services say which field and how to fix it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from judicare.api.deps import AppDep, Identifier, RequestId
from judicare.app import App
from judicare.auth.permissions import Principal
from judicare.errors import JudicareError
from judicare.prosecution import rules as prosecution_rules
from judicare.prosecution import service as prosecution
from judicare.victims import rules as victim_rules
from judicare.victims import service as victims
from judicare.victims.schemas import (
    InformationRequestIn,
    MeasureDecisionIn,
    MeasureIn,
    NeedsIn,
    NoticeIn,
)
from judicare.web.i18n import Translator
from judicare.web.rendering import PagesDep, flash
from judicare.web.session import check_csrf, current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
WHY = "victims and witnesses (web)"
Text = Annotated[str, Form(max_length=8000)]

router = APIRouter(include_in_schema=False)
T = TypeVar("T")


def _submit(request: Request, back: str, act: Callable[[Translator], str]) -> Response:
    """Every form here: `act` validates and saves, returning what to tell the user; a
    refusal (invalid input, or the service's) is told instead. Either way, back to `back`."""
    t = Translator(language_of(request))
    try:
        flash(request, act(t), "success")
    except (ValidationError, JudicareError) as exc:
        _problem(request, t, exc)
    return RedirectResponse(back, status_code=303)


def _committed(app: App, work: Callable[[Session], T]) -> T:
    """`work` in one unit of work, committed."""
    with app.unit_of_work() as uow:
        done = work(uow.session)
        uow.commit()
    return done


def _problem(request: Request, t: Translator, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = t.gettext("Not saved: %(problem)s", problem=f"{where}: {first['msg']}")
    else:
        message = t.gettext("Not saved: %(problem)s", problem=getattr(exc, "message", str(exc)))
    flash(request, message, "error")


@router.get("/requests/{request_id}/victims")
def victims_page(
    app: AppDep, pages: PagesDep, request: Request, request_id: RequestId, who: Who
) -> Response:
    with app.unit_of_work() as uow:
        view = victims.victims_on(uow.session, who, request_id, now=app.now(), why=WHY)
        uow.commit()
    measures = victim_rules.measures_data()["measures"]
    return pages.render(
        request, "victims.html", principal=who, v=view,
        channels=victim_rules.measures_data()["channels"],
        kinds={k: m.get("required", []) for k, m in measures.items()},
        today=app.clock.today().isoformat(),
        steps=[s for s in victim_rules.measures_data()["steps"] if s != "answer_to_question"],
    )  # fmt: skip


@router.post("/requests/{request_id}/victims/{person_id}/needs",
             dependencies=[Depends(check_csrf)])  # fmt: skip
def needs(
    app: AppDep, request: Request, request_id: RequestId, person_id: Identifier, who: Who,
    language: Annotated[str, Form(max_length=8)] = "",
    channel: Annotated[str, Form(max_length=24)] = "",
    contact: Annotated[str, Form(max_length=500)] = "",
    flags: Annotated[list[str] | None, Form(max_length=10)] = None,
) -> Response:  # fmt: skip
    ticked = set(flags or [])

    def act(t: Translator) -> str:
        body = NeedsIn(
            language=language.strip().lower(), channel=channel or None, contact=contact,
            **{f: f in ticked for f in ("interpreter_needed", "child", "vulnerable", "sgbv",
                                        "consent_to_contact")},
        )  # fmt: skip
        _committed(app, lambda session: victims.record_needs(
            session, who, request_id, person_id, body, now=app.now(), why=WHY))  # fmt: skip
        return t.gettext("The rights and needs were recorded.")

    return _submit(request, f"/requests/{request_id}/victims", act)


@router.post("/requests/{request_id}/victim-notices", dependencies=[Depends(check_csrf)])
def notice(
    app: AppDep, request: Request, request_id: RequestId, who: Who,
    person_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    step: Annotated[str, Form(max_length=40)] = "",
    answer: Text = "",
    information_request_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:  # fmt: skip
    def act(t: Translator) -> str:
        asked = int(information_request_id) if information_request_id.isdigit() else None
        body = NoticeIn(person_id=person_id, step=step or "answer_to_question", answer=answer,
                        information_request_id=asked)  # fmt: skip
        _committed(app, lambda session: victims.send_notice(
            session, who, request_id, body, now=app.now(), why=WHY))  # fmt: skip
        return t.gettext("The information was sent and logged.")

    return _submit(request, f"/requests/{request_id}/victims", act)


def _data_lines(text: str) -> dict:
    """The measure's data as typed, one `field: value` per line (yes/no for a consent)."""
    data: dict = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        if key:
            data[key] = {"yes": True, "no": False}.get(value.lower(), value)
    return data


@router.post("/requests/{request_id}/protection-measures", dependencies=[Depends(check_csrf)])
def request_measure(
    app: AppDep, request: Request, request_id: RequestId, who: Who,
    person_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    measure: Annotated[str, Form(max_length=40)] = "",
    reasons: Text = "",
    data: Text = "",
    withhold_from: Annotated[str, Form(max_length=200)] = "",
) -> Response:  # fmt: skip
    def act(t: Translator) -> str:
        body = MeasureIn(
            person_id=person_id, measure=measure, reasons=reasons, data=_data_lines(data),
            withhold_from=[s.strip() for s in withhold_from.split(",") if s.strip()],
        )  # fmt: skip
        _committed(app, lambda session: victims.request_measure(
            session, who, request_id, body, now=app.now(), why=WHY))  # fmt: skip
        return t.gettext("The measure was requested.")

    return _submit(request, f"/requests/{request_id}/victims", act)


@router.post("/requests/{request_id}/victim-information-requests",
             dependencies=[Depends(check_csrf)])  # fmt: skip
def information_request(
    app: AppDep, request: Request, request_id: RequestId, who: Who,
    person_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    question: Text = "",
    received_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:  # fmt: skip
    def act(t: Translator) -> str:
        body = InformationRequestIn(person_id=person_id, question=question,
                                    received_on=received_on)  # fmt: skip
        _committed(app, lambda session: victims.log_information_request(
            session, who, request_id, body, now=app.now(), why=WHY))  # fmt: skip
        return t.gettext("The victim's question was logged, with its deadline.")

    return _submit(request, f"/requests/{request_id}/victims", act)


@router.post("/protection-measures/{measure_id}/decision", dependencies=[Depends(check_csrf)])
def decide_measure(
    app: AppDep, request: Request, measure_id: Identifier, who: Who,
    request_id: Annotated[int, Form(ge=1, le=2_147_483_647)],
    grant: Annotated[str, Form(max_length=5)] = "",
    reasons: Text = "",
) -> Response:  # fmt: skip
    def act(t: Translator) -> str:
        body = MeasureDecisionIn(grant=grant == "yes", reasons=reasons)
        _committed(app, lambda session: victims.decide_measure(
            session, who, measure_id, body, now=app.now(), why=WHY))  # fmt: skip
        return t.gettext("The decision on the measure was recorded.")

    return _submit(request, f"/requests/{request_id}/victims", act)


@router.get("/obligations")
def obligations(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    with app.unit_of_work() as uow:
        board = prosecution.dashboard(uow.session, who, today=app.clock.today())
        stats = prosecution.statistics(uow.session, who)
    following = {}
    for item in board:
        order = prosecution_rules.statuses()
        if item["status"] != "closed":
            following[item["id"]] = order[order.index(item["status"]) + 1]
    return pages.render(
        request, "obligations.html", principal=who, board=board, stats=stats,
        following=following, outcomes=prosecution_rules.outcomes(),
    )  # fmt: skip


@router.post("/obligations/{obligation_id}/steps", dependencies=[Depends(check_csrf)])
def obligation_step(
    app: AppDep, request: Request, obligation_id: Identifier, who: Who,
    status: Annotated[str, Form(max_length=32)] = "",
    outcome: Annotated[str, Form(max_length=32)] = "",
    note: Text = "",
) -> Response:  # fmt: skip
    def act(t: Translator) -> str:
        body = prosecution.StepIn(status=status, outcome=outcome or None, note=note)
        _committed(app, lambda session: prosecution.advance(
            session, who, obligation_id, body, now=app.now(), why=WHY))  # fmt: skip
        return t.gettext("The obligation moved to its next step.")

    return _submit(request, "/obligations", act)


# --- informing the requesting state of the result (four-eyes, then sent) ---------------------


@router.post("/obligations/{obligation_id}/information", dependencies=[Depends(check_csrf)])
def obligation_information(
    app: AppDep, request: Request, obligation_id: Identifier, who: Who, text: Text = ""
) -> Response:
    def act(t: Translator) -> str:
        body = prosecution.InformDraftIn(text=text)
        _committed(app, lambda session: prosecution.draft_information(
            session, who, obligation_id, body, now=app.now(), why=WHY))  # fmt: skip
        return t.gettext("The information awaits a second person's approval.")

    return _submit(request, "/obligations", act)


@router.post("/obligations/{obligation_id}/information/approval",
             dependencies=[Depends(check_csrf)])  # fmt: skip
def obligation_information_approval(
    app: AppDep, request: Request, obligation_id: Identifier, who: Who,
    verdict: Annotated[str, Form(max_length=8)] = "", note: Text = "",
) -> Response:  # fmt: skip
    def act(t: Translator) -> str:
        body = prosecution.InformApprovalIn(approve=verdict == "approve", note=note)
        node = getattr(request.app.state, "exchange_node", None)
        done = _committed(app, lambda session: prosecution.approve_information(
            session, node, who, obligation_id, body, now=app.now(), why=WHY))  # fmt: skip
        return {
            "sent": t.gettext("The result was sent to the requesting state's node."),
            "approved": t.gettext("Approved: download the notice, send it, and mark it sent."),
            "rejected": t.gettext("The information was sent back to be drafted again."),
        }[done["information"]["status"]]

    return _submit(request, "/obligations", act)


@router.post("/obligations/{obligation_id}/informed", dependencies=[Depends(check_csrf)])
def obligation_informed(
    app: AppDep, request: Request, obligation_id: Identifier, who: Who,
    informed_on: Annotated[str, Form(max_length=10)] = "", note: Text = "",
) -> Response:  # fmt: skip
    def act(t: Translator) -> str:
        body = prosecution.InformedIn.model_validate({"informed_on": informed_on, "note": note})
        _committed(app, lambda session: prosecution.record_informed(
            session, who, obligation_id, body, now=app.now(), why=WHY))  # fmt: skip
        return t.gettext("The notice was marked sent.")

    return _submit(request, "/obligations", act)
