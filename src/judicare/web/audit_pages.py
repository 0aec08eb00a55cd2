"""The audit view for auditors: the hash-chained log, filtered and paged (an authority's
auditor reads that authority's trail), and, for the node auditor, a check of the whole chain
that names any altered, deleted or reordered entry."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from judicare.api.deps import AppDep
from judicare.audit.scope import check_chain, read_trail
from judicare.audit.service import AuditAction
from judicare.auth.permissions import Principal
from judicare.web.errors_text import field_problem
from judicare.web.i18n import Translator
from judicare.web.rendering import PagesDep
from judicare.web.session import current_principal, language_of

Who = Annotated[Principal, Depends(current_principal)]
PAGE_SIZE = 50


router = APIRouter(include_in_schema=False)


def N_(message: str) -> str:
    return message


# The kinds of processing the trail records (GDPR art. 4(2) words, audit.service.AuditAction).
ACTS = {
    "collection": N_("collection"),
    "alteration": N_("alteration"),
    "consultation": N_("consultation"),
    "disclosure": N_("disclosure"),
    "combination": N_("combination"),
    "erasure": N_("erasure"),
}


@router.get("/audit")
def audit(
    app: AppDep,
    pages: PagesDep,
    request: Request,
    who: Who,
    subject_type: Annotated[str | None, Query(max_length=40)] = None,
    subject_id: Annotated[str | None, Query(max_length=120)] = None,
    actor: Annotated[str | None, Query(max_length=120)] = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    tag: Annotated[str | None, Query(max_length=80)] = None,
    since: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    until: Annotated[str | None, Query(alias="to", max_length=10)] = None,
    order: Annotated[str | None, Query(max_length=6)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    """The trail, newest first unless asked oldest first, filtered by user, kind of act,
    event, subject and a range of days (UTC)."""
    t = Translator(language_of(request))
    chosen = {
        "subject_type": (subject_type or "").strip(), "subject_id": (subject_id or "").strip(),
        "actor": (actor or "").strip(), "action": (action or "").strip(),
        "tag": (tag or "").strip(), "from": (since or "").strip(), "to": (until or "").strip(),
        "order": order or "newest",
    }  # fmt: skip
    errors, days = _day_problems(t, chosen)
    if chosen["action"] and chosen["action"] not in {a.value for a in AuditAction}:
        errors["action"] = field_problem(t, "enum")
    events: list[dict] = []
    if not errors:
        with app.unit_of_work() as uow:
            events = read_trail(
                uow.session, who,
                subject_type=chosen["subject_type"] or None,
                subject_id=chosen["subject_id"] or None,
                actor=chosen["actor"] or None, action=chosen["action"] or None,
                tag_contains=chosen["tag"] or None, since=days.get("from"),
                before=days.get("to"), newest_first=chosen["order"] != "oldest",
                limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE,
            )  # fmt: skip
    return pages.render(
        request,
        "audit.html",
        status=422 if errors else 200,
        principal=who,
        events=events[:PAGE_SIZE],
        more=len(events) > PAGE_SIZE,
        page=page,
        chosen=chosen,
        errors=errors,
        actions=[(a.value, t.gettext(ACTS[a.value])) for a in AuditAction],
    )


def _day_problems(t: Translator, chosen: dict) -> tuple[dict, dict]:
    """The range's days as UTC instants: from the start of `from` to the end of `to`."""
    errors, days = {}, {}
    for name, shift in (("from", 0), ("to", 1)):
        if not chosen[name]:
            continue
        try:
            day = date.fromisoformat(chosen[name])
        except ValueError:
            errors[name] = t.gettext("Write the date as YYYY-MM-DD, for example 2026-11-23.")
            continue
        days[name] = datetime.combine(day + timedelta(days=shift), time(0), tzinfo=UTC)
    if not errors and "from" in days and "to" in days and days["from"] >= days["to"]:
        errors["to"] = t.gettext("The end of the range must be on or after its start.")
    return errors, days


@router.get("/audit/verify")
def verify(app: AppDep, pages: PagesDep, request: Request, who: Who) -> Response:
    with app.unit_of_work() as uow:  # the chain and the checkpoints signed outside the DB
        checked, problems = check_chain(uow.session, who, app.audit_anchor)
    return pages.render(
        request,
        "audit_verify.html",
        principal=who,
        checked=checked,
        problems=[{"seq": p.seq, "kind": p.kind, "message": p.message} for p in problems],
    )
