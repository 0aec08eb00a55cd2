"""What travels inside envelopes about requests, and what receiving one does: a request
becomes an incoming request in this node's register (through the register's own service,
so need-to-know and audit apply), attachments (uploaded beside the envelope, see
`attachments`) become its documents after their size and SHA-256 are checked against what
the sender signed."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from judicare.audit.service import AuditAction, record
from judicare.auth.permissions import Principal
from judicare.errors import JudicareError
from judicare.evidence.archives import BAG_MEDIA_TYPE, Limits
from judicare.exchange import attachments, chunked, depositary, witness
from judicare.exchange.canonical import (
    AUDIT_CHECKPOINT,
    AUDIT_COSIGNATURE,
    DEPOSITARY_NOTIFICATION,
    REQUEST,
    SUPPLEMENTARY_REQUEST,
)
from judicare.exchange.envelopes import unb64
from judicare.exchange.errors import (
    AttachmentMissing,
    EvidenceBagRefused,
    Malformed,
    NotApplicable,
    NotThisConversation,
    TooLarge,
)
from judicare.exchange.models import InboxRow, OutboxRow, ReceiptRow
from judicare.notifications import service as notices
from judicare.requests.domain import LinkType
from judicare.requests.models import DocumentRow, RequestRow
from judicare.requests.read_models import RequestDetail
from judicare.requests.schemas import LinkIn, RequestCreate
from judicare.requests.service import create_request, link_requests
from judicare.victims.service import receive_measures

_SHA256 = re.compile(r"[0-9a-f]{64}")


# The fields of a request on the wire (a SIGNED format read by other nodes): a projection
# of the request's read model (`requests.read_models.RequestDetail`). Never rename or remove
# one; texts a row may hold as NULL travel as "" (as they always have).
WIRE_FIELDS = {
    "kind": True, "requesting_state": True, "requested_state": True,
    "requesting_authority": True, "requesting_central_authority": True,
    "requested_central_authority": True, "urgency": True, "confidentiality": True,
    "crimes": True, "facts_summary": True, "subject_and_nature": True,
    "legal_provisions": True, "purpose": True, "procedure_wished": True,
    "legal_basis_instrument": True, "requested_execution_date": True,
    "measures": {"__all__": {"measure", "details"}},
    "persons": {"__all__": {
        "role": True, "birth_date": True, "nationality": True, "protected_status": True,
        "names": {"__all__": {"name", "form", "system"}},
        "identity_documents": {"__all__": {"kind", "number", "issuing_state"}},
    }},
}  # fmt: skip
BLANK_IF_NULL = (
    "requesting_central_authority", "requested_central_authority", "subject_and_nature",
    "legal_provisions", "purpose", "procedure_wished",
)  # fmt: skip


def request_payload(row: RequestRow, protection_measures: list[dict] | None = None) -> dict:
    """The request as the requested state's node registers it (JSON-plain values), with the
    protection measures that may go to that state, if any (victims.service.wire_measures
    decides which: never one the recipient must not know). Without measures the payload is
    the same as before issue 20, so an older node still registers it."""
    wire = RequestDetail.of(row).model_dump(mode="json", include=WIRE_FIELDS)
    if protection_measures:  # absent when none: a request without any reads as before
        wire["protection_measures"] = list(protection_measures)
    for name in BLANK_IF_NULL:
        wire[name] = wire[name] or ""
    for measure in wire["measures"]:
        measure["details"] = measure["details"] or ""
    for person in wire["persons"]:
        for name in person["names"]:
            name["system"] = name["system"] or ""
    return wire


def attachments_of(session: Session, file_store, row: RequestRow, settings):
    """The request's documents, each encrypted into the file store chunk by chunk: (what
    the sealed payload says about them, what the outbox keeps to upload them)."""
    documents = session.scalars(
        select(DocumentRow).where(DocumentRow.request_id == row.id).order_by(DocumentRow.id)
    ).all()
    return encrypt_documents(file_store, documents, settings)


def encrypt_documents(file_store, documents, settings) -> tuple[list[dict], list[dict]]:
    """Documents encrypted for travel: (entries for the sealed body, uploads for the outbox)."""
    entries, uploads = [], []
    for document in documents:
        limit = travel_limit(settings, document.media_type)
        if document.size > limit:
            raise TooLarge(
                f"document {document.id} of request {document.request_id} has "
                f"{document.size} bytes, over the limit of {limit}"
            )
        entry, upload = attachments.prepare(file_store, document, limit)
        chunked.plan(entry, upload, settings)  # larger than one chunk: sent in chunks
        entries.append(entry)
        uploads.append(upload)
    return entries, uploads


def travel_limit(settings, media_type: str) -> int:
    """The largest attachment of this type: an evidence bag may be as large as evidence
    (`max_evidence_bytes`, it travels in chunks), any other document `max_upload_bytes`."""
    if media_type == BAG_MEDIA_TYPE:
        return settings.max_evidence_bytes
    return settings.max_upload_bytes


# --- receiving -------------------------------------------------------------------------------


def apply(session: Session, node, principal: Principal, verified, body, inbox, now) -> dict:
    """The effect of one accepted message; returns the outcome the receipt reports."""
    # Audit witnessing concerns no request (exchange.witness): inbox.request_id stays None.
    if verified.type == AUDIT_CHECKPOINT:
        return witness.apply_checkpoint(session, node, verified, body, inbox, now)
    if verified.type == AUDIT_COSIGNATURE:
        return witness.apply_answer(session, node, verified, body, inbox, now)
    if verified.type == DEPOSITARY_NOTIFICATION:  # concerns no request either
        return depositary.apply_notification(session, verified, body, inbox, now)
    why = f"received from node {verified.sender} as message {verified.message_id}"
    # What a batch read ahead about this conversation serves the batch's first envelope in
    # it only: after that, the batch's own rows count, and the look-up goes to the database.
    known = session.info.get(CONVERSATIONS, {}).pop(inbox.conversation_id, None)
    if verified.type in (REQUEST, SUPPLEMENTARY_REQUEST):
        original = None
        if verified.type == SUPPLEMENTARY_REQUEST:
            original = _conversation_request(
                session, inbox.conversation_id, verified.sender, body.get("supplements"), known
            )
            if original is None:
                raise NotThisConversation(
                    f"the request this one supplements ({str(body.get('supplements'))[:80]!r}) "
                    "was never exchanged with your node in this conversation: send the "
                    "original request first"
                )
        basis = node.basis(session) if node.basis is not None else None
        request_id, reference = _register(session, principal, body, now, why, basis)
        inbox.request_id = request_id
        inbox.body_summary = _references(body, reference)
        if original is not None:
            link = LinkIn(to_request_id=request_id, link_type=LinkType.SUPPLEMENTARY)
            link_requests(session, principal, original, link, now=now, why=why)
        outcome = {"registered_as": reference}
    else:
        inbox.request_id = _conversation_request(
            session, inbox.conversation_id, verified.sender, body.get("reference"), known
        )
        outcome = _record_reply(session, verified, body, inbox, now, why)
    documents = _store_attachments(
        session,
        node,
        principal,
        inbox.request_id,
        body,
        now,
        why,
        sender=verified.sender,
        message_id=verified.message_id,
    )
    if inbox.request_id is not None:  # the holders hear of it (issue 17, notices)
        notices.on_message_received(session, inbox.request_id, verified.message_id, now)
    outcome["documents"] = documents
    if documents and inbox.request_id is not None:  # the same evidence in another file
        from judicare.competing.detection import detect

        received = session.get(RequestRow, inbox.request_id)
        if received is not None:
            detect(session, principal, received, now=now, why=why, found_by="exchange")
    if documents:
        inbox.body_summary = {**inbox.body_summary, "documents": documents}
    return outcome


def _references(body: dict, reference: str) -> dict:
    kept = {k: str(body[k])[:200] for k in ("sender_reference", "supplements") if k in body}
    return {**kept, "registered_as": reference}


def _record_reply(session, verified, body: dict, inbox, now, why) -> dict:
    """An answer, a request for information or a status notice, filed with the request
    its conversation is about and written in that request's audit trail. Only the peer the
    request was exchanged with is heard in its conversation: for any other sender the
    conversation is unknown. A status notice about a conversation unknown to this node is
    kept (it is evidence) but attached to nothing; an answer or a question that would be
    lost from view is refused instead, with the same answer whether the conversation is
    another peer's or none at all."""
    text_of = {"answer": "text", "request_for_information": "text", "status_notice": "status"}
    field = text_of.get(verified.type.tag)
    if field is not None and not isinstance(body.get(field), str):
        raise Malformed(f"a {verified.type.key} message needs body.{field} as a string")
    inbox.body_summary = {k: v for k, v in body.items() if k != "attachments"}
    if inbox.request_id is None:
        if verified.type.tag != "status_notice":
            raise NotThisConversation(
                f"this node exchanged no request with node {verified.sender} in this "
                f"conversation: the {verified.type.tag.replace('_', ' ')} has nothing to "
                "attach to"
            )
        return {"recorded": True, "request": None}
    record(
        session, actor=f"node:{verified.sender}", action=AuditAction.COLLECTION,
        tag=f"node:{verified.type.tag}:receive", subject_type="request",
        subject_id=inbox.request_id, why=why, at=now,
        details={"message_id": verified.message_id,
                 **({"status": body["status"]} if field == "status" else {})},
    )  # fmt: skip
    return {"recorded": True}


