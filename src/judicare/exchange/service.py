"""Use cases of the exchange: send (write to the outbox in the caller's transaction) and
receive (verify, drop duplicates, apply, sign a receipt, in one transaction).

Services never commit. A request's disclosure to a peer, its audit entry and the outbox
row land together or not at all; an incoming envelope's effect, its duplicate-store entry
and the receipt it earned land together or not at all, so a crash between them can neither
lose a message nor apply it twice.
"""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import event, select, text, update
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.models import UserRow
from judicare.auth.permissions import Permission, Principal
from judicare.auth.service import create_user, ensure_authority, principal_of
from judicare.clock import Clock
from judicare.db.base import as_utc
from judicare.errors import Conflict, InvalidInput
from judicare.exchange import payloads
from judicare.exchange.attachments import check_upload, ciphertext_limit
from judicare.exchange.canonical import RECEIPT, REQUEST, SUPPLEMENTARY_REQUEST, MessageType
from judicare.exchange.envelopes import (
    check_receipt,
    check_window,
    live_signing_keys,
    make_card,
    open_payload,
    parse,
    parse_signed,
    receipt_body,
    seal,
    sha256_hex,
    verify,
)
from judicare.exchange.errors import (
    AttachmentMismatch,
    AttachmentTooLarge,
    ConcurrentFirstUse,
    Malformed,
    Rejected,
    Replayed,
    TooLarge,
    UnknownPeer,
    UnknownSender,
)
from judicare.exchange.keys import KeyRing, KeyStore, NodeIdentity, require_ring
from judicare.exchange.models import InboxRow, OutboxRow, OutboxStatus, PeerRow
from judicare.exchange.peers import accept_rotation, load_peer
from judicare.files.store import FileStore
from judicare.files.store import TooLarge as FileTooLarge
from judicare.requests.domain import LinkType
from judicare.requests.models import RequestLinkRow
from judicare.requests.schemas import LinkIn
from judicare.requests.service import link_requests, load_for
from judicare.settings import Settings
from judicare.victims.service import wire_measures


@dataclass
class Node:
    """This node as the use cases see it: its keys, its limits, its file store, its clock."""

    key_store: KeyStore
    settings: Settings
    file_store: FileStore
    clock: Clock  # the app's clock (App.clock), never a second one
    _cached: tuple[object, KeyRing] | None = None
    principal: Principal | None = None  # the inbox user, once it is known to be committed
    # This node's legal-basis answer for a received request, as the API stores it for one
    # registered by hand: `App.basis.get` in a server, any function (or None) in tests.
    basis: Callable[[Session], object] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Set once a transaction that queued a message for a peer has committed: the delivery
    # worker of this process (`Deliverer.wake`) then posts it without waiting for its poll.
    outbox_signal: threading.Event = field(default_factory=threading.Event)

    def ring(self) -> KeyRing:
        """The keys, reloaded when they change on disk (a rotation by the CLI)."""
        stamp = self.key_store.stamp()
        with self._lock:
            if self._cached is None or self._cached[0] != stamp:
                self._cached = (stamp, require_ring(self.key_store))
            return self._cached[1]

    @property
    def lifetime(self) -> timedelta:
        return timedelta(seconds=self.settings.exchange_lifetime_seconds)


def card_if_rotated(ring: KeyRing, now: datetime) -> dict | None:
    """After a rotation, envelopes carry the node card, vouched for by the older keys,
    so that peers learn the new keys from the messages themselves."""
    return make_card(ring, now) if len(ring.generations) > 1 else None


# --- sending -------------------------------------------------------------------------------


