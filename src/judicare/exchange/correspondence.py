"""A request's correspondence with the other state's central authority.

After a request has travelled (`service.send_request`), the two nodes keep talking in its
conversation: the requested state answers (with documents) or asks for more information,
the requesting state supplements its request, and each side's changes of status reach the
other as status notices. Every message is an officer's act (or the consequence of one, for
status notices) and is written to the outbox in the same transaction as that act.

A status notice carries the new status only, never the reasons recorded for it: the
reasons of a refusal or a postponement may name what the requested state knows about a
person (a refugee's protected status), which must not reach the requesting state by
itself. What the requesting state is told in words is what an officer writes in an answer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.permissions import Permission, Principal
from judicare.db.base import as_utc
from judicare.errors import InvalidInput
from judicare.exchange import payloads
from judicare.exchange.canonical import ANSWER, REQUEST_FOR_INFORMATION, STATUS_NOTICE
from judicare.exchange.errors import ExchangeError, UnknownPeer
from judicare.exchange.models import InboxRow, OutboxRow, OutboxStatus
from judicare.exchange.service import REQUEST_TYPES, Node, send_message
from judicare.requests.events import StatusChanged, StatusListener
from judicare.requests.models import DocumentRow, RequestRow
from judicare.requests.service import audit_request_act, load_for

MAX_TEXT = 20_000


def send_answer(
    session: Session,
    node: Node,
    principal: Principal,
    request_id: int,
    text: str,
    *,
    document_ids: tuple[int, ...] = (),
    now: datetime,
    why: str,
) -> OutboxRow:
    """The requested state's answer to a request it received, with the documents chosen
    from the request's file (the evidence gathered, a record of the hearing...)."""
    row, inbox = _received(session, principal, request_id)
    documents = _documents(session, row, document_ids)
    entries, uploads = payloads.encrypt_documents(node.file_store, documents, node.settings)
    body = {"text": _text(text, "the answer"), "attachments": entries, "reference": row.reference}
    return _reply(session, node, principal, row, inbox, ANSWER, body, uploads, now, why)


def ask_for_information(
    session: Session,
    node: Node,
    principal: Principal,
    request_id: int,
    text: str,
    *,
    now: datetime,
    why: str,
) -> OutboxRow:
    """Ask the requesting state for what the request lacks before deciding on it."""
    row, inbox = _received(session, principal, request_id)
    body = {"text": _text(text, "the request for information"), "reference": row.reference}
    return _reply(session, node, principal, row, inbox, REQUEST_FOR_INFORMATION, body, [], now, why)


def _received(session: Session, principal: Principal, request_id: int):
    row = load_for(session, principal, request_id, Permission.REQUEST_TRANSITION)
    first = session.scalar(
        select(InboxRow)
        .where(InboxRow.request_id == row.id, InboxRow.message_type.in_(REQUEST_TYPES))
        .order_by(InboxRow.received_at)
        .limit(1)
    )
    if first is None:
        raise InvalidInput(
            f"request {row.id} did not arrive through the exchange: answer it by the channel "
            "it came by"
        )
    return row, first


def _reply(session, node, principal, row, inbox, kind, body, uploads, now, why) -> OutboxRow:
    out = send_message(
        session, node, peer_id=inbox.sender, kind=kind, body=body, actor=principal.username,
        why=why, now=now, conversation_id=inbox.conversation_id, request_id=row.id,
        uploads=uploads,
    )  # fmt: skip
    audit_request_act(
        session, principal, row.id, AuditAction.DISCLOSURE, f"{kind.tag}:send", why=why,
        now=now, details={"recipients": [inbox.sender], "message_id": out.message_id,
                          "documents": [a["sha256"] for a in body.get("attachments", [])]},
    )  # fmt: skip
    return out


def _text(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"{what} needs a text: write what the other authority should read")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{what} has {len(text)} characters; the most is {MAX_TEXT}")
    return text