def _register(session, principal, body: dict, now: datetime, why: str, basis) -> tuple[int, str]:
    """Register the request as incoming, with this node's own legal-basis answer (the
    sender's instrument is kept as the one it invoked; the answer is ours)."""
    data = dict(body["request"]) if isinstance(body.get("request"), dict) else None
    if data is None:
        raise Malformed("the request message's body.request must be an object")
    measures = data.pop("protection_measures", None)
    data.update(direction="incoming", received_on=now.date().isoformat())
    try:
        create = RequestCreate.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise NotApplicable(f"the request cannot be registered: {where}: {first['msg']}") from None
    try:
        _, detail, _ = create_request(
            session, principal, create, now=now, basis=basis, why=why, sent_by_peer=True
        )
        receive_measures(session, detail["id"], measures, sender=principal.username, now=now,
                         why=why)  # fmt: skip
    except JudicareError as exc:
        raise NotApplicable(f"the request cannot be registered: {exc.message}") from None
    return detail["id"], detail["reference"]


REQUEST_TYPES = (REQUEST.key, SUPPLEMENTARY_REQUEST.key)


# The conversations of a batch of envelopes, read ahead in two statements for the whole
# batch (`read_conversations`): conversation id -> (inbox rows, sent request rows).
CONVERSATIONS = "judicare.exchange.conversations"