def send_message(
    session: Session,
    node: Node,
    *,
    peer_id: str,
    kind: MessageType,
    body: dict,
    actor: str,
    why: str,
    now: datetime,
    conversation_id: str | None = None,
    request_id: int | None = None,
    uploads: list[dict] | None = None,
) -> OutboxRow:
    """Seal and sign a message and put it in the outbox, in the caller's transaction;
    `uploads` are its encrypted attachments, sent before it."""
    ring = node.ring()
    found = load_peer(session, ring, peer_id)
    if found is None:
        raise UnknownPeer(f"no active peer {peer_id!r}: add it with `judicare node peers add`")
    _, keys = found
    message_id = str(uuid.uuid4())
    conversation_id = conversation_id or str(uuid.uuid4())
    envelope = seal(
        ring, keys, kind, body, message_id=message_id, conversation_id=conversation_id,
        now=now, lifetime=node.lifetime, card=card_if_rotated(ring, now),
    )  # fmt: skip
    if len(envelope) > node.settings.exchange_max_envelope_bytes:
        raise TooLarge(
            f"the {kind.tag.replace('_', ' ')} seals to an envelope of {len(envelope)} bytes, "
            f"over the {node.settings.exchange_max_envelope_bytes} an inbox reads: shorten "
            "its texts or send the rest in a supplementary message"
        )
    row = OutboxRow(
        message_id=message_id, conversation_id=conversation_id, peer_id=peer_id,
        message_type=kind.key, request_id=request_id, envelope=envelope,
        envelope_sha256=sha256_hex(envelope), attachments=uploads or [],
        summary=summary_of(kind, body), status=OutboxStatus.PENDING,
        attempts=0, next_attempt_at=now, last_error="", created_at=now,
        expires_at=now + node.lifetime,
    )  # fmt: skip
    session.add(row)  # flushed with the transaction's next statement (several in one INSERT)
    record(
        session, actor=actor, action=AuditAction.DISCLOSURE, tag="node:message:queue",
        subject_type="message", subject_id=message_id, why=why, at=now,
        details={"recipients": [peer_id], "type": kind.key, "request": request_id,
                 "envelope_sha256": row.envelope_sha256},
    )  # fmt: skip
    wake_deliverers(session, node.outbox_signal)
    return row


# psycopg turns a statement's %(name)s placeholders into PostgreSQL's $n once per text and
# keeps that only for statements of at most 50 parameters and 4 KB; SQLAlchemy puts several
# rows inserted together into one statement ("insertmanyvalues"), whose text with hundreds
# of parameters psycopg then converted afresh every time (a sixth of the receiver's CPU in
# a batch of 64). Used where a transaction inserts tens of rows (a batch's inbox rows, a
# settlement's receipts); not for the outbox rows a transaction queues, usually a few,
# where more statements cost PostgreSQL more than the conversion saved (`bench.exchange_cpu
# --per-transaction 10`).
_CACHED_PARAMETERS = 50
_PAGE = "insertmanyvalues_page_size"


