"""Depositary notifications over the node exchange (issue 19). When a depositary officer
issues a notification (`treaties.desk_service.issue`), it travels, signed and encrypted like
every message, through the durable outbox to the node of every state concerned that is a
peer of this one; a state without a node is sent the PDF instead. The receiving node stores
it as a received notification (shown on its desk), once: the same notification received
again, in another message, changes nothing.

A notification concerns no request: `inbox.request_id` stays None.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.exchange.canonical import DEPOSITARY_NOTIFICATION
from judicare.exchange.errors import Malformed, NotApplicable
from judicare.exchange.models import PeerRow
from judicare.treaties.models import ReceivedNotificationRow

MAX_TEXT = 20_000
_INSTRUMENT = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_STATE = re.compile(r"[A-Z]{3}")
_ACTION = re.compile(r"[a-z_]{1,40}")


def deliverer(node, actor: str):
    """A `treaties.desk_service.Deliver` that sends through this node, or None when the
    node has no keys (then every state concerned is sent the PDF)."""
    if node is None or node.key_store.load() is None:
        return None

    def deliver(session: Session, wire: dict, states: list[str], now: datetime):
        from judicare.exchange.service import send_message

        me = node.ring().identity.node_id
        peers = session.scalars(
            select(PeerRow)
            .where(PeerRow.active.is_(True), PeerRow.state.in_(states), PeerRow.node_id != me)
            .order_by(PeerRow.node_id)
        ).all()
        reached: dict[str, list[tuple[str, str]]] = {}
        for peer in peers:
            row = send_message(
                session, node, peer_id=peer.node_id, kind=DEPOSITARY_NOTIFICATION,
                body={"notification": wire}, actor=actor, now=now,
                why=f"depositary notification {wire['reference']} sent to the states concerned",
            )  # fmt: skip
            reached.setdefault(peer.state, []).append((peer.node_id, row.message_id))
        return reached

    return deliver


def _text(body: dict, name: str, pattern: re.Pattern | None = None, limit: int = 300) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise Malformed(f"a depositary notification needs notification.{name} as a string")
    if pattern is not None and not pattern.fullmatch(value):
        raise Malformed(f"notification.{name} {value[:80]!r} is not in the expected form")
    return value


def _day(body: dict, name: str, required: bool = False) -> date | None:
    value = body.get(name)
    if value is None and not required:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Malformed(f"notification.{name} {str(value)[:40]!r} is not a date") from None


def _when(body: dict, name: str) -> datetime:
    value = body.get(name)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise Malformed(f"notification.{name} {str(value)[:40]!r} is not a time") from None
    if moment.tzinfo is None:
        raise Malformed(f"notification.{name} must carry its time zone")
    return moment


def apply_notification(session: Session, verified, body: dict, inbox, now: datetime) -> dict:
    """Store a depositary notification another node issued; idempotent per sender,
    instrument and number (the same again is acknowledged, different text is refused)."""
    wire = body.get("notification")
    if not isinstance(wire, dict):
        raise Malformed("a depositary notification needs body.notification as an object")
    number = wire.get("number")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise Malformed("notification.number must be a positive integer")
    fields = {
        "instrument_id": _text(wire, "instrument", _INSTRUMENT, 64),
        "number": number,
        "reference": _text(wire, "reference", limit=80),
        "state": _text(wire, "state", _STATE, 3),
        "action": _text(wire, "action", _ACTION, 40),
        "action_date": _day(wire, "action_date"),
        "issued_at": _when(wire, "issued_at"),
        "entry_into_force": _day(wire, "entry_into_force"),
        "objection_deadline": _day(wire, "objection_deadline"),
        "text_en": _text(wire, "text_en", limit=MAX_TEXT),
        "text_fr": _text(wire, "text_fr", limit=MAX_TEXT),
    }
    inbox.body_summary = {"notification": fields["reference"], "state": fields["state"],
                          "action": fields["action"]}  # fmt: skip
    earlier = session.scalar(
        select(ReceivedNotificationRow).where(
            ReceivedNotificationRow.sender == verified.sender,
            ReceivedNotificationRow.instrument_id == fields["instrument_id"],
            ReceivedNotificationRow.number == number,
        )
    )
    if earlier is not None:
        if (earlier.text_en, earlier.text_fr) != (fields["text_en"], fields["text_fr"]):
            raise NotApplicable(
                f"notification {fields['reference']} was already received from node "
                f"{verified.sender} with another text: a notification number is used once"
            )
        return {"stored": False, "already_received": fields["reference"]}
    row = ReceivedNotificationRow(
        sender=verified.sender, message_id=verified.message_id, received_at=now, **fields
    )
    session.add(row)
    session.flush()
    record(
        session, actor=f"node:{verified.sender}", action=AuditAction.COLLECTION,
        tag="node:depositary_notification:receive", subject_type="notification",
        subject_id=fields["reference"], at=now,
        why=f"received from node {verified.sender} as message {verified.message_id}",
        details={"state": fields["state"], "action": fields["action"]},
    )  # fmt: skip
    return {"stored": True, "notification": fields["reference"]}