def read_conversations(session, conversation_ids: set[str]) -> None:
    """Read what `_conversation_request` looks at for every conversation of a batch at once,
    in the order its queries read it, instead of two statements per envelope."""
    if not conversation_ids:
        return
    ids = sorted(conversation_ids)
    known: dict[str, tuple[list, list]] = {c: ([], []) for c in ids}
    received = session.execute(
        select(InboxRow.conversation_id, InboxRow.sender, InboxRow.message_type,
               InboxRow.request_id, InboxRow.body_summary)
        .where(InboxRow.conversation_id.in_(ids))
        .order_by(InboxRow.received_at, InboxRow.message_id)
    ).all()  # fmt: skip
    for row in received:
        known[row.conversation_id][0].append(row)
    sent = session.execute(
        select(OutboxRow.conversation_id, OutboxRow.peer_id, OutboxRow.request_id,
               ReceiptRow.message_id.label("receipt"), ReceiptRow.outcome)
        .outerjoin(ReceiptRow, ReceiptRow.message_id == OutboxRow.message_id)
        .where(OutboxRow.conversation_id.in_(ids), OutboxRow.message_type.in_(REQUEST_TYPES))
        .order_by(OutboxRow.id)
    ).all()  # fmt: skip
    for row in sent:
        known[row.conversation_id][1].append(row)
    session.info[CONVERSATIONS] = known


def _conversation_request(session, conversation_id: str, peer: str, reference=None, known=None):
    """The local request a message of a conversation with `peer` is about: only a request
    exchanged with that peer counts, so that a conversation id known to another peer opens
    nothing to it. A conversation may carry a request and its supplements, so the sender
    names the request by its own reference: for one we received, the reference its sender
    gave it; for one we sent, the reference the peer registered it under, as its receipt
    told us. Without a reference (or one not found), the conversation's first request.
    `known`: the conversation's rows as `read_conversations` read them (same answer, no
    statement)."""
    if known is not None:
        return _conversation_request_in(known, peer, reference)
    received_in = (
        InboxRow.conversation_id == conversation_id,
        InboxRow.sender == peer,
    )
    sent_in = (
        OutboxRow.conversation_id == conversation_id,
        OutboxRow.peer_id == peer,
        OutboxRow.message_type.in_(REQUEST_TYPES),
    )
    if isinstance(reference, str) and reference:
        received = session.execute(
            select(InboxRow.request_id, InboxRow.body_summary)
            .where(*received_in, InboxRow.message_type.in_(REQUEST_TYPES))
            .order_by(InboxRow.received_at, InboxRow.message_id)
        ).all()
        for request_id, summary in received:
            if (summary or {}).get("sender_reference") == reference:
                return request_id
        sent = session.execute(
            select(OutboxRow.request_id, ReceiptRow.outcome)
            .join(ReceiptRow, ReceiptRow.message_id == OutboxRow.message_id)
            .where(*sent_in)
            .order_by(OutboxRow.id)
        ).all()
        for request_id, outcome in sent:
            if (outcome or {}).get("registered_as") == reference:
                return request_id
    first_sent = session.scalar(
        select(OutboxRow.request_id).where(*sent_in).order_by(OutboxRow.id).limit(1)
    )
    if first_sent is not None:
        return first_sent
    return session.scalar(
        select(InboxRow.request_id)
        .where(*received_in, InboxRow.request_id.is_not(None))
        .order_by(InboxRow.received_at, InboxRow.message_id).limit(1)
    )  # fmt: skip