def _documents(session: Session, row: RequestRow, document_ids: tuple[int, ...]) -> list:
    wanted = list(dict.fromkeys(document_ids))
    if not wanted:
        return []
    found = {
        d.id: d
        for d in session.scalars(
            select(DocumentRow).where(DocumentRow.request_id == row.id, DocumentRow.id.in_(wanted))
        )
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        raise InvalidInput(
            f"document(s) {', '.join(map(str, missing))} are not in request {row.id}'s file"
        )
    return [found[i] for i in wanted]


# --- status notices ----------------------------------------------------------------------


def status_notices(node: Node) -> StatusListener:
    """The listener that tells the other node of each change of a request's status, in the
    transaction of the change (`requests.events`)."""

    def listener(session: Session, event: StatusChanged) -> None:
        row = session.get(RequestRow, event.request_id)
        for peer_id, conversation_id in conversations(session, event.request_id):
            body = status_notice_body(event, row.reference)
            try:
                send_message(
                    session, node, peer_id=peer_id, kind=STATUS_NOTICE, body=body,
                    actor=event.principal.username, why=f"status notice: {event.why}",
                    now=event.at, conversation_id=conversation_id, request_id=row.id,
                )  # fmt: skip
            except (UnknownPeer, ExchangeError) as exc:
                # The peer was removed, its entry fails its check, or this node has lost
                # its keys: the officer's decision stands; the notice not sent is recorded.
                record(
                    session, actor=event.principal.username, action=AuditAction.DISCLOSURE,
                    tag="node:status_notice:not_sent", subject_type="request",
                    subject_id=row.id, why=event.why, at=event.at,
                    details={"peer": peer_id, "status": event.to_status,
                             "reason": exc.code, "message": exc.message},
                )  # fmt: skip

    listener.judicare_exchange = True  # type: ignore[attr-defined]
    return listener


def status_notice_body(event: StatusChanged, reference: str) -> dict:
    """The status and when it changed, never the reasons (see the module's docstring)."""
    return {
        "status": event.to_status, "previous_status": event.from_status,
        "changed_at": as_utc(event.at).isoformat(), "reference": reference,
    }  # fmt: skip


def conversations(session: Session, request_id: int) -> list[tuple[str, str]]:
    """(peer, conversation) for each exchange that carried this request, in either
    direction: the node it was sent to, or the node it came from."""
    sent = select(OutboxRow.peer_id, OutboxRow.conversation_id).where(
        OutboxRow.request_id == request_id,
        OutboxRow.message_type.in_(REQUEST_TYPES),
        OutboxRow.status != OutboxStatus.DEAD,
    )
    came = select(InboxRow.sender, InboxRow.conversation_id).where(
        InboxRow.request_id == request_id, InboxRow.message_type.in_(REQUEST_TYPES)
    )
    found = [*session.execute(sent).all(), *session.execute(came).all()]
    return list(dict.fromkeys((str(p), str(c)) for p, c in found))


def has_messages(session: Session, request_id: int) -> bool:
    """Whether any message about the request was queued, sent or received (dead letters
    included: an officer must see a request that failed to travel)."""
    return any(
        session.scalar(select(model.request_id).where(model.request_id == request_id).limit(1))
        is not None
        for model in (OutboxRow, InboxRow)
    )


def requests_sent(session: Session, principal: Principal, *, exclude: int) -> list[dict]:
    """The outgoing requests of the principal's authority already sent to a peer (those a
    new request may supplement), newest first."""
    rows = session.execute(
        select(RequestRow.id, RequestRow.reference, OutboxRow.peer_id)
        .join(OutboxRow, OutboxRow.request_id == RequestRow.id)
        .where(
            OutboxRow.message_type.in_(REQUEST_TYPES),
            OutboxRow.status != OutboxStatus.DEAD,
            RequestRow.authority_id == principal.authority_id,
            RequestRow.id != exclude,
        )
        .order_by(RequestRow.id.desc())
        .limit(200)
    ).all()
    return [{"id": i, "reference": r, "peer": p} for i, r, p in dict.fromkeys(rows)]


def install_status_notices(app, node: Node) -> None:
    """Register the listener once (an app served twice must not notify twice)."""
    app.status_listeners[:] = [
        x for x in app.status_listeners if not getattr(x, "judicare_exchange", False)
    ]
    app.status_listeners.append(status_notices(node))


# --- reading --------------------------------------------------------------------------------


def correspondence(
    session: Session, principal: Principal, request_id: int, *, now: datetime, why: str
) -> dict:
    """Every message of the request's conversations, sent and received, oldest first, with
    the delivery state of those sent and the last status the other node reported."""
    row = load_for(session, principal, request_id, Permission.REQUEST_READ)
    audit_request_act(
        session, principal, row.id, AuditAction.CONSULTATION, "exchange:read", why=why,
        now=now, details={"reference": row.reference},
    )  # fmt: skip
    sent = session.scalars(select(OutboxRow).where(OutboxRow.request_id == row.id))
    came = session.scalars(select(InboxRow).where(InboxRow.request_id == row.id))
    messages = [*map(_sent, sent), *map(_came, came)]
    messages.sort(key=lambda m: (m["at"], m["message_id"]))
    notices = [m for m in messages if m["direction"] == "received" and m["type"] == "status_notice"]
    peer_status = notices[-1]["summary"].get("status") if notices else None
    return {"request_id": row.id, "peer_status": peer_status, "messages": messages}


def _sent(o: OutboxRow) -> dict:
    tag, _, version = o.message_type.partition("/")
    return {
        "direction": "sent", "message_id": o.message_id, "conversation_id": o.conversation_id,
        "peer": o.peer_id, "type": tag, "version": int(version or 0),
        "at": as_utc(o.created_at).isoformat(), "delivery": o.status,
        "delivered_at": as_utc(o.delivered_at).isoformat() if o.delivered_at else None,
        "summary": o.summary or {},
    }  # fmt: skip


def _came(i: InboxRow) -> dict:
    tag, _, version = i.message_type.partition("/")
    return {
        "direction": "received", "message_id": i.message_id,
        "conversation_id": i.conversation_id, "peer": i.sender, "type": tag,
        "version": int(version or 0), "at": as_utc(i.received_at).isoformat(),
        "delivery": "received", "delivered_at": as_utc(i.received_at).isoformat(),
        "summary": i.body_summary or {},
    }  # fmt: skip