def small_inserts(session: Session, *tables) -> None:
    """On PostgreSQL, the rows of these tables inserted together in this transaction go at
    most as many to a statement as keeps it within what psycopg caches (and, run more than
    five times on a connection, prepares): the same rows, in more, cheaper statements.
    Only this transaction's connection is set (it is released at the end)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    rows = min(max(1, _CACHED_PARAMETERS // (len(table.columns) + 1)) for table in tables)
    connection = session.connection()
    if connection.get_execution_options().get(_PAGE, rows + 1) > rows:
        connection.execution_options(**{_PAGE: rows})


_WAKE = "judicare.exchange.wake"
_NOTIFY = "judicare.exchange.notify"
# PostgreSQL's channel for "a message was queued": every delivery worker on the database
# listens to it (`delivery.OutboxListener`), in whatever process it runs.
OUTBOX_CHANNEL = "judicare_exchange_outbox"


def wake_deliverers(session: Session, signal: threading.Event | None = None) -> None:
    """Once this transaction commits, wake the delivery workers: `signal` (the worker of
    this process) directly, and on PostgreSQL every worker of every process through
    `NOTIFY`, which the database delivers at COMMIT only (never for a rollback)."""
    if signal is not None:
        session.info.setdefault(_WAKE, []).append(signal)
    session.info[_NOTIFY] = True


@event.listens_for(Session, "before_commit", insert=True)  # before the audit chain's lock
def _notify_listeners(session: Session) -> None:
    if session.info.pop(_NOTIFY, False) and session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {OUTBOX_CHANNEL}"))  # one per transaction, not message


@event.listens_for(Session, "after_commit")
def _wake_deliverer(session: Session) -> None:
    """A queued message is there for the delivery worker only once committed."""
    for signal in session.info.pop(_WAKE, ()):
        signal.set()


@event.listens_for(Session, "after_transaction_end")
def _forget_wake(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WAKE, None)
        session.info.pop(_NOTIFY, None)


REQUEST_TYPES = (REQUEST.key, SUPPLEMENTARY_REQUEST.key)


def summary_of(kind: MessageType, body: dict) -> dict:
    """What a message said, for the sender's own officers: the request itself is in the
    register, so only its references; for the rest the body, documents by name and digest
    (never the keys that open them)."""
    documents = [
        {"filename": a.get("filename"), "sha256": a.get("sha256"), "size": a.get("size")}
        for a in body.get("attachments") or []
        if isinstance(a, dict)
    ]
    if kind.key in REQUEST_TYPES:
        kept = {k: body[k] for k in ("sender_reference", "supplements") if k in body}
    else:
        kept = {k: v for k, v in body.items() if k != "attachments"}
    return {**kept, "documents": documents} if documents else kept


def send_request(
    session: Session,
    node: Node,
    principal: Principal,
    request_id: int,
    peer_id: str,
    *,
    now: datetime,
    why: str,
    supplements: int | None = None,
) -> OutboxRow:
    """Send an outgoing request to the requested state's node, with its documents. With
    `supplements`, it is a supplementary request: it travels in the conversation of the
    request it supplements (which must have gone to the same peer) and is linked to it."""
    row = load_for(session, principal, request_id, Permission.REQUEST_TRANSITION)
    if row.direction != "outgoing":
        raise InvalidInput(
            f"request {row.id} is {row.direction}: only outgoing requests are sent to a peer"
        )
    sent = _sent_to(session, row.id, peer_id)
    if sent:
        raise Conflict(
            f"request {row.id} was already sent to {peer_id} as message {sent.message_id}"
        )
    kind, conversation_id, original = REQUEST, None, None
    if supplements is not None:
        original = load_for(session, principal, supplements, Permission.REQUEST_TRANSITION)
        first = _sent_to(session, original.id, peer_id)
        if first is None or original.id == row.id:
            raise InvalidInput(
                f"request {supplements} was not sent to {peer_id}: a supplementary request "
                "follows a request already sent to the same node"
            )
        kind, conversation_id = SUPPLEMENTARY_REQUEST, first.conversation_id
    entries, uploads = payloads.attachments_of(session, node.file_store, row, node.settings)
    peer = session.get(PeerRow, peer_id)
    measures = wire_measures(session, row, peer.state if peer else "")
    body = {
        "request": payloads.request_payload(row, protection_measures=measures),
        "attachments": entries,
        "sender_reference": row.reference,
    }
    if original is not None:
        body["supplements"] = original.reference
    out = send_message(
        session, node, peer_id=peer_id, kind=kind, body=body, actor=principal.username,
        why=why, now=now, request_id=row.id, uploads=uploads, conversation_id=conversation_id,
    )  # fmt: skip
    record(
        session, actor=principal.username, action=AuditAction.DISCLOSURE,
        tag=f"{principal.role.value}:request:send", subject_type="request", subject_id=row.id,
        why=why, at=now, details={"recipients": [peer_id], "message_id": out.message_id},
    )  # fmt: skip
    if original is not None and not _linked(session, original.id, row.id):
        link = LinkIn(to_request_id=row.id, link_type=LinkType.SUPPLEMENTARY)
        link_requests(session, principal, original.id, link, now=now, why=why)
    return out


def _sent_to(session: Session, request_id: int, peer_id: str) -> OutboxRow | None:
    """The message that carried this request to the peer (a dead letter does not count)."""
    return session.scalar(
        select(OutboxRow).where(
            OutboxRow.request_id == request_id, OutboxRow.peer_id == peer_id,
            OutboxRow.message_type.in_(REQUEST_TYPES), OutboxRow.status != OutboxStatus.DEAD,
        ).limit(1)
    )  # fmt: skip


def _linked(session: Session, from_id: int, to_id: int) -> bool:
    return bool(
        session.scalar(
            select(RequestLinkRow.id).where(
                RequestLinkRow.from_request_id == from_id, RequestLinkRow.to_request_id == to_id
            )
        )
    )


# --- receiving ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Received:
    message_id: str
    receipt: bytes
    duplicate: bool


def _trusted_keys(session, ring, header: dict, now: datetime, grace: timedelta):
    """The sender's keys for a message arriving now. After it rotates, the key it used just
    before still signs what was on the way for `grace` (the longest window an envelope may
    have) from when we learned of the rotation; after that, and for every key retired
    earlier, only its current key does. (The time we learned it is the peer row's
    `updated_at`, which an operator's remove and re-add also resets.)"""
    found = load_peer(session, ring, str(header.get("sender")))
    if found is None:
        return None
    row, keys = found
    card = header.get("card")
    if isinstance(card, dict) and card.get("body", {}).get("current") != row.card["body"].get(
        "current"
    ):
        keys = accept_rotation(session, ring, row, keys, card, now) or keys
    within_grace = now <= as_utc(row.updated_at) + grace
    return live_signing_keys(keys, row.card["body"], within_grace=within_grace)


def _grace(node: Node) -> timedelta:
    return timedelta(seconds=node.settings.exchange_max_window_seconds)


def receive(
    session: Session, node: Node, raw: bytes, *, now: datetime,
    parsed: tuple[dict, bytes, bytes] | None = None,
) -> Received:  # fmt: skip
    """Verify, drop a duplicate (answering with the original receipt), check the replay
    window, decrypt, apply, and sign a receipt. Raises a `Rejected` with the reason; one
    raised after the signature checked out names the peer that signed (`Rejected.sender`).
    Nothing is written before that (a rotation the header's card announces is undone with
    the transaction if the signature then fails). `parsed`: what `parse_signed` made of
    `raw`, if the caller has it already (the batch inbox)."""
    ring = node.ring()
    header, signature, signed = parsed or parse_signed(raw)
    keys = _trusted_keys(session, ring, header, now, _grace(node))
    verified = verify(raw, header, signature, ring.identity.node_id, keys, signed)
    try:
        return _accept(session, node, ring, keys, raw, header, verified, now)
    except Rejected as refused:
        refused.sender = verified.sender
        raise


# Message ids a batch found absent from the duplicate store in this transaction
# (`inbox_batch`): no need to look each up again. A concurrent copy that arrives meanwhile
# is still caught by the inbox row's unique key when this transaction inserts it.
ABSENT = "judicare.exchange.absent"


def _accept(session, node: Node, ring, keys, raw, header, verified, now) -> Received:
    absent = session.info.get(ABSENT, set())
    in_batch = verified.message_id in absent
    if in_batch:
        absent.discard(verified.message_id)  # a second copy in the batch looks it up
        earlier = None
    else:
        earlier = session.get(InboxRow, verified.message_id)
    if earlier is not None:
        if earlier.envelope_sha256 != verified.sha256:
            raise Replayed(
                f"message id {verified.message_id} was already received with other content "
                f"on {earlier.received_at:%Y-%m-%d %H:%M}: a message id is used once"
            )
        copies = session.execute(
            update(InboxRow)
            .where(InboxRow.message_id == verified.message_id)
            .values(duplicates=InboxRow.duplicates + 1)
            .returning(InboxRow.duplicates)
        ).scalar_one()
        if _worth_auditing(copies):
            _audit_envelope(session, verified, "duplicate", now,
                            {"original_receipt": True, "copy": copies})  # fmt: skip
        return Received(verified.message_id, earlier.receipt, True)
    skew = timedelta(seconds=node.settings.exchange_clock_skew_seconds)
    check_window(verified, now, skew, timedelta(seconds=node.settings.exchange_max_window_seconds))
    body = open_payload(verified, ring)
    inbox = InboxRow(
        message_id=verified.message_id, conversation_id=str(header["conversation_id"]),
        sender=verified.sender, message_type=verified.type.key,
        envelope_sha256=verified.sha256, body_summary={}, receipt=b"", received_at=now,
    )  # fmt: skip
    session.add(inbox)
    if not in_batch:  # a batch inserts its inbox rows together, as it commits; a concurrent
        # copy then fails the batch on the same unique key, and each envelope goes alone
        session.flush()  # claims the message id: a concurrent copy waits here, then fails
    principal = node.principal or system_principal(session, ring.identity)
    outcome = payloads.apply(session, node, principal, verified, body, inbox, now)
    receipt = seal(
        ring, keys, RECEIPT, receipt_body(verified, now, outcome),
        message_id=str(uuid.uuid4()), conversation_id=inbox.conversation_id, now=now,
        lifetime=node.lifetime, card=card_if_rotated(ring, now),
    )  # fmt: skip
    inbox.receipt = receipt  # (still unwritten in a batch: then in the row's one INSERT)
    if not in_batch:
        session.flush()
    _audit_envelope(session, verified, "receive", now, {"outcome": outcome})
    return Received(verified.message_id, receipt, False)


def open_receipt(
    session: Session, node: Node, peer_id: str, raw: bytes, message_id: str, envelope_sha256: str
) -> dict:
    """Check a peer's receipt for one of our messages; return its body."""
    ring = node.ring()
    header, signature, signed = parse_signed(raw)
    if header.get("sender") != peer_id:
        raise Malformed(f"the receipt comes from {header.get('sender')!r}, not {peer_id!r}")
    keys = _trusted_keys(session, ring, header, node.clock.now(), _grace(node))
    verified = verify(raw, header, signature, ring.identity.node_id, keys, signed)
    if verified.type != RECEIPT:
        raise Malformed(f"expected a receipt, got a {verified.type.key} message")
    body = open_payload(verified, ring)
    check_receipt(body, message_id, envelope_sha256)
    return body


def system_principal(session: Session, identity: NodeIdentity) -> Principal:
    """The node's own user, in whose name received requests are registered: an officer of
    this node's authority with a random password nobody knows (it cannot log in)."""
    username = f"exchange.{identity.node_id}"
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    if user is None:
        ensure_authority(session, identity.node_id, identity.state, identity.authority)
        try:
            user = create_user(
                session, username=username, password=secrets.token_urlsafe(32),
                role="officer", authority_id=identity.node_id,
                display_name=f"Exchange inbox of {identity.authority}",
            )  # fmt: skip
        except Conflict:  # a concurrent first delivery committed it just now
            raise ConcurrentFirstUse("another delivery created the inbox user meanwhile") from None
    return principal_of(user)


def _worth_auditing(copies: int) -> bool:
    """The 1st, 2nd, 4th, 8th... copy of a message received again: a sender's few retries
    are each in the trail, while a replay of captured bytes a million times writes twenty
    entries, not a million (each says which copy it was; the count is on the inbox row)."""
    return copies > 0 and copies & (copies - 1) == 0


def _audit_envelope(session, verified, verb: str, now: datetime, details: dict) -> None:
    record(
        session, actor=f"node:{verified.sender}", action=AuditAction.COLLECTION,
        tag=f"node:envelope:{verb}", subject_type="message", subject_id=verified.message_id,
        why="received through the exchange", at=now,
        details={"type": verified.type.key, "envelope_sha256": verified.sha256, **details},
    )  # fmt: skip


def record_rejection(session: Session, raw: bytes, error: Rejected, now: datetime) -> None:
    """Audit a refused envelope whose signature checked out, in the name of the peer that
    signed it (in a transaction of its own). Refusals made before that are counted by
    `refusals.count_refusal`, in nobody's name."""
    if error.sender is None:
        raise ValueError("an unauthenticated refusal is counted, not written in a name")
    sha = sha256_hex(raw)
    try:
        message_id = str(parse(raw)[0]["message_id"])
    except Rejected:
        message_id = sha
    record(
        session, actor=f"node:{error.sender}", action=AuditAction.COLLECTION,
        tag="node:envelope:reject", subject_type="message", subject_id=message_id,
        why="refused at the inbox", at=now,
        details={"reason": error.code, "message": error.message, "envelope_sha256": sha},
    )  # fmt: skip


_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


def receive_attachment(
    session: Session, node: Node, message_id: str, attachment_id: str, headers: dict, chunks
) -> str:
    """Check the sender's signature on an upload, then stream it into the file store under
    the size limit (never whole in memory); returns the ciphertext digest. Storing by
    content makes a repeated upload, after a crash or a lost answer, change nothing."""
    if not (_ID.fullmatch(message_id) and _ID.fullmatch(attachment_id)):
        raise Malformed("message and attachment ids are letters, digits and hyphens")
    ring = node.ring()
    found = load_peer(session, ring, str(headers.get("x-judicare-sender")))
    if found is None:
        raise UnknownSender(f"node {headers.get('x-judicare-sender')!r} is not a peer")
    cipher_sha = check_upload(found[1], headers, message_id, attachment_id)
    try:
        return _store_upload(node, message_id, attachment_id, cipher_sha, chunks)
    except Rejected as refused:
        refused.sender = found[1].node_id  # the upload's signature checked out
        raise


def _store_upload(node: Node, message_id: str, attachment_id: str, cipher_sha: str, chunks):
    if node.file_store.exists(f"sha256/{cipher_sha}"):
        return cipher_sha
    limit = ciphertext_limit(node.settings.max_upload_bytes)
    try:
        _, _, sha = node.file_store.put(chunks, limit)
    except FileTooLarge:
        raise AttachmentTooLarge(
            f"attachment {attachment_id} of message {message_id} is over this node's limit "
            f"of {node.settings.max_upload_bytes} bytes: send it in smaller documents"
        ) from None
    if sha != cipher_sha:
        raise AttachmentMismatch(
            f"attachment {attachment_id} arrived with SHA-256 {sha}, not the {cipher_sha} "
            "its sender signed"
        )
    return sha


def record_upload_rejection(session: Session, message_id: str, error: Rejected, now: datetime):
    """Audit a refused upload whose signature checked out, in its signer's name."""
    if error.sender is None:
        raise ValueError("an unauthenticated refusal is counted, not written in a name")
    record(
        session, actor=f"node:{error.sender}",
        action=AuditAction.COLLECTION, tag="node:attachment:reject", subject_type="message",
        subject_id=str(message_id)[:120], why="refused at the inbox", at=now,
        details={"reason": error.code, "message": error.message},
    )  # fmt: skip


def make_card_now(node: Node) -> dict:
    return make_card(node.ring(), node.clock.now())