def _conversation_request_in(known: tuple[list, list], peer: str, reference):
    """`_conversation_request` on rows read ahead, each list in its queries' order."""
    received = [r for r in known[0] if r.sender == peer]
    sent = [r for r in known[1] if r.peer_id == peer]
    if isinstance(reference, str) and reference:
        for row in received:
            if (
                row.message_type in REQUEST_TYPES
                and (row.body_summary or {}).get("sender_reference") == reference
            ):
                return row.request_id
        for row in sent:
            if row.receipt is not None and (row.outcome or {}).get("registered_as") == reference:
                return row.request_id
    if sent and sent[0].request_id is not None:
        return sent[0].request_id
    return next((r.request_id for r in received if r.request_id is not None), None)


def _store_attachments(
    session, node, principal, request_id, body, now, why, *, sender: str, message_id: str = ""
) -> list[dict]:
    items = body.get("attachments") or []
    if not isinstance(items, list):
        raise Malformed("body.attachments must be a list")
    if items and request_id is None:
        raise NotApplicable("documents arrived for a conversation this node does not know")
    stored = []
    for index, item in enumerate(items):
        if chunked.is_chunked(item):  # reassembled from its chunks (exchange.chunked)
            limit = travel_limit(node.settings, str(item.get("media_type")))
            key, size, sha, filename, media_type = chunked.open_attachment(
                session, node, message_id, sender, index, item, limit
            )
        else:
            key, size, sha, filename, media_type = _open_attachment(node, index, item)
        document = DocumentRow(
            request_id=request_id, filename=filename, media_type=media_type, size=size,
            sha256=sha, storage_key=key, uploaded_by=principal.user_id,
        )  # fmt: skip
        session.add(document)
        session.flush()
        record(
            session, actor=principal.username, action=AuditAction.COLLECTION,
            tag="node:document:receive", subject_type="request", subject_id=request_id,
            why=why, at=now, details={"document": document.id, "sha256": sha, "size": size},
        )  # fmt: skip
        stored.append({"filename": filename, "sha256": sha, "size": size})
        if media_type == BAG_MEDIA_TYPE:
            try:
                stored[-1]["evidence"] = _accept_bag(session, node, principal, request_id, key,
                                                     filename, now, why, sender)  # fmt: skip
            except EvidenceBagRefused as refused:
                # what the refused bag left in the file store: its decrypted archive and the
                # ciphertext it came in (removed once the refusal is recorded: exchange.http)
                refused.blobs = [key, f"sha256/{item['ciphertext_sha256']}"]
                raise
    return stored


def _accept_bag(session, node, principal, request_id, key, filename, now, why, sender):
    """An evidence bag is validated in full on arrival (`evidence.receipt`); a bag with a
    changed, missing or added file, a broken chain of custody or a hostile archive refuses
    the whole message, naming the file."""
    from judicare.evidence.bags import BagRefused
    from judicare.evidence.receipt import accept_archive

    try:
        return accept_archive(
            session,
            node.file_store,
            principal,
            request_id,
            key,
            sender=sender,
            now=now,
            why=why,
            limits=Limits(max_total=node.settings.max_evidence_bytes),
        )
    except BagRefused as exc:
        raise EvidenceBagRefused(f"evidence bag {filename} refused: {exc}") from None


def _open_attachment(node, index: int, item) -> tuple[str, int, str, str, str]:
    """Decrypt an uploaded attachment chunk by chunk into the file store and check it
    against the size and SHA-256 the sender signed."""
    try:
        declared_size, declared_sha = int(item["size"]), str(item["sha256"])
        filename, media_type = str(item["filename"])[:255], str(item["media_type"])[:120]
        secret = unb64(item["key"], "an attachment key")
        cipher_sha = str(item["ciphertext_sha256"])
        if not _SHA256.fullmatch(cipher_sha):
            raise ValueError(cipher_sha)
        cipher_key = f"sha256/{cipher_sha}"
    except (KeyError, TypeError, ValueError, Malformed):
        raise Malformed(f"attachment {index} lacks a key, size, sha256 or names") from None
    what = f"attachment {index} ({filename})"
    store, limit = node.file_store, node.settings.max_upload_bytes
    if not store.exists(cipher_key):
        raise AttachmentMissing(f"{what} has not been uploaded yet: upload it, then retry")
    plaintext = attachments.decrypt(store.open_chunks(cipher_key), secret, what)
    key, size, sha = attachments.store_checked(
        store, plaintext, limit, what, declared_size, declared_sha
    )
    return key, size, sha, filename, media_type
