"""The depositary's desk in the browser (issue 19): receive an instrument with its scanned
original, complete the full powers of a pending one, and issue a drafted notification (a
second officer: four eyes). The rules are the service's (`treaties.desk_service`); this
module parses the form and shows the outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from judicare.api.deps import AppDep
from judicare.auth.permissions import Permission, Principal, authorize
from judicare.errors import InvalidInput, JudicareError
from judicare.exchange.depositary import deliverer
from judicare.treaties import desk_service
from judicare.treaties import service as register
from judicare.treaties.desk import DESK_KINDS, Capacity, FullPowers
from judicare.treaties.notification_pdf import notification_pdf as render_notification_pdf
from judicare.web.i18n import Translator
from judicare.web.rendering import PagesDep, flash
from judicare.web.session import check_csrf, current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
DESK = "/treaties/desk"
KINDS = sorted(k.value for k in DESK_KINDS)
CAPACITIES = [c.value for c in Capacity]
FormText = Annotated[str, Form(max_length=2000)]

router = APIRouter(include_in_schema=False)


def _notifications(session) -> tuple[list[dict], list[dict]]:
    """(drafts to review, issued notifications newest first)."""
    drafts, issued = [], []
    for instrument in register.list_instruments():
        rows = register.list_notifications(session, instrument["id"], include_drafts=True)
        drafts += [n for n in rows if n["issued_at"] is None]
        issued += [n for n in rows if n["issued_at"] is not None]
    issued.sort(key=lambda n: (n["issued_at"], n["reference"]), reverse=True)
    return drafts, issued


def desk_page(
    app, pages, request: Request, who: Principal, *, status=200, errors=None, values=None
):
    with app.unit_of_work() as uow:
        deposits = desk_service.list_deposits(uow.session, who)
        drafts, issued = _notifications(uow.session)
        received = desk_service.received_notifications(uow.session, who)
    return pages.render(
        request, "treaty_desk.html", status=status, principal=who,
        deposits=list(reversed(deposits)), drafts=drafts, issued=issued, received=received,
        kinds=KINDS, capacities=CAPACITIES,
        instruments=register.list_instruments(), errors=errors or {}, values=values or {},
    )  # fmt: skip


@router.get(DESK)
def desk(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    authorize(who, Permission.TREATY_RECORD)
    return desk_page(app, pages, request, who)


@router.post(DESK + "/receive", dependencies=[Depends(check_csrf)])
async def receive(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    who: Who,
    instrument: FormText = "",
    state: FormText = "",
    act: FormText = "",
    deposited_on: FormText = "",
    signatory: FormText = "",
    capacity: FormText = "",
    full_powers_by: FormText = "",
    full_powers_on: FormText = "",
    article: FormText = "",
    declaration: FormText = "",
    annexes: FormText = "",
    objection_to: FormText = "",
    text: FormText = "",
    location: FormText = "",
    original: Annotated[UploadFile | None, File()] = None,
) -> Response:
    authorize(who, Permission.TREATY_RECORD)
    t = Translator(language_of(request))
    values = {
        "instrument": instrument, "state": state, "act": act, "deposited_on": deposited_on,
        "signatory": signatory, "capacity": capacity, "full_powers_by": full_powers_by,
        "full_powers_on": full_powers_on, "article": article, "declaration": declaration,
        "annexes": annexes, "objection_to": objection_to, "text": text, "location": location,
    }  # fmt: skip
    content = await original.read(desk_service.MAX_ORIGINAL_BYTES + 1) if original else b""
    try:
        if not objection_to.strip().isdigit() and objection_to.strip():
            raise InvalidInput("objection-to must be a deposit number")
        receipt = desk_service.parse_receipt(
            instrument_id=instrument, state=state, kind=act, deposited_on=deposited_on,
            signatory=signatory, capacity=capacity, full_powers_by=full_powers_by or None,
            full_powers_on=full_powers_on or None, article=article, declaration=declaration,
            annexes=tuple(annexes.replace(",", " ").split()),
            objection_to=int(objection_to) if objection_to.strip() else None, text=text,
        )  # fmt: skip
        with app.unit_of_work() as uow:
            result = desk_service.receive(
                uow.session, app.file_store, who, receipt,
                ((original.filename if original else None) or "original", content),
                location=location, now=app.now(), today=app.clock.today(),
            )  # fmt: skip
            uow.commit()
    except JudicareError as exc:
        if exc.http_status in (401, 403):
            raise
        errors = {"form": t.gettext("The instrument was not received: %(why)s", why=exc.message)}
        return desk_page(app, pages, request, who, status=422, errors=errors, values=values)
    flash(request, _outcome(t, result), "info" if result["status"] == "accepted" else "error")
    return RedirectResponse(DESK, status_code=303)


def _outcome(t: Translator, result: dict) -> str:
    if result["status"] == "accepted":
        return t.gettext(
            "Deposit %(number)d accepted; notification %(reference)s drafted for review.",
            number=result["deposit"], reference=result["notification"],
        )  # fmt: skip
    if result["status"] == "pending":
        return t.gettext("Deposit %(number)d is pending.", number=result["deposit"])
    return t.gettext("Deposit %(number)d is refused.", number=result["deposit"])


@router.post(DESK + "/{deposit}/full-powers", dependencies=[Depends(check_csrf)])
def full_powers(
    app: AppDep,
    request: Request,
    who: Who,
    deposit: int,
    issued_by: FormText = "",
    issued_on: FormText = "",
) -> Response:
    authorize(who, Permission.TREATY_RECORD)
    t = Translator(language_of(request))
    try:
        powers = FullPowers(
            desk_service._choice(Capacity, issued_by, "issued by"),
            desk_service._day(issued_on, "issued on"),
            True,
            True,
        )
        with app.unit_of_work() as uow:
            result = desk_service.complete_full_powers(
                uow.session, who, deposit, powers, now=app.now(), today=app.clock.today()
            )
            uow.commit()
    except JudicareError as exc:
        if exc.http_status in (401, 403):
            raise
        flash(request, exc.message, "error")
        return RedirectResponse(DESK, status_code=303)
    flash(request, _outcome(t, result), "info" if result["status"] == "accepted" else "error")
    return RedirectResponse(DESK, status_code=303)


@router.post(DESK + "/issue", dependencies=[Depends(check_csrf)])
def issue(
    app: AppDep, request: Request, who: Who, instrument: FormText = "", number: FormText = ""
) -> Response:
    authorize(who, Permission.TREATY_RECORD)
    t = Translator(language_of(request))
    try:
        with app.unit_of_work() as uow:
            node = getattr(request.app.state, "exchange_node", None)
            result = desk_service.issue(
                uow.session, app.file_store, who, instrument, int(number or 0), now=app.now(),
                deliver=deliverer(node, who.username),
            )  # fmt: skip
            uow.commit()
    except JudicareError as exc:
        if exc.http_status in (401, 403):
            raise
        flash(request, exc.message, "error")
        return RedirectResponse(DESK, status_code=303)
    flash(
        request,
        t.gettext(
            "Notification %(reference)s issued and sent to %(count)d states.",
            reference=result["reference"],
            count=len(result["sent_to"]),
        ),
    )
    return RedirectResponse(DESK, status_code=303)


@router.get(DESK + "/notifications/{instrument}/{number}.pdf")
def notification_pdf(
    app: AppDep, request: Request, who: Who, instrument: str, number: int, lang: str = "en"
) -> Response:
    """An issued notification as the PDF a state without a node is sent (en or fr)."""
    authorize(who, Permission.TREATY_READ)
    with app.unit_of_work() as uow:
        wire = desk_service.issued_form(uow.session, instrument, number)
    pdf = render_notification_pdf(wire, lang)
    name = f"{wire['reference'].replace('/', '-').lower()}-{lang}.pdf"
    return Response(
        pdf, media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip
