"""The duty to submit a case for prosecution when extradition is refused (aut dedere aut
judicare), followed through (issue 20). An effective refusal creates the obligations its
rules call for (prosecution.rules), in the same transaction as the refusal; each moves
through submitted to prosecutors, investigation opened, decision, closed with an outcome;
where the instrument requires it, the requesting state is informed of the result. Every
step is in the request's audit trail."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction
from judicare.auth.permissions import NotFound, Permission, Principal, authorize
from judicare.errors import Conflict, InvalidInput
from judicare.portal.disclosure import outcome_counts
from judicare.prosecution import rules
from judicare.prosecution.models import ProsecutionObligationRow
from judicare.requests.access import audit_request_act, load_for
from judicare.requests.models import AssignmentRow, RequestRow
from judicare.screening.binding import binding_status
from judicare.treaties.service import participation_for


def create_for_refusal(
    session: Session, principal: Principal, row: RequestRow, decision, *, now: datetime, why: str
) -> list[dict]:
    """The obligations an effective refusal creates (none if no rule calls for one)."""
    on = now.date()
    binding = {
        instrument: {
            "requesting": str(binding_status(participation_for(session, instrument),
                                             row.requesting_state, on)),
            "requested": str(binding_status(participation_for(session, instrument),
                                            row.requested_state, on)),
        }
        for instrument in sorted(rules.trigger_instruments())
    }  # fmt: skip
    grounds = frozenset(_grounds(decision.citations))
    refusal = rules.Refusal(row.kind, grounds, frozenset(row.crimes or ()), binding)
    created = []
    for duty in rules.duties(refusal):
        entry = ProsecutionObligationRow(
            request_id=row.id, decision_id=decision.id, authority_id=row.authority_id,
            requesting_state=row.requesting_state, trigger=duty.trigger,
            citations=[*duty.citations, {"on_request_of_requesting_state": duty.on_request,
                                         "binding": duty.binding}],
            responsible=row.authority_id, due=rules.due_date(on), status="open",
            inform_requesting_state=duty.inform, created_at=now, updated_at=now,
        )  # fmt: skip
        session.add(entry)
        session.flush()
        audit_request_act(session, principal, row.id, AuditAction.ALTERATION,
                          "prosecution:obligation:create", why=why, now=now,
                          details={"obligation": entry.id, "trigger": duty.trigger,
                                   "decision": decision.id,
                                   "due": entry.due.isoformat()})  # fmt: skip
        created.append(obligation_view(entry, on))
    return created


def _grounds(citations: list[dict]) -> set[str]:
    """The grounds a refusal rests on: the findings it cites, and nationality when it cites
    ECE art. 6 itself (the article on the extradition of nationals) instead of the finding."""
    grounds = {c["finding"] for c in citations if c.get("finding")}
    for cite in citations:
        article = str(cite.get("article") or "").replace(" ", "")
        if cite.get("instrument") == "coe-extradition-1957" and (
            article == "6" or article.startswith("6(")
        ):
            grounds.add("nationality")
    return grounds


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    status: str = Field(max_length=32)
    outcome: str | None = Field(default=None, max_length=32)
    note: str = Field(min_length=1, max_length=8000, description="what was done, by whom")
    responsible: str | None = Field(default=None, min_length=1, max_length=500)


class InformedIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    informed_on: date
    note: str = Field(min_length=1, max_length=8000, description="how the state was informed")


def _obligation(session: Session, principal: Principal, obligation_id: int, permission):
    authorize(principal, permission)
    entry = session.get(ProsecutionObligationRow, obligation_id)
    hidden = NotFound(f"obligation {obligation_id} not found")
    if entry is None:
        raise hidden
    try:
        row = load_for(session, principal, entry.request_id, permission)
    except NotFound:
        raise hidden from None
    return entry, row


def advance(
    session: Session, principal: Principal, obligation_id: int, step: StepIn,
    *, now: datetime, why: str,
) -> dict:  # fmt: skip
    entry, row = _obligation(session, principal, obligation_id, Permission.REQUEST_TRANSITION)
    try:
        rules.check_step(entry.status, step.status, step.outcome)
    except ValueError as exc:
        raise Conflict(str(exc)) from None
    before = entry.status
    entry.status, entry.outcome, entry.updated_at = step.status, step.outcome, now
    if step.responsible:
        entry.responsible = step.responsible
    session.flush()
    audit_request_act(session, principal, row.id, AuditAction.ALTERATION,
                      "prosecution:obligation:step", why=why, now=now,
                      details={"obligation": entry.id, "from": before, "to": entry.status,
                               "outcome": entry.outcome, "note": step.note,
                               "responsible": entry.responsible})  # fmt: skip
    if entry.status == "closed" and entry.inform_requesting_state:
        # the outcome reached: the information of the requesting state is drafted at once,
        # for a second person to approve and send
        draft = InformDraftIn(text=_outcome_text(entry, row))
        return draft_information(session, principal, entry.id, draft, now=now, why=why)
    return obligation_view(entry, now.date())


def _outcome_text(entry: ProsecutionObligationRow, row: RequestRow) -> str:
    """The drafted words of the information: the reference, the articles, the outcome."""
    cited = ", ".join(f"{c['instrument']} art. {c['article']}"
                      for c in entry.citations if "instrument" in c)  # fmt: skip
    reference = row.requesting_reference or row.reference
    return (f"Your request {reference}: extradition was refused and the case was submitted "
            f"to our competent authorities for the purpose of prosecution ({cited}). "
            f"Result: {(entry.outcome or '').replace('_', ' ')}.")  # fmt: skip


# --- informing the requesting state of the result ------------------------------------------
#
# An outgoing communication like any other: an officer drafts the text; a second person who
# approves decisions approves it (four-eyes); on approval it is sent. When the request came
# over the node exchange, the requesting state has a node: the result goes to it as an
# answer in the request's conversation (exchange message type "answer", with the outcome and
# citations as data). Otherwise the approval makes the formal notice available (document
# kind `prosecution_outcome_notice`, en/fr/nl); the officer downloads it, sends it by the
# channel the request came by, and marks it sent (`record_informed`). Every step is in the
# request's audit trail, where the obligation's history is read.

INFORM_STATUSES = ("pending_approval", "rejected", "approved", "notice_produced", "sent")


class InformDraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: str = Field(min_length=1, max_length=20000,
                      description="what the requesting state is told of the result")  # fmt: skip


class InformApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    approve: bool
    note: str = Field(min_length=1, max_length=8000)


def _peer_conversation(session: Session, row: RequestRow):
    """The inbox entry the request arrived by, if it came over the exchange (its sender is
    the requesting state's node); None for a request registered by hand."""
    from judicare.exchange.models import InboxRow
    from judicare.exchange.service import REQUEST_TYPES

    return session.scalar(
        select(InboxRow)
        .where(InboxRow.request_id == row.id, InboxRow.message_type.in_(REQUEST_TYPES))
        .order_by(InboxRow.received_at)
        .limit(1)
    )


def draft_information(
    session: Session, principal: Principal, obligation_id: int, draft: InformDraftIn,
    *, now: datetime, why: str,
) -> dict:  # fmt: skip
    """Draft what the requesting state is told of the result; it waits for a second person."""
    entry, row = _obligation(session, principal, obligation_id, Permission.REQUEST_TRANSITION)
    if not entry.inform_requesting_state:
        raise Conflict(f"the instrument of obligation {entry.id} ({entry.trigger}) does not "
                       "require the requesting state to be informed of the result")  # fmt: skip
    if entry.status != "closed":
        raise Conflict("the requesting state is informed of the result: close the obligation first")
    if entry.informed_on is not None or entry.inform_status in ("sent",):
        raise Conflict(f"the requesting state was already informed on {entry.informed_on}")
    if entry.inform_status in ("approved", "notice_produced"):
        raise Conflict(f"the information of the requesting state is {entry.inform_status}: "
                       "it cannot be drafted again now")  # fmt: skip
    channel = "exchange" if _peer_conversation(session, row) is not None else "notice"
    entry.inform_status, entry.inform_channel, entry.inform_text = (
        "pending_approval", channel, draft.text,
    )  # fmt: skip
    entry.inform_drafted_by, entry.inform_approved_by, entry.updated_at = (
        principal.user_id, None, now,
    )  # fmt: skip
    session.flush()
    audit_request_act(session, principal, row.id, AuditAction.ALTERATION,
                      "prosecution:obligation:inform:draft", why=why, now=now,
                      details={"obligation": entry.id, "channel": channel,
                               "state": entry.requesting_state})  # fmt: skip
    return obligation_view(entry, now.date())


def approve_information(
    session: Session, node, principal: Principal, obligation_id: int,
    approval: InformApprovalIn, *, now: datetime, why: str,
) -> dict:  # fmt: skip
    """Four-eyes on the information of the requesting state; approved, it is sent over the
    exchange (the state has a node) or its formal notice becomes available."""
    entry, row = _obligation(session, principal, obligation_id, Permission.DECISION_APPROVE)
    if entry.inform_status != "pending_approval":
        raise Conflict(f"the information of obligation {entry.id} awaits no approval "
                       f"(it is {entry.inform_status or 'not drafted'})")  # fmt: skip
    if entry.inform_drafted_by == principal.user_id:
        raise Conflict("four-eyes: the person who drafted the information cannot approve it")
    entry.updated_at = now
    if not approval.approve:
        entry.inform_status = "rejected"
        session.flush()
        audit_request_act(session, principal, row.id, AuditAction.ALTERATION,
                          "prosecution:obligation:inform:reject", why=why, now=now,
                          details={"obligation": entry.id, "note": approval.note})  # fmt: skip
        return obligation_view(entry, now.date())
    entry.inform_approved_by = principal.user_id
    inbox = _peer_conversation(session, row)
    if inbox is None:
        entry.inform_status, entry.inform_channel = "approved", "notice"
        session.flush()
        audit_request_act(session, principal, row.id, AuditAction.ALTERATION,
                          "prosecution:obligation:inform:approve", why=why, now=now,
                          details={"obligation": entry.id, "channel": "notice",
                                   "note": approval.note})  # fmt: skip
        return obligation_view(entry, now.date())
    if node is None:
        raise Conflict("the requesting state has a node, but this server runs no exchange "
                       "node to send through: send from the server that is the node")  # fmt: skip
    from judicare.exchange.canonical import ANSWER
    from judicare.exchange.service import send_message

    body = {
        "text": entry.inform_text,
        "reference": row.reference,
        "prosecution_outcome": {
            "trigger": entry.trigger, "status": entry.status, "outcome": entry.outcome,
            "citations": [{k: c[k] for k in ("instrument", "article") if k in c}
                          for c in entry.citations if "instrument" in c],
        },
    }  # fmt: skip
    out = send_message(
        session, node, peer_id=inbox.sender, kind=ANSWER, body=body, actor=principal.username,
        why=why, now=now, conversation_id=inbox.conversation_id, request_id=row.id,
    )  # fmt: skip
    entry.inform_status, entry.inform_channel, entry.inform_message_id = (
        "sent", "exchange", out.message_id,
    )  # fmt: skip
    entry.informed_on = now.date()
    session.flush()
    audit_request_act(session, principal, row.id, AuditAction.DISCLOSURE,
                      "prosecution:obligation:inform", why=why, now=now,
                      details={"obligation": entry.id, "channel": "exchange",
                               "message_id": out.message_id, "recipients": [inbox.sender],
                               "informed_on": now.date().isoformat(), "note": approval.note,
                               "state": entry.requesting_state})  # fmt: skip
    return obligation_view(entry, now.date())


def notice_produced(session: Session, principal: Principal, entry, *, now: datetime) -> None:
    """The approved notice was downloaded (judicare.formal_documents renders it)."""
    if entry.inform_status == "approved":
        entry.inform_status, entry.updated_at = "notice_produced", now
        session.flush()
        audit_request_act(session, principal, entry.request_id, AuditAction.ALTERATION,
                          "prosecution:obligation:inform:notice", why="notice produced",
                          now=now, details={"obligation": entry.id,
                                            "kind": "prosecution_outcome_notice"})  # fmt: skip


def record_informed(
    session: Session, principal: Principal, obligation_id: int, informed: InformedIn,
    *, now: datetime, why: str,
) -> dict:  # fmt: skip
    """The formal notice was sent to the requesting state (ECE art. 6(2) requires it to be
    informed of the result): only once the information was approved and its notice
    produced; a state with a node is informed by the exchange at approval instead."""
    entry, row = _obligation(session, principal, obligation_id, Permission.REQUEST_TRANSITION)
    if entry.status != "closed":
        raise Conflict("the requesting state is informed of the result: close the obligation first")
    if entry.informed_on is not None:
        raise Conflict(f"the requesting state was already informed on {entry.informed_on}")
    if entry.inform_status != "notice_produced":
        needed = {
            None: "draft the information first (POST /api/v1/obligations/{id}/information)",
            "rejected": "the draft was rejected: draft it again",
            "pending_approval": "the draft awaits a second person's approval",
            "approved": "download the notice first (kind prosecution_outcome_notice)",
        }.get(entry.inform_status, f"it is {entry.inform_status}")
        raise Conflict(f"the notice to the requesting state cannot be marked sent: {needed}")
    if informed.informed_on > now.date() or informed.informed_on < entry.created_at.date():
        raise InvalidInput("informed_on must lie between the obligation's creation and today")
    entry.informed_on, entry.updated_at = informed.informed_on, now
    entry.inform_status = "sent"
    session.flush()
    audit_request_act(session, principal, row.id, AuditAction.DISCLOSURE,
                      "prosecution:obligation:inform", why=why, now=now,
                      details={"obligation": entry.id, "informed_on": str(informed.informed_on),
                               "channel": "notice", "note": informed.note,
                               "state": entry.requesting_state})  # fmt: skip
    return obligation_view(entry, now.date())


def obligation_view(entry: ProsecutionObligationRow, today: date) -> dict:
    citations = [c for c in entry.citations if "instrument" in c]
    meta = next((c for c in entry.citations if "instrument" not in c), {})
    return {
        "id": entry.id,
        "request_id": entry.request_id,
        "decision_id": entry.decision_id,
        "requesting_state": entry.requesting_state,
        "trigger": entry.trigger,
        "citations": citations,
        "on_request_of_requesting_state": bool(meta.get("on_request_of_requesting_state")),
        "binding": meta.get("binding", "yes"),
        "responsible": entry.responsible,
        "due": entry.due.isoformat(),
        "status": entry.status,
        "outcome": entry.outcome,
        "overdue": rules.is_overdue(entry.status, entry.due, today),
        "inform_requesting_state": entry.inform_requesting_state,
        "informed_on": entry.informed_on.isoformat() if entry.informed_on else None,
        "awaiting_information_of_state": entry.inform_requesting_state
        and entry.status == "closed"
        and entry.informed_on is None,
        "information": {
            "status": entry.inform_status,
            "channel": entry.inform_channel,
            "text": entry.inform_text or "",
            "drafted_by": entry.inform_drafted_by,
            "approved_by": entry.inform_approved_by,
            "message_id": entry.inform_message_id,
        },
    }


def _visible(principal: Principal):
    """Obligations on the principal's authority's requests, or on requests assigned to them."""
    assigned = select(AssignmentRow.request_id).where(AssignmentRow.user_id == principal.user_id)
    return (ProsecutionObligationRow.authority_id == principal.authority_id) | (
        ProsecutionObligationRow.request_id.in_(assigned)
    )


def dashboard(session: Session, principal: Principal, *, today: date) -> list[dict]:
    """Open obligations (and closed ones still awaiting the requesting state's information),
    overdue first, then by deadline."""
    authorize(principal, Permission.REQUEST_READ)
    rows = session.scalars(
        select(ProsecutionObligationRow)
        .where(_visible(principal))
        .order_by(ProsecutionObligationRow.due, ProsecutionObligationRow.id)
    ).all()
    views = [obligation_view(r, today) for r in rows]
    views = [v for v in views if v["status"] != "closed" or v["awaiting_information_of_state"]]
    references = dict(
        session.execute(
            select(RequestRow.id, RequestRow.reference).where(
                RequestRow.id.in_([v["request_id"] for v in views])
            )
        ).all()
    )
    for view in views:
        view["reference"] = references.get(view["request_id"], "")
    return sorted(views, key=lambda v: (not v["overdue"], v["due"], v["id"]))


def obligations_on(session: Session, principal: Principal, request_id: int, *, today: date):
    load_for(session, principal, request_id, Permission.REQUEST_READ)
    rows = session.scalars(
        select(ProsecutionObligationRow)
        .where(ProsecutionObligationRow.request_id == request_id)
        .order_by(ProsecutionObligationRow.id)
    )
    return [obligation_view(r, today) for r in rows]


def statistics(session: Session, principal: Principal) -> dict:
    """How the authority's obligations end, aggregated, small counts suppressed."""
    authorize(principal, Permission.REQUEST_READ)
    rows = session.execute(
        select(ProsecutionObligationRow.status, ProsecutionObligationRow.outcome).where(
            ProsecutionObligationRow.authority_id == principal.authority_id
        )
    ).all()
    by_outcome = Counter(o for s, o in rows if s == "closed")
    counts = {"open": sum(1 for s, _ in rows if s != "closed")}
    counts |= {name: by_outcome.get(name, 0) for name in rules.outcomes()}
    # the public portal's rule: a zero beside a few cases tells how they ended, so it is
    # hidden too (portal/disclosure.py, rule 2)
    shown = {
        k: (c.exact if c.exact is not None else c.shown())
        for k, c in outcome_counts(counts).items()
    }
    return {
        "open": shown.pop("open"),
        "by_outcome": shown,
        "suppressed_below": rules.SUPPRESS_BELOW,
    }
